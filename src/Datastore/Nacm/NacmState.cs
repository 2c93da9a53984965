using Mgmt.Datastore.Operational;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Nacm;

/// <summary>The NACM counters (RFC 8341 §3.2: denied-operations, denied-data-writes, denied-notifications) as state under /nacm.</summary>
public sealed class NacmState(NacmEngine engine) : IStateProvider
{
    public void AddState(DataRoot operational)
    {
        if (operational.Context.GetModule(NacmRules.ModuleName) is not { Implemented: true } module) return;
        if (operational.Context.Root.FindDataChild(module, "nacm") is not ContainerSchema schema) return;
        var nacm = operational.Find(schema) as DataInner;
        if (nacm is null)
        {
            nacm = new DataInner(schema);
            operational.Add(nacm);
        }
        Set(nacm, "denied-operations", engine.DeniedOperations);
        Set(nacm, "denied-data-writes", engine.DeniedDataWrites);
        Set(nacm, "denied-notifications", engine.DeniedNotifications);
    }

    private static void Set(DataInner nacm, string name, long value)
    {
        if (nacm.Schema.FindDataChild(nacm.Module, name) is not LeafSchema leaf) return;
        if (nacm.Find(leaf) is DataNode old) nacm.Remove(old);
        // zero-based-counter32 wraps at 2^32 (RFC 6991).
        nacm.Add(DataLeaf.Create(leaf, ((uint)value).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
