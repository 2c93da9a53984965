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

    /// <summary>From outside to a NAT pool address, matching no session.</summary>
    NatNoSession,

    /// <summary>NAT found no free external port (or the session table was full).</summary>
    NatNoTranslation,

    /// <summary>A fragment after the first of a flow NAT would translate (it carries no ports).</summary>
    NatFragment,

    /// <summary>A protocol without ports that only a 1:1 static mapping could translate.</summary>
    NatUnsupported,

    /// <summary>To a load balancer VIP none of whose servers takes new flows.</summary>
    LbNoServer,

    /// <summary>A fragment after the first to a load balancer VIP whose first fragment was not seen lately (it carries no ports to find its flow by).</summary>
    LbFragment,

    /// <summary>A new NAT-mode flow to a VIP while the worker's flow table was full.</summary>
    LbNoFlow,
}
