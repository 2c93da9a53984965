using Mgmt.Datastore.Operational;
using Mgmt.Yang.Data;
using Mgmt.Yang.Validation;

namespace Mgmt.Datastore.Transactions;

/// <summary>The operational view: the applied configuration (running, as nothing is inactive) with state from the providers.</summary>
public sealed partial class Datastores
{
    private readonly List<IStateProvider> _stateProviders = [];

    public void AddStateProvider(IStateProvider provider)
    {
        lock (_stateProviders) _stateProviders.Add(provider);
    }

    /// <summary>
    /// What NETCONF &lt;get&gt; and &lt;get-data&gt; of operational return for a session: a copy of running with its defaults,
    /// every provider's state added, then <paramref name="select"/> (filters), then access control.
    /// </summary>
    public DataRoot ReadOperational(Session session, Func<DataRoot, DataRoot> select)
    {
        var tree = Read(DatastoreName.Running, t => t.DeepClone());
        DataDefaults.AddAll(tree);
        IStateProvider[] providers;
        lock (_stateProviders) providers = [.. _stateProviders];
        foreach (var p in providers) p.AddState(tree);
        var selected = select(tree);
        Nacm.PruneForRead(session, selected);
        return selected;
    }
}
