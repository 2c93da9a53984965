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
    // Pass one finds the trie's leaves of the whole vector at once (Ip4Fib.Leaves: the trie's reads of many packets
    // overlap instead of stalling one after another); pass two acts on each packet.
    private readonly uint[] _destinations = new uint[Frame.Size];
    private readonly uint[] _leaves = new uint[Frame.Size];

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        // Pass one covers the packets up to the first from another table (a vector mostly has one).
        var pool = w.Pool;
        var meta = pool.Meta;
        var graph = w.Graph;
        Ip4Fib? fib = null;
        var fibOf = int.MinValue;
        var destinations = _destinations.AsSpan(0, packets.Length);
        var leaves = _leaves.AsSpan(0, packets.Length);
        var prepared = 0;
        var first = packets.Length > 0 ? Table(ref meta[packets[0]], ref fibOf, ref fib) : null;
        var firstOf = fibOf;
        for (; first is not null && prepared < packets.Length; prepared++)
        {
            ref var m = ref meta[packets[prepared]];
            if ((m.TableSlot != 0 ? -m.TableSlot : m.RxInterface) != firstOf) break; // another table: pass two looks it up alone
            destinations[prepared] = Ip4.Destination(pool.Data(packets[prepared]));
        }
        first?.Leaves(destinations[..prepared], leaves);
        fib = null;
        fibOf = int.MinValue;
        var outOf = -1;
        GraphNode? next = null, own = null;
        for (var i = 0; i < packets.Length; i++)
        {
            var p = packets[i];
            ref var m = ref meta[p];
            if (Table(ref m, ref fibOf, ref fib) is not { } table)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            // Pass one read the destinations; the packet's bytes are needed again only for a multipath flow hash.
            var destination = i < prepared ? destinations[i] : Ip4.Destination(pool.Data(p));
            if (destination >> 28 == 0xe || destination == uint.MaxValue)
            {
                graph.Enqueue(w.Punt, p); // multicast and broadcast: the host stack's (routing protocols)
                continue;
            }
            // A leaf is only good for the table it came from (the interface may have moved to another meanwhile).
            var a = i < prepared && table == first ? table.Decision(leaves[i]) : table.Lookup(destination);
            if (a.Kind == RouteKind.Multipath) a = table.Paths.Pick(a.PathSet, FlowHash.OfIp4(pool.Data(p)));
            if (m.Traced) w.Trace(p, Name, $"{Ip4.Format(destination)}: {a.Kind}");
            switch (a.Kind)
            {
                case RouteKind.Local:
                    graph.Enqueue(w.Local, p);
                    break;
                case RouteKind.Connected:
                    m.TxInterface = a.Interface;
                    m.NextHop = destination;
                    graph.Enqueue(Out(a.Interface, m.Originated, ref outOf, ref next, ref own), p);
                    break;
                case RouteKind.NextHop:
                    m.TxInterface = a.Interface;
                    m.NextHop = a.NextHop;
                    graph.Enqueue(Out(a.Interface, m.Originated, ref outOf, ref next, ref own), p);
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

    // The packet's table (Worker.TableOf), kept for the run of packets with the same one.
    private Ip4Fib? Table(ref PacketMeta m, ref int fibOf, ref Ip4Fib? fib)
    {
        var of = m.TableSlot != 0 ? -m.TableSlot : m.RxInterface;
        if (of == fibOf && fib is not null) return fib;
        fib = w.TableOf(m, out fibOf)?.Fib4;
        return fib;
    }

    // Forwarded packets pass the egress interface's output ACL first (the dataplane's own packets do not); an
    // interface that takes the load balancer's DSR tunnels off sends both through dsr-decap first. The answers are
    // kept for the run of packets to the same interface.
    private GraphNode Out(int tx, bool originated, ref int outOf, ref GraphNode? next, ref GraphNode? own)
    {
        if (tx != outOf || next is null || own is null)
        {
            var itf = w.Interface(tx);
            own = itf?.DsrDecap == true ? w.DsrDecap : w.Rewrite;
            next = itf?.DsrDecap == true ? w.DsrDecap : itf?.OutputAcl is not null ? w.AclOut : w.Rewrite;
            outOf = tx;
        }
        return originated ? own : next;
    }
}
