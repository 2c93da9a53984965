using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Neighbors;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Forwards IPv6: hop limit decrement (ICMPv6 time exceeded at 1), the egress MTU (ICMPv6 packet too big: routers
/// do not fragment IPv6), the neighbor's MAC (a neighbor solicitation and the <see cref="HoldQueue"/> while it is
/// unknown; a group's MAC for multicast), the Ethernet header; then to interface-output.
/// </summary>
internal sealed class Ip6Rewrite(Worker w) : GraphNode("ip6-rewrite")
{
    private readonly HoldQueue _hold = new(w);

    private readonly RewriteCache _headers = new();

    /// <summary>A neighbor became known (neighbor discovery): its held packets go out.</summary>
    public void Resolved(int interfaceIndex, UInt128 address) => _hold.Resolved(interfaceIndex, address, this);

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var pool = w.Pool; // locals: the JIT would reload them through w for every packet
        var meta = pool.Meta;
        var now = Environment.TickCount64;
        _hold.Expire(now);
        var neighbors = w.Dataplane.Neighbors;
        var version = neighbors.Version;
        var recheck = Math.Min(RewriteCache.MinRecheckMs, (long)neighbors.Aging.Reachable.TotalMilliseconds);
        Interfaces.DpInterface? itf = null;
        var up = false;
        var header = default(EthernetRewrite);
        foreach (var p in packets)
        {
            ref var m = ref meta[p];
            var h = pool.Data(p);
            if (itf?.Index != m.TxInterface)
            {
                // A vector mostly leaves by one interface: its state is read once for the run.
                itf = w.Interface(m.TxInterface);
                up = itf is not null && itf.OperUp;
            }
            if (!up || itf is null)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            if (!m.Originated && !m.Held)
            {
                if (Ip6.HopLimit(h) <= 1)
                {
                    Ip6IcmpError.Send(w, p, 3, 0, DropReason.TtlExpired);
                    continue;
                }
                h[7]--;
            }
            if (h.Length > itf.Mtu)
            {
                if (m.TunnelOverhead == 0) Ip6IcmpError.Send(w, p, 2, 0, DropReason.FragmentationNeeded, (uint)itf.Mtu);
                else if (!TunnelTooBig.Handle(w, p, itf.Mtu)) w.Graph.Enqueue(w.Fragment6, p); // the load balancer's own packet: it may cut it
                continue;
            }
            if (itf.Tunnel is not null)
            {
                w.Graph.Enqueue(w.TunnelEncap, p); // no neighbor on a tunnel: it is encapsulated instead
                continue;
            }
            if (m.NextHop6 != header.NextHop || itf.Index != header.Interface || header.Mac == 0)
            {
                // Packets of a vector mostly go to one neighbor: its header is kept for the run; a vector that goes to
                // several in turn finds theirs in the cache.
                if (!_headers.TryGet(itf.Index, m.NextHop6, itf.Mac, version, now, recheck, out header))
                {
                    ulong mac;
                    var probe = false;
                    if (Ip6.IsMulticast(m.NextHop6)) mac = Ip6.MulticastMac(m.NextHop6);
                    else if (!_hold.TryNeighbor(itf.Index, m.NextHop6, now, out mac, out probe))
                    {
                        var target = m.NextHop6;
                        if (m.Traced) w.Trace(p, Name, $"no neighbor {Ip6.Format(target)} on {itf.Name}: held, neighbor solicitation");
                        _hold.Hold(p, itf.Index, target, () => Ip6Local.Solicit(w, itf, target));
                        continue;
                    }
                    if (probe) Ip6Local.Solicit(w, itf, m.NextHop6, unicast: true);
                    header = new EthernetRewrite(itf.Index, m.NextHop6, mac, itf.Mac, Ethernet.TypeIp6);
                    _headers.Put(header, itf.Mac, version, now, probe);
                }
            }
            pool.Advance(p, -Ethernet.HeaderLength);
            header.WriteTo(pool.Data(p));
            if (m.Traced) w.Trace(p, Name, $"to {itf.Name} {Ethernet.Format(header.Mac)}");
            w.Graph.Enqueue(w.Output, p);
        }
    }
}
