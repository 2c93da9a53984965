using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// IPv6 destination lookup: the groups the interface joined and its link-local address go to ip6-local; other
/// link-local and multicast destinations are not forwarded (the dataplane's own packets to them leave by the
/// interface they answer); the rest by longest-prefix match.
/// </summary>
internal sealed class Ip6Lookup(Worker w) : GraphNode("ip6-lookup")
{
    // Pass one finds the leaves of the vector's destinations at once (Ip6Fib.Leaves: the table reads of many
    // packets overlap); pass two acts on each packet.
    private readonly ulong[] _his = new ulong[Frame.Size], _los = new ulong[Frame.Size], _highs = new ulong[Frame.Size];
    private readonly uint[] _lows = new uint[Frame.Size], _leaves = new uint[Frame.Size];

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        // Pass one covers the packets up to the first from another table (a vector mostly has one).
        var pool = w.Pool;
        var meta = pool.Meta;
        Ip6Fib? fib = null;
        var fibOf = int.MinValue;
        var prepared = 0;
        var first = packets.Length > 0 ? Table(ref meta[packets[0]], ref fibOf, ref fib) : null;
        var firstOf = fibOf;
        for (; first is not null && prepared < packets.Length; prepared++)
        {
            ref var pm = ref meta[packets[prepared]];
            if ((pm.TableSlot != 0 ? -pm.TableSlot : pm.RxInterface) != firstOf) break;
            var header = pool.Data(packets[prepared]);
            _his[prepared] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header[24..]);
            _los[prepared] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header[32..]);
        }
        first?.Leaves(_his.AsSpan(0, prepared), _los.AsSpan(0, prepared), _leaves, _highs, _lows);
        fib = null;
        fibOf = int.MinValue;
        for (var i = 0; i < packets.Length; i++)
        {
            var p = packets[i];
            ref var m = ref meta[p];
            if (Table(ref m, ref fibOf, ref fib) is not { } table)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            var destination = Ip6.Destination(w.Pool.Data(p));
            if (Ip6.IsMulticast(destination) || Ip6.IsLinkLocal(destination))
            {
                var rx = w.Interface(m.RxInterface);
                if (m.Originated)
                {
                    m.TxInterface = m.RxInterface;
                    m.NextHop6 = destination;
                    w.Graph.Enqueue(Out(w, m, w.Rewrite6), p);
                }
                // The solicited-node groups of the load balancer's VIP and local addresses too: it answers for them.
                else if (rx is not null && (Ip6.IsMulticast(destination) ? rx.Joined(destination) || w.Dataplane.Lb?.ListensTo6(destination) == true : rx.Owns6(destination)))
                    w.Graph.Enqueue(w.Local6, p);
                else if (Ip6.IsMulticast(destination)) w.Graph.Enqueue(w.Punt, p); // other groups: the host stack's (OSPFv3, RIPng)
                else w.Discard(p, DropReason.NotForUs);
                continue;
            }
            var h = w.Pool.Data(p);
            // A leaf is only good for the table it came from (the interface may have moved to another meanwhile).
            var a = i < prepared && table == first ? table.Decision(_leaves[i])
                : table.Lookup(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(h[24..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(h[32..]));
            if (a.Kind == RouteKind.Multipath) a = table.Paths.Pick(a.PathSet, FlowHash.OfIp6(h));
            if (m.Traced) w.Trace(p, Name, $"{Ip6.Format(destination)}: {a.Kind}");
            switch (a.Kind)
            {
                case RouteKind.Local:
                    w.Graph.Enqueue(w.Local6, p);
                    break;
                case RouteKind.Connected:
                    m.TxInterface = a.Interface;
                    m.NextHop6 = destination;
                    w.Graph.Enqueue(Out(w, m, w.Rewrite6), p);
                    break;
                case RouteKind.NextHop:
                    m.TxInterface = a.Interface;
                    m.NextHop6 = a.NextHop;
                    w.Graph.Enqueue(Out(w, m, w.Rewrite6), p);
                    break;
                case RouteKind.Blackhole:
                    w.Discard(p, DropReason.BlackholeRoute);
                    break;
                case RouteKind.Unreachable:
                    Ip6IcmpError.Send(w, p, 1, 3, DropReason.NoRoute); // address unreachable
                    break;
                case RouteKind.Prohibit:
                    Ip6IcmpError.Send(w, p, 1, 1, DropReason.NoRoute); // administratively prohibited
                    break;
                default:
                    Ip6IcmpError.Send(w, p, 1, 0, DropReason.NoRoute); // no route to destination
                    break;
            }
        }
    }

    // The packet's table (Worker.TableOf), kept for the run of packets with the same one.
    private Ip6Fib? Table(ref Packets.PacketMeta m, ref int fibOf, ref Ip6Fib? fib)
    {
        var of = m.TableSlot != 0 ? -m.TableSlot : m.RxInterface;
        if (of == fibOf && fib is not null) return fib;
        fib = w.TableOf(m, out fibOf)?.Fib6;
        return fib;
    }

    // Forwarded packets pass the egress interface's output ACL first; the dataplane's own packets do not.
    private static GraphNode Out(Worker w, in Packets.PacketMeta m, GraphNode rewrite) =>
        !m.Originated && w.Interface(m.TxInterface)?.OutputAcl is not null ? w.AclOut : rewrite;
}
