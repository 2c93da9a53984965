using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Packets;

/// <summary>The Internet checksum (RFC 1071) and its incremental update (RFC 1624).</summary>
public static class Checksum
{
    /// <summary>One's complement sum of 16-bit words, folded, not complemented.</summary>
    /// <remarks>
    /// Summed 8 bytes at a time into 64 bits with the carries added back (RFC 1071 §2: the sum may be taken over
    /// wider words and folded), then folded to at most 17 bits; the result is congruent to the 16-bit sum, which
    /// is all <see cref="Fold"/> needs.
    /// </remarks>
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        ulong wide = sum;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var word = BinaryPrimitives.ReadUInt64BigEndian(data[i..]);
            wide += word;
            if (wide < word) wide++; // end-around carry
        }
        wide = (wide & 0xffff_ffff) + (wide >> 32); // room for the tail's words
        for (; i + 1 < data.Length; i += 2) wide += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) wide += (uint)data[i] << 8;
        // Folded to 17 bits, so that callers may add more to it without overflow.
        wide = (wide & 0xffff_ffff) + (wide >> 32);
        wide = (wide & 0xffff_ffff) + (wide >> 32);
        wide = (wide & 0xffff) + (wide >> 16);
        return (uint)((wide & 0xffff) + (wide >> 16));
    }

    public static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum to store for <paramref name="data"/> (whose checksum field is zero).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => data.Length == 20 ? Compute20(data) : (ushort)~Fold(Sum(data));

    /// <summary>True when the data, checksum field included, sums to all ones.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => data.Length == 20 ? IsValid20(data) : Fold(Sum(data)) == 0xffff;

    // An IPv4 header without options, the one every forwarded packet has: five 32-bit words in the machine's byte
    // order, no loop. The one's complement sum does not depend on byte order (RFC 1071 §2 B) and all ones reads the
    // same both ways.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsValid20(ReadOnlySpan<byte> h) => Sum20(h) == 0xffff;

    // The checksum to store in an option-less IPv4 header (field zero), summed as IsValid20 does; the result is in
    // the machine's order, so it is turned to network order as a 16-bit value (RFC 1071 §2 B: byte swapping commutes
    // with the sum).
    private static ushort Compute20(ReadOnlySpan<byte> h)
    {
        var sum = (ushort)~Sum20(h);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(sum) : sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Sum20(ReadOnlySpan<byte> h)
    {
        ulong s = (ulong)MemoryMarshal.Read<uint>(h) + MemoryMarshal.Read<uint>(h[4..]) + MemoryMarshal.Read<uint>(h[8..])
            + MemoryMarshal.Read<uint>(h[12..]) + MemoryMarshal.Read<uint>(h[16..]);
        s = (s >> 32) + (s & 0xffff_ffff);
        s = (s >> 16) + (s & 0xffff);
        s = (s >> 16) + (s & 0xffff);
        s = (s >> 16) + (s & 0xffff);
        return (uint)s;
    }

    /// <summary>RFC 1624 eqn. 3: the new checksum after one 16-bit word changed from <paramref name="old"/> to <paramref name="now"/>.</summary>
    public static ushort Update(ushort checksum, ushort old, ushort now) =>
        (ushort)~Fold((uint)(ushort)~checksum + (ushort)~old + now);
}
