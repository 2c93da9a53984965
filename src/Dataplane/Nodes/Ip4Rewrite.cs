using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Forwards: TTL decrement with an incremental checksum update (ICMP time exceeded at 1), the egress MTU (ICMP
/// fragmentation needed when DF is set), the neighbor's MAC (an ARP request when it is unknown) and the
/// Ethernet header in front; then to interface-output.
/// </summary>
internal sealed class Ip4Rewrite(Worker w) : GraphNode("ip4-rewrite")
{
    // Unresolved next hops: when the last ARP request for each was sent (one per 100 ms at most).
    private readonly Dictionary<(int, uint), long> _asked = [];

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var h = w.Pool.Data(p);
            var itf = w.Interface(m.TxInterface);
            if (itf is null || !itf.OperUp)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            if (!m.Originated)
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
                if (Ip4.DontFragment(h)) Ip4IcmpError.Send(w, p, 3, 4, DropReason.FragmentationNeeded, (ushort)itf.Mtu);
                else w.Discard(p, DropReason.FragmentationNeeded); // fragmentation is not done yet
                continue;
            }
            if (!w.Dataplane.Neighbors.TryGet(itf.Index, m.NextHop, out var mac))
            {
                var now = Environment.TickCount64;
                if (!_asked.TryGetValue((itf.Index, m.NextHop), out var last) || now - last >= 100)
                {
                    if (_asked.Count > 4096) _asked.Clear();
                    _asked[(itf.Index, m.NextHop)] = now;
                    ArpInput.Request(w, itf, m.NextHop);
                }
                w.Trace(p, Name, $"no neighbor {Ip4.Format(m.NextHop)} on {itf.Name}: ARP request");
                w.Discard(p, DropReason.NeighborMiss);
                continue;
            }
            w.Pool.Advance(p, -Ethernet.HeaderLength);
            Ethernet.WriteHeader(w.Pool.Data(p), mac, itf.Mac, Ethernet.TypeIp4);
            w.Trace(p, Name, $"to {itf.Name} {Ethernet.Format(mac)}");
            w.Graph.Enqueue(w.Output, p);
        }
    }
}
