using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Acl;

/// <summary>What a matching rule does (RFC 8519 forwarding actions; reflect: permit and let the replies back in).</summary>
public enum AclAction { Deny, Permit, PermitReflect }

/// <summary>
/// One access-control entry, RFC 8519-shaped: the packet matches when every field that is set matches. Addresses
/// are prefixes of the rule's family (4 or 6; 0 for both when no address is set); ports are inclusive ranges;
/// TCP flags match under a mask; ICMP type and code when set. The Ethernet fields (RFC 8519 <c>eth</c> matches)
/// are MAC addresses compared under a mask and the ethertype; a rule may mix them with IP fields.
/// </summary>
/// <remarks>
/// What the Ethernet fields see: on input, the frame as received (MACs and ethertype of the header ethernet-input
/// took off). An ACL that has a rule with an Ethernet field (<see cref="AclList.HasL2"/>, RFC 8519's eth and mixed
/// ACL types) also sees the input frames that are not IP (ARP and any other ethertype), which only its rules
/// without IP fields can match; ACLs with IP rules only see IP packets alone, and ARP passes them as before.
/// On output, ACLs run before ip4/ip6-rewrite, when the frame's MACs are not written yet (the neighbor may still
/// be unresolved): an ACL attached for output may not match MAC addresses (refused), while its ethertype is the
/// packet's IP version's (0x0800 or 0x86dd).
/// </remarks>
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

    /// <summary>Source MAC address (the low 48 bits), compared under <see cref="SourceMacMask"/>.</summary>
    public ulong SourceMac { get; init; }

    /// <summary>The bits of the source MAC compared (RFC 8519 source-mac-address-mask); 0: any source.</summary>
    public ulong SourceMacMask { get; init; }

    public ulong DestinationMac { get; init; }

    /// <summary>The bits of the destination MAC compared; 0: any destination.</summary>
    public ulong DestinationMacMask { get; init; }

    /// <summary>The ethertype (at least 0x0600), or null for any.</summary>
    public ushort? EtherType { get; init; }

    /// <summary>Matches MAC addresses (input ACLs only).</summary>
    public bool HasMac => SourceMacMask != 0 || DestinationMacMask != 0;

    /// <summary>Matches a field of the Ethernet header.</summary>
    public bool HasL2 => HasMac || EtherType.HasValue;

    public bool HasPorts => SourcePortLow != 0 || SourcePortHigh != ushort.MaxValue || DestinationPortLow != 0 || DestinationPortHigh != ushort.MaxValue;

    /// <summary>Matches a field of the IP header or above (only IP packets can match it).</summary>
    public bool HasL3 => Family != 0 || Protocol.HasValue || Dscp.HasValue || HasPorts || TcpFlagsMask != 0 || IcmpType.HasValue || IcmpCode.HasValue;

    /// <summary>
    /// A rule on Ethernet fields: MACs in colon form, each with a mask (all ones when left out; "ff:ff:ff:00:00:00"
    /// compares the OUI); null for any.
    /// </summary>
    public static AclRule Eth(AclAction action, string? source = null, string? sourceMask = null, string? destination = null, string? destinationMask = null, ushort? etherType = null) =>
        new(action)
        {
            SourceMac = source is null ? 0 : Ethernet.Parse(source),
            SourceMacMask = source is null ? 0 : sourceMask is null ? Ethernet.Broadcast : Ethernet.Parse(sourceMask),
            DestinationMac = destination is null ? 0 : Ethernet.Parse(destination),
            DestinationMacMask = destination is null ? 0 : destinationMask is null ? Ethernet.Broadcast : Ethernet.Parse(destinationMask),
            EtherType = etherType,
        };

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
