using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>Frames built byte by byte for the tests, and readers for what the dataplane sent.</summary>
internal static class Frames
{
    public static byte[] Udp(ulong dstMac, ulong srcMac, string src, string dst, byte ttl = 64, int payload = 32, bool dontFragment = false)
    {
        var frame = new byte[14 + 20 + 8 + payload];
        Ethernet.WriteHeader(frame, dstMac, srcMac, Ethernet.TypeIp4);
        var ip = frame.AsSpan(14);
        Ip4.WriteHeader(ip, 20 + 8 + payload, ttl, Ip4.ProtoUdp, Ip4.Parse(src), Ip4.Parse(dst), id: 0x1234);
        if (dontFragment)
        {
            ip[6] = 0x40;
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip[..20]));
        }
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 6000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload));
        for (var i = 0; i < payload; i++) udp[8 + i] = (byte)i;
        return frame;
    }

    public static byte[] EchoRequest(ulong dstMac, ulong srcMac, string src, string dst, ushort id = 7, ushort seq = 1)
    {
        var frame = new byte[14 + 20 + 8 + 16];
        Ethernet.WriteHeader(frame, dstMac, srcMac, Ethernet.TypeIp4);
        var ip = frame.AsSpan(14);
        Ip4.WriteHeader(ip, 20 + 8 + 16, 64, Ip4.ProtoIcmp, Ip4.Parse(src), Ip4.Parse(dst));
        var icmp = ip[20..];
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        for (var i = 0; i < 16; i++) icmp[8 + i] = (byte)(0xa0 + i);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
        return frame;
    }

    public static byte[] ArpRequest(ulong srcMac, string senderIp, string targetIp)
    {
        var frame = new byte[42];
        Ethernet.WriteHeader(frame, Ethernet.Broadcast, srcMac, Ethernet.TypeArp);
        var arp = frame.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], 0x0800);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 1);
        Ethernet.Write48(arp[8..], srcMac);
        BinaryPrimitives.WriteUInt32BigEndian(arp[14..], Ip4.Parse(senderIp));
        BinaryPrimitives.WriteUInt32BigEndian(arp[24..], Ip4.Parse(targetIp));
        return frame;
    }

    public static Span<byte> IpOf(byte[] frame) => frame.AsSpan(14);
}
