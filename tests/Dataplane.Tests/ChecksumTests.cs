using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>The wide-word checksum sum against the plain RF 1071 16-bit sum, on random data of every small length.</summary>
public sealed class ChecksumTests
{
    private static ushort Reference(ReadOnlySpan<byte> data, uint seed)
    {
        ulong sum = seed;
        var i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)sum;
    }

    [Fact]
    public void The_sum_folds_to_the_same_as_the_16_bit_sum()
    {
        var rng = new Random(9);
        for (var length = 0; length < 200; length++)
            for (var round = 0; round < 20; round++)
            {
                var data = new byte[length];
                rng.NextBytes(data);
                if (round % 5 == 0) data.AsSpan().Fill(0xff); // the carries at their worst
                var seed = round % 2 == 0 ? 0 : (uint)rng.Next(0, 0x40000);
                var sum = Checksum.Sum(data, seed);
                Assert.True(sum <= 0x1ffff, $"sum {sum:x} of {length} bytes is not folded");
                Assert.True(Reference(data, seed) == Checksum.Fold(sum), $"{length} bytes, round {round}, seed {seed}: {Reference(data, seed):x} != {Checksum.Fold(sum):x} ({Convert.ToHexString(data)})");
            }
    }
}
