using System.Buffers.Binary;

namespace Mgmt.Dataplane.Packets;

/// <summary>
/// The reset a TCP segment gets when nothing takes its connection (RFC 9293 §3.10.7.1, a segment to a CLOSED
/// connection): it acknowledges what the segment carried when the segment had no ACK, else it takes the sequence
/// number the segment acknowledged. A reset is never answered. Over IPv4 and IPv6.
/// </summary>
public static class TcpReset
{
    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;

    /// <summary>
    /// Turns an IPv4 packet holding a TCP segment into the reset that answers it, in place (40 bytes from the
    /// segment's destination to its source, TTL 64, no options). Returns the reset's length, or 0 when the segment
    /// gets none: a reset, a fragment, not TCP or cut short.
    /// </summary>
    public static int Answer4(Span<byte> ip)
    {
        if (ip.Length < Ip4.MinHeaderLength || Ip4.Protocol(ip) != Ip4.ProtoTcp) return 0;
        var ihl = Ip4.HeaderLength(ip);
        var total = Math.Min(Ip4.TotalLength(ip), ip.Length);
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3fff) != 0 || total < ihl + 20) return 0; // a fragment: its length is not the segment's
        var tcp = ip[ihl..];
        var flags = tcp[13];
        var dataOffset = (tcp[12] >> 4) * 4;
        if ((flags & Rst) != 0 || dataOffset < 20 || ihl + dataOffset > total) return 0;
        var source = Ip4.Source(ip);
        var destination = Ip4.Destination(ip);
        var reset = Reset(tcp, total - ihl - dataOffset);
        Ip4.WriteHeader(ip, 40, 64, Ip4.ProtoTcp, destination, source);
        var pseudo = (destination >> 16) + (destination & 0xffff) + (source >> 16) + (source & 0xffff) + Ip4.ProtoTcp + 20u;
        Write(ip.Slice(Ip4.MinHeaderLength, 20), reset, pseudo);
        return 40;
    }

    /// <summary>
    /// <see cref="Answer4"/> for an IPv6 packet whose TCP header is at <paramref name="l4"/> (after any extension
    /// headers): the reset, 60 bytes (hop limit 64, no extension headers). 0: none due.
    /// </summary>
    public static int Answer6(Span<byte> ip, int l4)
    {
        if (ip.Length < Ip6.HeaderLength || l4 + 20 > ip.Length) return 0;
        var total = Math.Min(Ip6.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]), ip.Length);
        var tcp = ip[l4..];
        var flags = tcp[13];
        var dataOffset = (tcp[12] >> 4) * 4;
        if ((flags & Rst) != 0 || dataOffset < 20 || l4 + dataOffset > total) return 0;
        var reset = Reset(tcp, total - l4 - dataOffset);
        Ip6.WriteHeader(ip, 20, Ip4.ProtoTcp, 64, Ip6.Destination(ip), Ip6.Source(ip));
        Write(ip.Slice(Ip6.HeaderLength, 20), reset, Checksum.Sum(ip.Slice(8, 32)) + Ip4.ProtoTcp + 20u);
        return Ip6.HeaderLength + 20;
    }

    // The reset's fields for a segment with `data` bytes of data: its ports swapped, its numbers and flags.
    private static (uint Ports, uint Seq, uint Ack, byte Flags) Reset(ReadOnlySpan<byte> tcp, int data)
    {
        var flags = tcp[13];
        var ports = BinaryPrimitives.ReadUInt32BigEndian(tcp);
        var length = (uint)data + ((flags & Syn) != 0 ? 1u : 0) + ((flags & Fin) != 0 ? 1u : 0);
        return (flags & Ack) != 0
            ? (ports << 16 | ports >> 16, BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]), 0u, Rst)
            : (ports << 16 | ports >> 16, 0u, BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) + length, (byte)(Rst | Ack));
    }

    // The reset's 20-byte TCP header, its checksum over the pseudo-header's sum.
    private static void Write(Span<byte> t, (uint Ports, uint Seq, uint Ack, byte Flags) reset, uint pseudo)
    {
        BinaryPrimitives.WriteUInt32BigEndian(t, reset.Ports);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], reset.Seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], reset.Ack);
        t[12] = 5 << 4;
        t[13] = reset.Flags;
        t[14..20].Clear(); // window, checksum, urgent pointer
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], (ushort)~Checksum.Fold(Checksum.Sum(t, pseudo)));
    }
}
