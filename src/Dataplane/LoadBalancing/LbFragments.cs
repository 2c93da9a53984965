using Mgmt.Dataplane.Nat;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>
/// Fragments after the first of a load-balanced packet carry no ports to find their flow by: the first fragment's
/// decision is kept under the fragments' common identity (<see cref="NatFragments"/>) so that the rest follow it.
/// <see cref="Translated"/>: in the NAT modes, the addresses the first was translated to (both directions);
/// <see cref="Sent"/>: in the other modes, the VIP's serial (as the "source") and the server's number (as the
/// "destination"). Shared by the workers (a later fragment needs no flow, only this), kept across configurations.
/// </summary>
internal sealed class LbFragments
{
    public NatFragments Translated { get; } = new();

    public NatFragments Sent { get; } = new();
}
