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

    [Fact]
    public void A_20_byte_header_is_valid_exactly_when_its_16_bit_sum_is_all_ones()
    {
        var rng = new Random(11);
        for (var round = 0; round < 20_000; round++)
        {
            var h = new byte[20];
            rng.NextBytes(h);
            if (round % 7 == 0) h.AsSpan().Fill(0xff);
            if (round % 3 == 0) h.AsSpan(0, rng.Next(20)).Clear();
            // Half the rounds get the checksum that makes them valid, then maybe one flipped bit.
            if (round % 2 == 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(10), 0);
                BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(10), Checksum.Compute(h));
                if (round % 4 == 0) h[rng.Next(20)] ^= (byte)(1 << rng.Next(8));
            }
            Assert.True((Reference(h, 0) == 0xffff) == Checksum.IsValid(h), $"round {round}: {Convert.ToHexString(h)}");
        }
    }
}
