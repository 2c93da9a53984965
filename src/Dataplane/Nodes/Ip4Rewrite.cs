using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Neighbors;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Forwards: TTL decrement with an incremental checksum update (ICMP time exceeded at 1), the egress MTU (ICMP
/// fragmentation needed when DF is set, else cut by ip4-fragment, whose fragments come back), the neighbor's MAC
/// and the Ethernet header in front; then to interface-output. A packet for a neighbor not yet known waits in a
/// bounded <see cref="HoldQueue"/> while ARP asks for it.
/// </summary>
internal sealed class Ip4Rewrite(Worker w) : GraphNode("ip4-rewrite")
{
    private readonly HoldQueue _hold = new(w);

    private readonly RewriteCache _headers = new();

    /// <summary>A neighbor became known (ARP): its held packets go out.</summary>
    public void Resolved(int interfaceIndex, uint address) => _hold.Resolved(interfaceIndex, NeighborTable.Mapped(address), this);

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var pool = w.Pool; // locals: the JIT would reload them through w for every packet
        var meta = pool.Meta;
        var graph = w.Graph;
        var output = w.Output;
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
                if (Ip4.Ttl(h) <= 1)
                {
                    Ip4IcmpError.Send(w, p, 11, 0, DropReason.TtlExpired);
                    continue;
                }
                Ip4.DecrementTtl(h);
            }
            if (h.Length > itf.Mtu)
            {
                if (m.TunnelOverhead != 0 && TunnelTooBig.Handle(w, p, itf.Mtu)) continue; // a load balancer tunnel's client hears of it
                if (Ip4.DontFragment(h)) Ip4IcmpError.Send(w, p, 3, 4, DropReason.FragmentationNeeded, (uint)itf.Mtu);
                else graph.Enqueue(w.Fragment, p); // its fragments come back here, TTL lowered
                continue;
            }
            if (itf.Tunnel is not null)
            {
                graph.Enqueue(w.TunnelEncap, p); // no neighbor on a tunnel: it is encapsulated instead
                continue;
            }
            if (m.NextHop != (uint)header.NextHop || itf.Index != header.Interface || header.Mac == 0)
            {
                // Packets of a vector mostly go to one neighbor: its header is kept for the run; a vector that goes to
                // several in turn finds theirs in the cache.
                if (!_headers.TryGet(itf.Index, m.NextHop, itf.Mac, version, now, recheck, out header))
                {
                    if (!_hold.TryNeighbor(itf.Index, NeighborTable.Mapped(m.NextHop), now, out var mac, out var probe))
                    {
                        Hold(p, itf, m.NextHop);
                        continue;
                    }
                    if (probe) ArpInput.Request(w, itf, m.NextHop, mac);
                    header = new EthernetRewrite(itf.Index, m.NextHop, mac, itf.Mac, Ethernet.TypeIp4);
                    _headers.Put(header, itf.Mac, version, now, probe);
                }
            }
            pool.Advance(p, -Ethernet.HeaderLength);
            header.WriteTo(pool.Data(p));
            if (m.Traced) w.Trace(p, Name, $"to {itf.Name} {Ethernet.Format(header.Mac)}");
            graph.Enqueue(output, p);
        }
    }

    private void Hold(int p, Interfaces.DpInterface itf, uint nextHop)
    {
        if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"no neighbor {Ip4.Format(nextHop)} on {itf.Name}: held, ARP request");
        _hold.Hold(p, itf.Index, NeighborTable.Mapped(nextHop), () => ArpInput.Request(w, itf, nextHop));
    }
}
