namespace Mgmt.Dataplane.Acl;

/// <summary>What a matching rule does (RFC 8519 forwarding actions; reflect: permit and let the replies back in).</summary>
public enum AclAction { Deny, Permit, PermitReflect }

/// <summary>
/// One access-control entry, RFC 8519-shaped: the packet matches when every field that is set matches. Addresses
/// are prefixes of the rule's family (4 or 6; 0 for both when no address is set); ports are inclusive ranges;
/// TCP flags match under a mask; ICMP type and code when set.
/// </summary>
public sealed record AclRule(AclAction Action)
{
    /// <summary>4, 6, or 0 (either, only without addresses).</summary>
    public int Family { get; init; }

    public UInt128 Source { get; init; }

    public int SourceLength { get; init; }

    public UInt128 Destination { get; init; }

    public int DestinationLength { get; init; }

    /// <summary>IP protocol / IPv6 next header, or null for any.</summary>
    public byte? Protocol { get; init; }

    public ushort SourcePortLow { get; init; }

    public ushort SourcePortHigh { get; init; } = ushort.MaxValue;

    public ushort DestinationPortLow { get; init; }

    public ushort DestinationPortHigh { get; init; } = ushort.MaxValue;

    public byte TcpFlagsMask { get; init; }

    public byte TcpFlagsValue { get; init; }

    public byte? IcmpType { get; init; }

    public byte? IcmpCode { get; init; }

    /// <summary>DSCP (the upper six bits of the traffic class), or null.</summary>
    public byte? Dscp { get; init; }

    /// <summary>An IPv4 rule; addresses in dotted form with lengths 0..32.</summary>
    public static AclRule Ip4(AclAction action, string source = "0.0.0.0", int sourceLength = 0, string destination = "0.0.0.0", int destinationLength = 0) =>
        new(action)
        {
            Family = 4,
            Source = Neighbors.NeighborTable.Mapped(Packets.Ip4.Parse(source)),
            SourceLength = sourceLength,
            Destination = Neighbors.NeighborTable.Mapped(Packets.Ip4.Parse(destination)),
            DestinationLength = destinationLength,
        };

    public static AclRule Ip6(AclAction action, string source = "::", int sourceLength = 0, string destination = "::", int destinationLength = 0) =>
        new(action)
        {
            Family = 6,
            Source = Packets.Ip6.Parse(source),
            SourceLength = sourceLength,
            Destination = Packets.Ip6.Parse(destination),
            DestinationLength = destinationLength,
        };
}
