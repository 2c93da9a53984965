using Mgmt.Dataplane.Acl;

namespace Mgmt.Dataplane.Nat;

/// <summary>An interface's side of NAT44: packets from inside to outside get their source translated, replies back.</summary>
public enum NatRole : byte
{
    None,
    Inside,
    Outside,
}

/// <summary>A range of IPv4 addresses, both ends included (an RFC 8512 external-ip-address-pool entry).</summary>
public readonly record struct Ip4Range(uint First, uint Last)
{
    public static Ip4Range Single(uint address) => new(address, address);

    public long Count => (long)Last - First + 1;

    public bool Contains(uint address) => address >= First && address <= Last;

    public override string ToString() => First == Last ? Packets.Ip4.Format(First) : $"{Packets.Ip4.Format(First)}-{Packets.Ip4.Format(Last)}";
}

/// <summary>
/// A static mapping (RFC 8512 static-mapping): an inside address known outside as <see cref="External"/>. With
/// <see cref="Protocol"/> 0 it is 1:1 (every protocol, ports kept): the inside host's connections leave from the
/// external address and connections to the external address reach it. With TCP (6) or UDP (17) and ports it is a
/// port forward: connections to External:ExternalPort reach Local:LocalPort (DNAT), and the inside server's own
/// connections from that port leave from External:ExternalPort.
/// </summary>
public sealed record StaticMapping(uint Local, uint External, byte Protocol = 0, ushort LocalPort = 0, ushort ExternalPort = 0)
{
    public bool IsPortMapping => Protocol != 0;

    public override string ToString() => IsPortMapping
        ? $"{Packets.Ip4.Format(Local)}:{LocalPort} <-> {Packets.Ip4.Format(External)}:{ExternalPort} proto {Protocol}"
        : $"{Packets.Ip4.Format(Local)} <-> {Packets.Ip4.Format(External)}";
}

/// <summary>
/// Endpoint-dependent NAT44 (RFC 8512's napt44 with static mappings), as one whole configuration the dataplane
/// checks and applies at once: which interfaces are inside and outside, the external addresses dynamic
/// translation takes its addresses and ports from, the static mappings, the session limit per worker and the idle
/// timeouts.
/// </summary>
public sealed record Nat44Config
{
    public IReadOnlyList<string> Inside { get; init; } = [];

    public IReadOnlyList<string> Outside { get; init; } = [];

    /// <summary>External addresses for dynamic translation (source NAT of inside connections).</summary>
    public IReadOnlyList<Ip4Range> Pool { get; init; } = [];

    /// <summary>Whether the outside interfaces' own IPv4 addresses join the pool (masquerading; they follow address changes).</summary>
    public bool UseOutsideAddresses { get; init; }

    public IReadOnlyList<StaticMapping> StaticMappings { get; init; } = [];

    /// <summary>Sessions at most on each worker; a change of it starts every worker's sessions afresh.</summary>
    public int SessionsPerWorker { get; init; } = 100_000;

    public SessionTimeouts Timeouts { get; init; } = new();

    /// <summary>The lowest port (and ICMP identifier) dynamic translation hands out; the range above it is split among the workers.</summary>
    public ushort FirstPort { get; init; } = 1024;
}

/// <summary>NAT44 counters summed over the workers.</summary>
public readonly record struct NatCounters(
    long Sessions, long Created, long Expired, long InToOut, long OutToIn, long Hairpinned, long IcmpErrors,
    long NoSession, long NoPorts, long Refused, long Fragments, long Unsupported);

/// <summary>One NAT44 session as the operational state shows it: the flow's first packet as it came and as it left, and its state.</summary>
public readonly record struct NatSessionInfo(Sessions.FlowKey4 Original, Sessions.FlowKey4 Translated, Sessions.TcpState Tcp, int Worker);
