using System.Buffers.Binary;

namespace Mgmt.Dataplane.Packets;

/// <summary>
/// The outer headers of IP-in-IP (RFC 2003, RFC 2473) and GRE (RFC 2784, with the key of RFC 2890) in front of an
/// inner IPv4 or IPv6 packet: what tunnel interfaces and the load balancer's tunnel modes send.
/// </summary>
internal static class Encapsulation
{
    public const byte ProtoGre = 47, ProtoIp4 = 4, ProtoIp6 = 41;
    public const ushort GreKeyFlag = 0x2000, GreChecksumFlag = 0x8000, GreSequenceFlag = 0x1000, GreRoutingFlag = 0x4000;

    /// <summary>Bytes the outer headers take.</summary>
    public static int Overhead(bool outer6, bool gre, bool key) => (outer6 ? Ip6.HeaderLength : Ip4.MinHeaderLength) + (gre ? key ? 8 : 4 : 0);

    /// <summary>
    /// Writes the outer headers at the start of <paramref name="h"/>, the inner packet following them at
    /// <paramref name="overhead"/>. The outer header copies the inner DSCP/ECN (RFC 2003 §3.1, RFC 2473 §6.5) and,
    /// for IPv4 inside IPv4, the inner DF bit; IPv6 inside IPv4 always has DF (it cannot be fragmented on the way).
    /// An outer IPv6 header's flow label is the inner flow's hash (RFC 6438), so that ECMP in the underlay spreads flows.
    /// </summary>
    public static void Write(Span<byte> h, int overhead, bool outer6, bool gre, uint? key, UInt128 source, UInt128 destination, ushort id)
    {
        var inner = h[overhead..];
        var inner6 = inner[0] >> 4 == 6;
        var tos = inner6 ? (byte)((inner[0] << 4) | (inner[1] >> 4)) : inner[1];
        var ipLength = outer6 ? Ip6.HeaderLength : Ip4.MinHeaderLength;
        byte protocol;
        if (gre)
        {
            var header = h[ipLength..];
            BinaryPrimitives.WriteUInt16BigEndian(header, key is null ? (ushort)0 : GreKeyFlag);
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], inner6 ? Ethernet.TypeIp6 : Ethernet.TypeIp4);
            if (key is { } k) BinaryPrimitives.WriteUInt32BigEndian(header[4..], k);
            protocol = ProtoGre;
        }
        else protocol = inner6 ? ProtoIp6 : ProtoIp4;
        if (outer6)
        {
            Ip6.WriteHeader(h, h.Length - Ip6.HeaderLength, protocol, 64, source, destination);
            var label = (inner6 ? FlowHash.OfIp6(inner) : FlowHash.OfIp4(inner)) & 0xfffff;
            BinaryPrimitives.WriteUInt32BigEndian(h, 0x6000_0000u | (uint)tos << 20 | label);
        }
        else
        {
            Ip4.WriteHeader(h, h.Length, 64, protocol, (uint)source, (uint)destination, id, tos, dontFragment: inner6 || Ip4.DontFragment(inner));
        }
    }

    /// <summary><see cref="Write"/> for an IPv4 packet in GRE without a key or in IPv4 (<paramref name="overhead"/> 24 or 20), in IPv4.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void Write4(Span<byte> h, int overhead, bool gre, uint source, uint destination, ushort id)
    {
        var inner = h[overhead..];
        if (inner[0] >> 4 != 4)
        {
            Write(h, overhead, false, gre, null, Ip6.Mapped(source), Ip6.Mapped(destination), id);
            return;
        }
        if (gre) BinaryPrimitives.WriteUInt32BigEndian(h[Ip4.MinHeaderLength..], Ethernet.TypeIp4); // no flags, version 0, then the type
        Ip4.WriteHeader(h, h.Length, 64, gre ? ProtoGre : ProtoIp4, source, destination, id, inner[1], Ip4.DontFragment(inner));
    }
}
