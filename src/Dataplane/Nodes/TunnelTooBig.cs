using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// A load balancer tunnel packet too big for its egress link (ip4-rewrite, ip6-rewrite). The client's packet inside
/// is what has to shrink: the outer header comes off and the client hears "fragmentation needed" (RFC 1191) or
/// "packet too big" (RFC 8201) about its own packet, with the link's MTU less the tunnel header, from the interface
/// it came in on; the outer packet is the load balancer's own, so the error would otherwise go nowhere (a black hole
/// for path MTU discovery through a tunnel-mode VIP). Packets that may be cut are cut instead: an IPv4 packet without
/// DF inside IPv4 (the outer header copied its DF, RFC 2003 §3.1) and an IPv6 packet of at most 1280 bytes inside
/// IPv4 (RFC 4213 §3.2: IPv6's minimum MTU holds through the tunnel), both by ip4-fragment on the outer packet, and
/// inside IPv6 by ip6-fragment (the load balancer is the outer packet's source, which may fragment it, RFC 8200 §4.5).
/// </summary>
internal static class TunnelTooBig
{
    /// <summary>True: the error is on its way; false: the caller cuts the outer packet (an IPv4 one's DF is clear now).</summary>
    public static bool Handle(Worker w, int p, int mtu)
    {
        var overhead = w.Pool.Meta[p].TunnelOverhead;
        var h = w.Pool.Data(p);
        var outer6 = h[0] >> 4 == 6;
        var inner = h[overhead..];
        var room = mtu - overhead;
        bool mayCut;
        if (inner[0] >> 4 == 4) mayCut = !Ip4.DontFragment(inner);
        else mayCut = inner.Length <= Ip6.MinMtu;
        if (mayCut)
        {
            if (!outer6) ClearDontFragment(h);
            return false;
        }
        // The client's packet again, as it came: its error goes back to the client.
        w.Pool.Advance(p, overhead);
        ref var m = ref w.Pool.Meta[p];
        m.Originated = false;
        m.TunnelOverhead = 0;
        if (inner[0] >> 4 == 4) Ip4IcmpError.Send(w, p, 3, 4, DropReason.FragmentationNeeded, (uint)room);
        else Ip6IcmpError.Send(w, p, 2, 0, DropReason.FragmentationNeeded, (uint)Math.Max(Ip6.MinMtu, room));
        return true;
    }

    // DF off, the header checksum updated (RFC 1624).
    private static void ClearDontFragment(Span<byte> h)
    {
        var old = BinaryPrimitives.ReadUInt16BigEndian(h[6..]);
        h[6] &= 0xbf;
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(h[10..]), old, BinaryPrimitives.ReadUInt16BigEndian(h[6..])));
    }
}
