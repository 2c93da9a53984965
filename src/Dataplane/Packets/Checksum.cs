using System.Buffers.Binary;

namespace Mgmt.Dataplane.Packets;

/// <summary>The Internet checksum (RFC 1071) and its incremental update (RFC 1624).</summary>
public static class Checksum
{
    /// <summary>One's complement sum of 16-bit words, folded, not complemented.</summary>
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    public static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum to store for <paramref name="data"/> (whose checksum field is zero).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Fold(Sum(data));

    /// <summary>True when the data, checksum field included, sums to all ones.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Fold(Sum(data)) == 0xffff;

    /// <summary>RFC 1624 eqn. 3: the new checksum after one 16-bit word changed from <paramref name="old"/> to <paramref name="now"/>.</summary>
    public static ushort Update(ushort checksum, ushort old, ushort now) =>
        (ushort)~Fold((uint)(ushort)~checksum + (ushort)~old + now);
}
