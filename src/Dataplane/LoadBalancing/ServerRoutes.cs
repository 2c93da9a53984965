using System.Runtime.CompilerServices;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>
/// One load balancer node's routes to its servers (by server number), as ip4-lookup and ip6-lookup find them, kept
/// while the table's routes stay the same (<see cref="Ip4Fib.Version"/>, <see cref="Ip6Fib.Version"/>): a packet to a
/// server goes on to the rewrite directly (VPP's LB stacks a VIP on its servers' FIB entries the same way), through
/// what the lookup would pass it through on the way: dsr-decap on an interface that takes DSR tunnels off, the
/// output ACL for forwarded (NAT mode) packets. Other decisions (local, multipath, drops), link-local and multicast
/// servers, and traced packets (their trace shows the lookup) take the lookup.
/// </summary>
internal sealed class ServerRoutes(Worker w)
{
    private Route4[] _four = new Route4[16];
    private Route6[] _six = new Route6[16];

    private struct Route4
    {
        public Ip4Fib? Fib;
        public int Version;
        public Adjacency Decision;
    }

    private struct Route6
    {
        public Ip6Fib? Fib;
        public int Version;
        public Ip6Adjacency Decision;
    }

    /// <summary>Sends packet <paramref name="p"/> (IPv4, to server <paramref name="number"/> at <paramref name="server"/>) on its way.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Send4(int p, ref PacketMeta m, int number, uint server)
    {
        var fib = w.TableOf(m, out _)?.Fib4;
        if (fib is null || m.Traced || !Fits(ref _four, number))
        {
            w.Graph.Enqueue(w.Lookup, p);
            return;
        }
        ref var route = ref _four[number];
        var version = fib.Version; // before the lookup: a change meanwhile shows at the next packet
        if (!ReferenceEquals(route.Fib, fib) || route.Version != version)
        {
            route.Decision = fib.Lookup(server);
            route.Fib = fib;
            route.Version = version;
        }
        var a = route.Decision;
        if (a.Kind is not (RouteKind.Connected or RouteKind.NextHop))
        {
            w.Graph.Enqueue(w.Lookup, p);
            return;
        }
        m.TxInterface = a.Interface;
        m.NextHop = a.Kind == RouteKind.Connected ? server : a.NextHop;
        w.Graph.Enqueue(Next(a.Interface, m.Originated, w.Rewrite), p);
    }

    /// <summary>The same for an IPv6 packet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Send6(int p, ref PacketMeta m, int number, UInt128 server)
    {
        var fib = w.TableOf(m, out _)?.Fib6;
        if (fib is null || m.Traced || Ip6.IsMulticast(server) || Ip6.IsLinkLocal(server) || !Fits(ref _six, number))
        {
            w.Graph.Enqueue(w.Lookup6, p);
            return;
        }
        ref var route = ref _six[number];
        var version = fib.Version;
        if (!ReferenceEquals(route.Fib, fib) || route.Version != version)
        {
            route.Decision = fib.Lookup(server);
            route.Fib = fib;
            route.Version = version;
        }
        var a = route.Decision;
        if (a.Kind is not (RouteKind.Connected or RouteKind.NextHop))
        {
            w.Graph.Enqueue(w.Lookup6, p);
            return;
        }
        m.TxInterface = a.Interface;
        m.NextHop6 = a.Kind == RouteKind.Connected ? server : a.NextHop;
        w.Graph.Enqueue(Next(a.Interface, m.Originated, w.Rewrite6), p);
    }

    // As the lookups send a packet on: dsr-decap, the output ACL (forwarded packets only), or the rewrite.
    private Graph.GraphNode Next(int tx, bool originated, Graph.GraphNode rewrite)
    {
        var itf = w.Interface(tx);
        return itf?.DsrDecap == true ? w.DsrDecap : itf?.OutputAcl is not null && !originated ? w.AclOut : rewrite;
    }

    // Room for server `number` (false beyond any real server count: the lookup then).
    private static bool Fits<T>(ref T[] routes, int number)
    {
        if ((uint)number < (uint)routes.Length) return true;
        if ((uint)number > 1 << 20) return false;
        Array.Resize(ref routes, Math.Max(number + 1, routes.Length * 2));
        return true;
    }
}
