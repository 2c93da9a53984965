using Mgmt.Yang.Data;

namespace Mgmt.Datastore.Operational;

/// <summary>
/// A source of state data for the operational datastore (RFC 8342 §5.3): the dataplane's counters, the
/// NETCONF server's sessions, access-control counters. Called on each operational read with the tree being
/// built (the applied configuration is already in it); it adds its config false nodes where they belong.
/// </summary>
public interface IStateProvider
{
    void AddState(DataRoot operational);
}
