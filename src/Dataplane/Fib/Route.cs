namespace Mgmt.Dataplane.Fib;

/// <summary>What a route does with a packet.</summary>
public enum RouteKind
{
    /// <summary>No route: dropped (the FIB's leaf 0).</summary>
    None,

    /// <summary>To one of this dataplane's own addresses: handed to ip4-local.</summary>
    Local,

    /// <summary>An attached subnet: the destination itself is resolved on the interface.</summary>
    Connected,

    /// <summary>Through a next-hop router on an interface.</summary>
    NextHop,

    /// <summary>Silently dropped.</summary>
    Blackhole,

    /// <summary>Dropped with ICMP destination unreachable (host unreachable).</summary>
    Unreachable,

    /// <summary>Dropped with ICMP destination unreachable (administratively prohibited).</summary>
    Prohibit,

    /// <summary>Several next hops (ECMP, weighted): the flow hash picks one from the FIB's path set.</summary>
    Multipath,
}

/// <summary>
/// A route's forwarding decision as the workers read it: kind, interface and next hop; for
/// <see cref="RouteKind.Multipath"/>, the index of its path set in the FIB instead.
/// </summary>
public readonly record struct Adjacency(RouteKind Kind, int Interface, uint NextHop, int PathSet = 0);

/// <summary>A route as the control plane gave it.</summary>
public readonly record struct Ip4Route(uint Prefix, int Length, Adjacency Adjacency)
{
    public override string ToString() => $"{Mgmt.Dataplane.Packets.Ip4.Format(Prefix)}/{Length} {Adjacency.Kind}" +
        (Adjacency.Kind is RouteKind.Multipath ? $" path set {Adjacency.PathSet}" : "") +
        (Adjacency.Kind is RouteKind.NextHop ? $" via {Mgmt.Dataplane.Packets.Ip4.Format(Adjacency.NextHop)}" : "") +
        (Adjacency.Kind is RouteKind.Connected or RouteKind.NextHop or RouteKind.Local ? $" if {Adjacency.Interface}" : "");
}

/// <summary>An IPv4 next hop of a route as the API takes it: the address, its interface (null: resolved through the table) and its weight.</summary>
public readonly record struct Ip4NextHop(uint Address, string? Interface = null, int Weight = 1);

/// <summary>An IPv6 next hop of a route as the API takes it.</summary>
public readonly record struct Ip6NextHop(UInt128 Address, string? Interface = null, int Weight = 1);
