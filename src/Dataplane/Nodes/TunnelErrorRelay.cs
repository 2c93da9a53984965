using System.Buffers.Binary;
using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// A router between the load balancer and a server reports that a tunnel packet was too big for its next link: the
/// error ("fragmentation needed", RFC 1191, or "packet too big", RFC 8201) comes to the tunnel's source, the load
/// balancer's own address, and quotes the outer packet. When the quote reaches into the client's packet (RFC 1812
/// routers quote up to 576 bytes, IPv6 ones up to 1280) and that packet went to a tunnel-mode VIP, the client hears
/// the news about its own packet from the VIP, with the reported MTU less the tunnel header: path MTU discovery
/// through the VIP works end to end, as the kernel's tunnels relay such errors. Called by ip4-local and ip6-local.
/// </summary>
internal static class TunnelErrorRelay
{
    private const int MaxQuote4 = 576 - Ip4.MinHeaderLength - 8, MaxQuote6 = Ip6.MinMtu - Ip6.HeaderLength - 8;

    /// <summary>True when <paramref name="icmp"/> (the ICMP or ICMPv6 message of packet <paramref name="p"/>) was relayed and the packet freed.</summary>
    public static bool TryRelay(Worker w, int p, ReadOnlySpan<byte> icmp, bool icmp6)
    {
        if (w.Dataplane.Lb is not { } lb || icmp.Length < 8) return false;
        uint mtu;
        if (icmp6)
        {
            if (icmp[0] != 2 || icmp[1] != 0) return false;
            mtu = BinaryPrimitives.ReadUInt32BigEndian(icmp[4..]);
        }
        else
        {
            if (icmp[0] != 3 || icmp[1] != 4) return false;
            mtu = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
        }
        var outer = icmp[8..];
        if (!TryInner(lb, outer, out var overhead)) return false;
        var inner = outer[overhead..];
        var inner6 = inner[0] >> 4 == 6;
        if (!IsToTunnelVip(lb, inner, inner6, out var vipAddress)) return false;
        var room = (int)Math.Min(mtu, 65535) - overhead;
        if (inner6) room = Math.Max(room, Ip6.MinMtu);
        else if (room < Ip4.MinHeaderLength + 8) return false;
        if (!Send(w, p, inner, inner6, vipAddress, (uint)room)) return false;
        w.Pool.Free(p);
        return true;
    }

    // The quoted outer packet is the load balancer's (from its tunnel source, GRE without options or IP in IP); the
    // client's packet inside is quoted with its whole header.
    private static bool TryInner(LoadBalancer lb, ReadOnlySpan<byte> outer, out int overhead)
    {
        overhead = 0;
        if (outer.Length < Ip4.MinHeaderLength) return false;
        byte protocol;
        if (outer[0] >> 4 == 4)
        {
            overhead = Ip4.HeaderLength(outer);
            if (overhead < Ip4.MinHeaderLength || outer.Length < overhead || lb.Config.Ip4Source == 0 || Ip4.Source(outer) != lb.Config.Ip4Source) return false;
            protocol = Ip4.Protocol(outer);
        }
        else if (outer[0] >> 4 == 6 && outer.Length >= Ip6.HeaderLength)
        {
            overhead = Ip6.HeaderLength;
            if (lb.Config.Ip6Source == UInt128.Zero || Ip6.Source(outer) != lb.Config.Ip6Source) return false;
            protocol = Ip6.NextHeader(outer);
        }
        else return false;
        if (protocol == Encapsulation.ProtoGre)
        {
            if (outer.Length < overhead + 4 || BinaryPrimitives.ReadUInt16BigEndian(outer[overhead..]) != 0) return false; // the load balancer's GRE: no key, checksum or sequence
            var type = BinaryPrimitives.ReadUInt16BigEndian(outer[(overhead + 2)..]);
            overhead += 4;
            if (type is not (Ethernet.TypeIp4 or Ethernet.TypeIp6) || outer.Length <= overhead || (outer[overhead] >> 4 == 6) != (type == Ethernet.TypeIp6)) return false;
        }
        else if (protocol is not (Encapsulation.ProtoIp4 or Encapsulation.ProtoIp6)) return false;
        var inner = outer[overhead..];
        return inner.Length >= Ip4.MinHeaderLength && (inner[0] >> 4 == 4 ? inner.Length >= Ip4.HeaderLength(inner) && Ip4.HeaderLength(inner) >= Ip4.MinHeaderLength
            : inner[0] >> 4 == 6 && inner.Length >= Ip6.HeaderLength);
    }

    // The client's packet went to a VIP in one of the tunnel modes (its ports, when quoted, pick among a VIP's ports).
    private static bool IsToTunnelVip(LoadBalancer lb, ReadOnlySpan<byte> inner, bool inner6, out UInt128 vipAddress)
    {
        var l4 = inner6 ? Ip6.HeaderLength : Ip4.HeaderLength(inner);
        var protocol = inner6 ? Ip6.NextHeader(inner) : Ip4.Protocol(inner);
        var port = protocol is Ip4.ProtoTcp or Ip4.ProtoUdp && inner.Length >= l4 + 4 ? BinaryPrimitives.ReadUInt16BigEndian(inner[(l4 + 2)..]) : (ushort)0;
        vipAddress = inner6 ? Ip6.Destination(inner) : Ip6.Mapped(Ip4.Destination(inner));
        var vip = inner6 ? lb.Match6(vipAddress, protocol, port) : lb.Match4((uint)vipAddress, protocol, port);
        return vip is { Config.Mode: not (LbMode.Nat or LbMode.FullNat or LbMode.L3Dsr) };
    }

    // The error to the client, from the VIP, quoting what the router quoted of its packet.
    private static bool Send(Worker w, int p, ReadOnlySpan<byte> inner, bool inner6, UInt128 vipAddress, uint room)
    {
        var e = w.Pool.Allocate();
        if (e < 0) return false;
        ref var m = ref w.Pool.Meta[e];
        m.RxInterface = w.Pool.Meta[p].RxInterface;
        m.Originated = true;
        m.Traced = w.Pool.Meta[p].Traced;
        m.TraceId = w.Pool.Meta[p].TraceId;
        var quoted = Math.Min(inner.Length, inner6 ? MaxQuote6 : MaxQuote4);
        var ipLength = inner6 ? Ip6.HeaderLength : Ip4.MinHeaderLength;
        m.Length = ipLength + 8 + quoted;
        var h = w.Pool.Data(e);
        var icmp = h[ipLength..];
        icmp[..8].Clear();
        inner[..quoted].CopyTo(icmp[8..]);
        if (inner6)
        {
            icmp[0] = 2;
            BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], room);
            Ip6.WriteHeader(h, 8 + quoted, Ip6.ProtoIcmp6, 64, vipAddress, Ip6.Source(inner));
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Ip6.UpperChecksum(h, icmp[..(8 + quoted)], Ip6.ProtoIcmp6));
        }
        else
        {
            icmp[0] = 3;
            icmp[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], (ushort)room);
            Ip4.WriteHeader(h, m.Length, 64, Ip4.ProtoIcmp, (uint)vipAddress, Ip4.Source(inner));
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp[..(8 + quoted)]));
        }
        if (m.Traced) w.Trace(e, "tunnel-error-relay", $"too big in the tunnel: {room} to the client");
        w.Graph.Enqueue(inner6 ? w.Lookup6 : w.Lookup, e);
        return true;
    }
}
