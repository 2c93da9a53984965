using Mgmt.Dataplane.Acl;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>How the load balancer hands a VIP's packets to the application server it chose.</summary>
public enum LbMode : byte
{
    /// <summary>In GRE over IPv4 to the server (which decapsulates and answers the client directly).</summary>
    Gre4,

    /// <summary>In GRE over IPv6.</summary>
    Gre6,

    /// <summary>IP in IPv4 (RFC 2003; IPv6 in IPv4 for an IPv6 VIP).</summary>
    IpIp4,

    /// <summary>IP in IPv6 (RFC 2473).</summary>
    IpIp6,

    /// <summary>L3 DSR: the destination becomes the server's address and the DSCP the VIP's, which the server maps back to the VIP.</summary>
    L3Dsr,

    /// <summary>NAT (the kube-proxy style): the destination becomes the server's address and target port, replies come back through here and leave from the VIP.</summary>
    Nat,

    /// <summary>
    /// Full NAT (the seed's DPDK-SLB): NAT, and the source becomes one of the load balancer's local addresses and a
    /// port the worker owns, so that the server answers the load balancer whatever its routes, and its answer
    /// reaches the worker that holds the flow.
    /// </summary>
    FullNat,
}

/// <summary>
/// An application server of a VIP: its address (IPv4 as IPv4-mapped), weight (0: drained, no new flows) and, in the
/// NAT modes, its own port (0: the VIP's target port), for servers of one VIP that listen on different ports (a
/// Kubernetes named port that differs between pods).
/// </summary>
public sealed record LbServer(UInt128 Address, int Weight = 100, ushort Port = 0)
{
    public static LbServer V4(uint address, int weight = 100, ushort port = 0) => new(Packets.Ip6.Mapped(address), weight, port);

    public override string ToString() => $"{LoadBalancer.Format(Address)}{(Port == 0 ? "" : $" port {Port}")} weight {Weight}";
}

/// <summary>
/// A virtual IP (VPP's LB VIP): a prefix (IPv4 as IPv4-mapped with its length + 96), optionally one protocol and
/// port, the mode, the servers, and the Maglev table size (a prime). <see cref="TargetPort"/>: the servers' port in
/// NAT mode (0: the VIP's port). <see cref="Dscp"/>: the code point of L3 DSR.
/// </summary>
/// <remarks>
/// <see cref="ClientAffinity"/>: a client's new connections go to the server of its last one while they come within
/// this time of each other and that server stays (Kubernetes' sessionAffinity ClientIP and its timeoutSeconds); a
/// new client gets the server its address alone picks. <see cref="AffinityScope"/> names VIPs that share their
/// clients' servers (a service port on its cluster IP, external IPs and node ports); null: the VIP alone. In NAT
/// mode a client that is itself the chosen server (a pod reaching its own service) has its source translated to the
/// receiving interface's address, so that the answer comes back through here (hairpinning).
/// </remarks>
public sealed record LbVip(UInt128 Prefix, int Length, LbMode Mode, IReadOnlyList<LbServer> Servers, byte Protocol = 0, ushort Port = 0,
    ushort TargetPort = 0, int TableSize = Maglev.DefaultSize, byte Dscp = 0, TimeSpan? ClientAffinity = null, string? AffinityScope = null)
{
    /// <summary>The longest client affinity (Kubernetes' limit).</summary>
    public static readonly TimeSpan MaxAffinity = TimeSpan.FromDays(1);

    public static LbVip V4(uint address, LbMode mode, IReadOnlyList<LbServer> servers, byte protocol = 0, ushort port = 0, ushort targetPort = 0, int tableSize = Maglev.DefaultSize) =>
        new(Packets.Ip6.Mapped(address), 128, mode, servers, protocol, port, targetPort, tableSize);

    public bool IsV4 => Packets.Ip6.IsMapped(Prefix) && Length >= 96;

    public override string ToString() =>
        $"{LoadBalancer.Format(Prefix)}/{(IsV4 ? Length - 96 : Length)}{(Protocol == 0 ? "" : $" proto {Protocol} port {Port}")} {Mode}";
}

/// <summary>
/// The load balancer's whole configuration: the VIPs, the source addresses of its tunnels (IPv4 and IPv6, needed by
/// the tunnel modes of that outer family), the flow table size per worker and its idle timeouts.
/// </summary>
public sealed record LbConfig
{
    public IReadOnlyList<LbVip> Vips { get; init; } = [];

    /// <summary>Outer source of GRE4 and IPIP4 (0: none).</summary>
    public uint Ip4Source { get; init; }

    /// <summary>Outer source of GRE6 and IPIP6 (0: none).</summary>
    public UInt128 Ip6Source { get; init; }

    /// <summary>The local addresses full-NAT flows to IPv4 VIPs come from (the servers must route them back here).</summary>
    public IReadOnlyList<uint> LocalAddresses { get; init; } = [];

    /// <summary>The local addresses full-NAT flows to IPv6 VIPs come from.</summary>
    public IReadOnlyList<UInt128> LocalAddresses6 { get; init; } = [];

    /// <summary>Flows at most on each worker (the sticky table); a change of it starts every worker's flows afresh.</summary>
    public int FlowsPerWorker { get; init; } = 100_000;

    public SessionTimeouts Timeouts { get; init; } = new();

    /// <summary>Clients at most that client affinity remembers (all VIPs and workers together); a change of it forgets them all.</summary>
    public int AffinityClients { get; init; } = 1 << 20;
}

/// <summary>Load balancer counters summed over the workers.</summary>
public readonly record struct LbCounters(long Flows, long Created, long Expired, long Forwarded, long Returned, long NoServer, long Refused);
