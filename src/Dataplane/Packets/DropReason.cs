namespace Mgmt.Dataplane.Packets;

/// <summary>Why the error-drop node dropped a packet (counted per reason).</summary>
public enum DropReason
{
    None,
    InterfaceDown,
    UnknownEthertype,
    NotForUs,
    ArpNotForUs,
    ArpMalformed,
    Ip4Malformed,
    Ip4BadChecksum,
    Ip6Malformed,
    NoRoute,
    BlackholeRoute,
    TtlExpired,
    NeighborMiss,
    FragmentationNeeded,
    LocalNoListener,
    IcmpNotHandled,
    NoBuffer,
    AclDeny,
    HandoffQueueFull,
    TunnelMalformed,
}
