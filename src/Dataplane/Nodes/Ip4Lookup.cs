using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Longest-prefix match of the destination in the receiving interface's table: local, forwarded (interface and next
/// hop set; of a multipath route, the path the flow hash picks), or refused.
/// </summary>
internal sealed class Ip4Lookup(Worker w) : GraphNode("ip4-lookup")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        Ip4Fib? fib = null;
        var fibOf = int.MinValue;
        var outOf = -1;
        GraphNode? next = null;
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var of = m.TableSlot != 0 ? -m.TableSlot : m.RxInterface;
            if (of != fibOf)
            {
                // The receiving interface's table (VRF), or the one the packet names (a tunnel's underlay).
                fib = (m.TableSlot != 0 ? w.Dataplane.TableSlots[m.TableSlot - 1] : w.Interface(m.RxInterface)?.Table)?.Fib4;
                fibOf = of;
            }
            if (fib is null)
            {
                w.Discard(p, DropReason.InterfaceDown);
                fibOf = int.MinValue;
                continue;
            }
            var h = w.Pool.Data(p);
            var destination = Ip4.Destination(h);
            if (destination >> 28 == 0xe || destination == uint.MaxValue)
            {
                w.Graph.Enqueue(w.Punt, p); // multicast and broadcast: the host stack's (routing protocols)
                continue;
            }
            var a = fib.Lookup(destination);
            if (a.Kind == RouteKind.Multipath) a = fib.Paths.Pick(a.PathSet, FlowHash.OfIp4(h));
            if (m.Traced) w.Trace(p, Name, $"{Ip4.Format(destination)}: {a.Kind}");
            switch (a.Kind)
            {
                case RouteKind.Local:
                    w.Graph.Enqueue(w.Local, p);
                    break;
                case RouteKind.Connected:
                    m.TxInterface = a.Interface;
                    m.NextHop = destination;
                    w.Graph.Enqueue(m.Originated ? w.Rewrite : Out(a.Interface, ref outOf, ref next), p);
                    break;
                case RouteKind.NextHop:
                    m.TxInterface = a.Interface;
                    m.NextHop = a.NextHop;
                    w.Graph.Enqueue(m.Originated ? w.Rewrite : Out(a.Interface, ref outOf, ref next), p);
                    break;
                case RouteKind.Blackhole:
                    w.Discard(p, DropReason.BlackholeRoute);
                    break;
                case RouteKind.Unreachable:
                    Ip4IcmpError.Send(w, p, 3, 1, DropReason.NoRoute);
                    break;
                case RouteKind.Prohibit:
                    Ip4IcmpError.Send(w, p, 3, 13, DropReason.NoRoute);
                    break;
                default:
                    Ip4IcmpError.Send(w, p, 3, 0, DropReason.NoRoute); // network unreachable (RFC 1812 §5.2.7.1)
                    break;
            }
        }
    }

    // Forwarded packets pass the egress interface's output ACL first (the dataplane's own packets do not); the
    // answer is kept for the run of packets to the same interface.
    private GraphNode Out(int tx, ref int outOf, ref GraphNode? next)
    {
        if (tx != outOf || next is null)
        {
            next = w.Interface(tx)?.OutputAcl is not null ? w.AclOut : w.Rewrite;
            outOf = tx;
        }
        return next;
    }
}
