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
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        Ip6Fib? fib = null;
        var fibOf = int.MinValue;
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var of = m.TableSlot != 0 ? -m.TableSlot : m.RxInterface;
            if (of != fibOf)
            {
                // The receiving interface's table (VRF), or the one the packet names (a tunnel's underlay).
                fib = (m.TableSlot != 0 ? w.Dataplane.TableSlots[m.TableSlot - 1] : w.Interface(m.RxInterface)?.Table)?.Fib6;
                fibOf = of;
            }
            if (fib is null)
            {
                w.Discard(p, DropReason.InterfaceDown);
                fibOf = int.MinValue;
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
                else if (rx is not null && (Ip6.IsMulticast(destination) ? rx.Joined(destination) : rx.Owns6(destination))) w.Graph.Enqueue(w.Local6, p);
                else if (Ip6.IsMulticast(destination)) w.Graph.Enqueue(w.Punt, p); // other groups: the host stack's (OSPFv3, RIPng)
                else w.Discard(p, DropReason.NotForUs);
                continue;
            }
            var h = w.Pool.Data(p);
            var a = fib.Lookup(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(h[24..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(h[32..]));
            if (a.Kind == RouteKind.Multipath) a = fib.Paths.Pick(a.PathSet, FlowHash.OfIp6(h));
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

    // Forwarded packets pass the egress interface's output ACL first; the dataplane's own packets do not.
    private static GraphNode Out(Worker w, in Packets.PacketMeta m, GraphNode rewrite) =>
        !m.Originated && w.Interface(m.TxInterface)?.OutputAcl is not null ? w.AclOut : rewrite;
}
