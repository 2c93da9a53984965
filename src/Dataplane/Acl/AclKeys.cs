using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Acl;

/// <summary>Reads the fields an ACL matches from an Ethernet header, an IPv4 or IPv6 header and what follows it.</summary>
public static class AclKeys
{
    /// <summary>
    /// The key of a received frame: its MACs and ethertype, and for IPv4 and IPv6 the fields of what follows
    /// (family 0 and no IP fields for other ethertypes).
    /// </summary>
    public static void FromFrame(ReadOnlySpan<byte> frame, out PacketKey k)
    {
        var type = Ethernet.Type(frame);
        if (type == Ethernet.TypeIp4) FromIp4(frame[Ethernet.HeaderLength..], out k);
        else if (type == Ethernet.TypeIp6) FromIp6(frame[Ethernet.HeaderLength..], out k);
        else
        {
            k = default;
            k.EtherType = type;
        }
        k.SourceMac = Ethernet.Source(frame);
        k.DestinationMac = Ethernet.Destination(frame);
    }

    public static void FromIp4(ReadOnlySpan<byte> h, out PacketKey k)
    {
        k = default;
        k.Family = 4;
        k.EtherType = Ethernet.TypeIp4;
        k.Source = Neighbors.NeighborTable.Mapped(Ip4.Source(h));
        k.Destination = Neighbors.NeighborTable.Mapped(Ip4.Destination(h));
        k.Protocol = Ip4.Protocol(h);
        k.Dscp = (byte)(h[1] >> 2);
        var laterFragment = (BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0x1fff) != 0;
        if (!laterFragment) Transport(h[Ip4.HeaderLength(h)..], ref k, Ip4.ProtoIcmp);
    }

    public static void FromIp6(ReadOnlySpan<byte> h, out PacketKey k)
    {
        k = default;
        k.Family = 6;
        k.EtherType = Ethernet.TypeIp6;
        k.Source = Ip6.Source(h);
        k.Destination = Ip6.Destination(h);
        k.Dscp = (byte)((BinaryPrimitives.ReadUInt16BigEndian(h) >> 4 & 0xff) >> 2);
        // The protocol is the upper layer's, after any extension headers (RFC 8519: "next-header ... in the upper-layer
        // header"); a later fragment has no ports to match.
        var whole = Ip6.UpperLayer(h, out k.Protocol, out var offset);
        if (whole) Transport(h[offset..], ref k, Ip6.ProtoIcmp6);
    }

    private static void Transport(ReadOnlySpan<byte> l4, ref PacketKey k, byte icmp)
    {
        if ((k.Protocol is Ip4.ProtoTcp or Ip4.ProtoUdp) && l4.Length >= (k.Protocol == Ip4.ProtoTcp ? 14 : 4))
        {
            k.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            k.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            if (k.Protocol == Ip4.ProtoTcp) k.TcpFlags = l4[13];
            k.HasL4 = true;
        }
        else if (k.Protocol == icmp && l4.Length >= 2)
        {
            k.IcmpType = l4[0];
            k.IcmpCode = l4[1];
            k.HasL4 = true;
        }
    }
}
