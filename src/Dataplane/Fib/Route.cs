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
}

/// <summary>A route's forwarding decision as the workers read it: kind, interface and next hop.</summary>
public readonly record struct Adjacency(RouteKind Kind, int Interface, uint NextHop);

/// <summary>A route as the control plane gave it.</summary>
public readonly record struct Ip4Route(uint Prefix, int Length, Adjacency Adjacency)
{
    public override string ToString() => $"{Mgmt.Dataplane.Packets.Ip4.Format(Prefix)}/{Length} {Adjacency.Kind}" +
        (Adjacency.Kind is RouteKind.NextHop ? $" via {Mgmt.Dataplane.Packets.Ip4.Format(Adjacency.NextHop)}" : "") +
        (Adjacency.Kind is RouteKind.Connected or RouteKind.NextHop or RouteKind.Local ? $" if {Adjacency.Interface}" : "");
}
