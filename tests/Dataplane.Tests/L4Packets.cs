using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>A packet the tests saw leave the dataplane: its addresses, protocol and ports (an echo's identifier as both), and the frame.</summary>
internal readonly record struct Seen(uint Source, uint Destination, byte Protocol, ushort SourcePort, ushort DestinationPort, byte[] Frame)
{
    public string From => $"{Ip4.Format(Source)}:{SourcePort}";
    public string To => $"{Ip4.Format(Destination)}:{DestinationPort}";
}

/// <summary>
/// TCP, UDP and ICMP packets with every checksum right, and the checks of what the dataplane sent: checksums summed
/// afresh here, byte by byte, independent of the product's checksum code (NAT and load balancer tests).
/// </summary>
internal static class L4Packets
{
    public const byte Tcp = 6, Udp = 17, Icmp = 1, Syn = 0x02, SynAck = 0x12, Ack = 0x10;

    // A TCP, UDP or ICMP echo packet with every checksum right (ports are the echo's identifier for ICMP).
    public static byte[] Packet(ulong dstMac, ulong srcMac, string src, ushort sport, string dst, ushort dport, byte proto, byte flags = Syn, int payload = 12, bool udpChecksum = true)
    {
        var l4 = proto switch { Tcp => 20, _ => 8 };
        var frame = new byte[14 + 20 + l4 + payload];
        Ethernet.WriteHeader(frame, dstMac, srcMac, Ethernet.TypeIp4);
        var ip = frame.AsSpan(14);
        Ip4.WriteHeader(ip, 20 + l4 + payload, 64, proto, Ip4.Parse(src), Ip4.Parse(dst), id: 0x4242);
        var t = ip[20..];
        for (var i = 0; i < payload; i++) t[l4 + i] = (byte)(0x30 + i);
        switch (proto)
        {
            case Tcp:
                BinaryPrimitives.WriteUInt16BigEndian(t, sport);
                BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
                BinaryPrimitives.WriteUInt32BigEndian(t[4..], 1000);
                t[12] = 0x50;
                t[13] = flags;
                BinaryPrimitives.WriteUInt16BigEndian(t[14..], 8192);
                BinaryPrimitives.WriteUInt16BigEndian(t[16..], TransportSum(ip));
                break;
            case Udp:
                BinaryPrimitives.WriteUInt16BigEndian(t, sport);
                BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
                BinaryPrimitives.WriteUInt16BigEndian(t[4..], (ushort)(8 + payload));
                if (udpChecksum) BinaryPrimitives.WriteUInt16BigEndian(t[6..], TransportSum(ip));
                break;
            default:
                t[0] = 8;
                BinaryPrimitives.WriteUInt16BigEndian(t[4..], sport);
                BinaryPrimitives.WriteUInt16BigEndian(t[6..], 1);
                BinaryPrimitives.WriteUInt16BigEndian(t[2..], (ushort)~Sum(t, 0));
                break;
        }
        return frame;
    }

    // The one's complement sum of 16-bit words, byte by byte: independent of the product's checksum code.
    public static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        for (var i = 0; i < data.Length; i += 2) sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return sum;
    }

    // TCP/UDP checksum of a packet whose checksum field is zero.
    public static ushort TransportSum(ReadOnlySpan<byte> ip)
    {
        var length = Ip4.TotalLength(ip) - 20;
        var pseudo = Sum(ip.Slice(12, 8), 0) + ip[9] + (uint)length;
        var c = (ushort)~Sum(ip.Slice(20, length), pseudo);
        return c == 0 ? (ushort)0xffff : c;
    }

    // Every checksum of a packet that left the router sums right (an ICMP error's embedded header too).
    public static void AssertChecksums(ReadOnlySpan<byte> ip)
    {
        Assert.Equal(0xffff, (int)Sum(ip[..20], 0));
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3fff) != 0) return; // a fragment: its transport checksum covers the whole datagram
        var length = Ip4.TotalLength(ip) - 20;
        var t = ip.Slice(20, length);
        switch (ip[9])
        {
            case Tcp:
                Assert.Equal(0xffff, (int)Sum(t, Sum(ip.Slice(12, 8), 0) + Tcp + (uint)length));
                break;
            case Udp:
                if (BinaryPrimitives.ReadUInt16BigEndian(t[6..]) != 0) Assert.Equal(0xffff, (int)Sum(t, Sum(ip.Slice(12, 8), 0) + Udp + (uint)length));
                break;
            case Icmp:
                Assert.Equal(0xffff, (int)Sum(t, 0));
                if (t[0] is 3 or 11) Assert.Equal(0xffff, (int)Sum(t.Slice(8, 20), 0));
                break;
        }
    }

    public static Seen Read(byte[] frame)
    {
        var ip = frame.AsSpan(14);
        AssertChecksums(ip);
        var t = ip[20..];
        var proto = ip[9];
        return proto == Icmp
            ? new Seen(Ip4.Source(ip), Ip4.Destination(ip), proto, BinaryPrimitives.ReadUInt16BigEndian(t[4..]), BinaryPrimitives.ReadUInt16BigEndian(t[4..]), frame)
            : new Seen(Ip4.Source(ip), Ip4.Destination(ip), proto, BinaryPrimitives.ReadUInt16BigEndian(t), BinaryPrimitives.ReadUInt16BigEndian(t[2..]), frame);
    }

    // An ICMP port unreachable quoting a packet.
    public static byte[] PortUnreachable(ulong dstMac, ulong srcMac, string src, string dst, ReadOnlySpan<byte> quoted)
    {
        var error = new byte[14 + 20 + 8 + quoted.Length];
        Ethernet.WriteHeader(error, dstMac, srcMac, Ethernet.TypeIp4);
        var ip = error.AsSpan(14);
        Ip4.WriteHeader(ip, 20 + 8 + quoted.Length, 60, Icmp, Ip4.Parse(src), Ip4.Parse(dst));
        ip[20] = 3;
        ip[21] = 3;
        quoted.CopyTo(ip[28..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], (ushort)~Sum(ip[20..], 0));
        return error;
    }

    // A UDP datagram (32 bytes of data) in two fragments: the UDP header and 16 bytes, then the last 16.
    public static (byte[] First, byte[] Second) Fragmented(ulong dstMac, ulong srcMac, string src, ushort sport, string dst, ushort dport, ushort id)
    {
        var whole = Packet(dstMac, srcMac, src, sport, dst, dport, Udp, payload: 32);
        byte[] Part(int from, int length, bool more)
        {
            var f = new byte[14 + 20 + length];
            whole.AsSpan(0, 34).CopyTo(f);
            whole.AsSpan(34 + from, length).CopyTo(f.AsSpan(34));
            var ip = f.AsSpan(14);
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], (ushort)((more ? 0x2000 : 0) | from / 8));
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~Sum(ip[..20], 0));
            return f;
        }
        return (Part(0, 24, more: true), Part(24, 16, more: false));
    }

    // An IPv6 TCP or UDP packet (12 bytes of data) with its checksum, summed here independently.
    public static byte[] Packet6(ulong dstMac, ulong srcMac, string src, ushort sport, string dst, ushort dport, byte proto, byte flags = Syn)
    {
        var l4 = proto == Tcp ? 20 : 8;
        var f = new byte[14 + 40 + l4 + 12];
        Ethernet.WriteHeader(f, dstMac, srcMac, Ethernet.TypeIp6);
        var ip = f.AsSpan(14);
        Ip6.WriteHeader(ip, l4 + 12, proto, 64, Ip6.Parse(src), Ip6.Parse(dst));
        var t = ip[40..];
        BinaryPrimitives.WriteUInt16BigEndian(t, sport);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
        if (proto == Tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(t[4..], 1000);
            t[12] = 0x50;
            t[13] = flags;
        }
        else BinaryPrimitives.WriteUInt16BigEndian(t[4..], (ushort)(l4 + 12));
        for (var i = 0; i < 12; i++) t[l4 + i] = (byte)(0x40 + i);
        BinaryPrimitives.WriteUInt16BigEndian(t[(proto == Tcp ? 16 : 6)..], (ushort)~Sum(t, Sum(ip.Slice(8, 32), 0) + proto + (uint)t.Length));
        return f;
    }

    public static void AssertChecksum6(ReadOnlySpan<byte> ip) =>
        Assert.Equal(0xffff, (int)Sum(ip[40..], Sum(ip.Slice(8, 32), 0) + ip[6] + (uint)(ip.Length - 40)));

    public static bool IsIp4(byte[] frame) => Ethernet.Type(frame) == Ethernet.TypeIp4;
}
