using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Nacm;

/// <summary>
/// NETCONF access control (RFC 8341) in the core, so every northbound gets the same answers: reads are
/// pruned silently, writes and operations are refused with access-denied, notifications are filtered.
/// The recovery session and a disabled NACM are not restricted. Rules come from running's /nacm (see
/// <see cref="NacmRules"/>); groups from the user store (external groups) and from /nacm/groups.
/// </summary>
public sealed class NacmEngine(Func<string, IEnumerable<string>> externalGroups)
{
    private NacmRules _rules = NacmRules.Initial;
    private long _deniedOperations;
    private long _deniedDataWrites;
    private long _deniedNotifications;

    public NacmRules Rules
    {
        get => Volatile.Read(ref _rules);
        set => Volatile.Write(ref _rules, value);
    }

    public long DeniedOperations => Interlocked.Read(ref _deniedOperations);

    public long DeniedDataWrites => Interlocked.Read(ref _deniedDataWrites);

    public long DeniedNotifications => Interlocked.Read(ref _deniedNotifications);

    /// <summary>The rule-lists that apply to a session, in order; null when the session is not restricted.</summary>
    private IReadOnlyList<NacmRuleList>? ListsFor(Session session, NacmRules rules)
    {
        if (!rules.Enabled || session.IsRecovery) return null;
        var groups = new HashSet<string>(StringComparer.Ordinal);
        if (rules.ExternalGroups) groups.UnionWith(externalGroups(session.User));
        if (rules.GroupsOfUser.TryGetValue(session.User, out var own)) groups.UnionWith(own);
        return rules.RuleLists.Where(l => l.Groups.Contains("*") || l.Groups.Overlaps(groups)).ToList();
    }

    /// <summary>May the session run this operation (RFC 8341 §3.4.4)? close-session is always allowed.</summary>
    public bool MayExec(Session session, string module, string operation, bool defaultDenyAll = false)
    {
        if (module == "ietf-netconf" && operation == "close-session") return true;
        var rules = Rules;
        return Count(DecideNamed(session, rules, module, NacmRuleKind.Rpc, operation, NacmAccess.Exec) ?? (!defaultDenyAll && rules.ExecDefaultPermit),
            ref _deniedOperations);
    }

    /// <summary>May the session receive this notification (RFC 8341 §3.4.6)?</summary>
    /// <summary>
    /// An action (RFC 8341 §3.4.4): exec access to the action's node, decided by data-node rules on its path
    /// (<paramref name="action"/> is the action node inside the request, under its ancestors).
    /// </summary>
    public bool MayExecAction(Session session, DataNode action)
    {
        var rules = Rules;
        var lists = ListsFor(session, rules);
        if (lists is null) return true;
        var chain = ChainOf(action.Parent);
        chain.Add(action);
        return Count(Decide(lists, rules, chain, NacmAccess.Exec), ref _deniedOperations);
    }

    public bool MayNotify(Session session, string module, string notification, bool defaultDenyAll = false)
    {
        var rules = Rules;
        return Count(DecideNamed(session, rules, module, NacmRuleKind.Notification, notification, NacmAccess.Read) ?? (!defaultDenyAll && rules.ReadDefaultPermit),
            ref _deniedNotifications);
    }

    /// <summary>The first rule matching an operation or notification decides; true for an unrestricted session; null when no rule matches (the defaults decide).</summary>
    private bool? DecideNamed(Session session, NacmRules rules, string module, NacmRuleKind kind, string name, NacmAccess access)
    {
        var lists = ListsFor(session, rules);
        if (lists is null) return true;
        foreach (var list in lists)
        {
            foreach (var r in list.Rules)
            {
                if (r.Module != "*" && r.Module != module) continue;
                if (r.Kind != NacmRuleKind.Any && r.Kind != kind) continue;
                if (r.Kind == kind && r.Target != "*" && r.Target != name) continue;
                if ((r.Access & access) == 0) continue;
                return r.Permit;
            }
        }
        return null;
    }

    private static bool Count(bool permit, ref long denied)
    {
        if (!permit) Interlocked.Increment(ref denied);
        return permit;
    }

    /// <summary>Removes every node the session may not read, with its subtree, from a private copy (RFC 8341 §3.4.5).</summary>
    public void PruneForRead(Session session, DataInner copy)
    {
        var rules = Rules;
        var lists = ListsFor(session, rules);
        if (lists is null || PermitsEverything(lists, NacmAccess.Read)) return;
        var chain = new List<DataNode>();
        for (DataNode? n = copy; n is not null && n is not DataRoot; n = n.Parent) chain.Insert(0, n);
        Prune(copy, chain, lists, rules);
    }

    private static void Prune(DataInner parent, List<DataNode> chain, IReadOnlyList<NacmRuleList> lists, NacmRules rules)
    {
        foreach (var child in parent.Children.ToArray())
        {
            chain.Add(child);
            if (!Decide(lists, rules, chain, NacmAccess.Read)) parent.Remove(child);
            else if (child is DataInner inner) Prune(inner, chain, lists, rules);
            chain.RemoveAt(chain.Count - 1);
        }
    }

    /// <summary>
    /// The first write the session may not make among a transaction's changes (create for every created node
    /// and its descendants, delete for a deleted node, update for a changed value), or null when all are allowed.
    /// </summary>
    public DataError? CheckWrite(Session session, IReadOnlyList<DataChange> changes)
    {
        var rules = Rules;
        var lists = ListsFor(session, rules);
        if (lists is null || PermitsEverything(lists, NacmAccess.Create | NacmAccess.Update | NacmAccess.Delete)) return null;
        foreach (var change in changes)
        {
            var (node, access) = change.Kind switch
            {
                DiffKind.Created => (change.After!, NacmAccess.Create),
                DiffKind.Deleted => (change.Before!, NacmAccess.Delete),
                _ => (change.After ?? change.Before!, NacmAccess.Update),
            };
            var chain = ChainOf(change.Parent ?? node.Parent);
            chain.Add(node);
            var denied = access == NacmAccess.Create ? FirstDeniedCreate(lists, rules, chain) : Decide(lists, rules, chain, access) ? null : node;
            if (denied is not null)
            {
                Interlocked.Increment(ref _deniedDataWrites);
                return new DataError(ErrorTag.AccessDenied, change.Kind == DiffKind.Created && ReferenceEquals(denied, node) ? change.Path : DataPath.Of(denied),
                    $"access denied: {access.ToString().ToLowerInvariant()} of {denied.Name} is not permitted for {session.User}");
            }
        }
        return null;
    }

    private static DataNode? FirstDeniedCreate(IReadOnlyList<NacmRuleList> lists, NacmRules rules, List<DataNode> chain)
    {
        var node = chain[^1];
        if (!Decide(lists, rules, chain, NacmAccess.Create)) return node;
        if (node is DataInner inner)
        {
            foreach (var c in inner.Children)
            {
                chain.Add(c);
                var denied = FirstDeniedCreate(lists, rules, chain);
                chain.RemoveAt(chain.Count - 1);
                if (denied is not null) return denied;
            }
        }
        return null;
    }

    private static List<DataNode> ChainOf(DataInner? parent)
    {
        var chain = new List<DataNode>();
        for (DataNode? n = parent; n is not null && n is not DataRoot; n = n.Parent) chain.Insert(0, n);
        return chain;
    }

    /// <summary>First matching rule decides; then default-deny-all/-write of the node's schema; then the defaults.</summary>
    private static bool Decide(IReadOnlyList<NacmRuleList> lists, NacmRules rules, List<DataNode> chain, NacmAccess access)
    {
        var node = chain[^1];
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(chain);
        foreach (var list in lists)
        {
            foreach (var r in list.Rules)
            {
                if (r.Module != "*" && r.Module != node.Module.Name) continue;
                if (r.Kind is NacmRuleKind.Rpc or NacmRuleKind.Notification) continue;
                if (r.Kind == NacmRuleKind.DataNode && !r.Path!.Covers(span)) continue;
                if ((r.Access & access) == 0) continue;
                return r.Permit;
            }
        }
        var (denyAll, denyWrite) = Extensions(node.Schema);
        if (denyAll) return false;
        if (access == NacmAccess.Read) return rules.ReadDefaultPermit;
        if (access == NacmAccess.Exec) return rules.ExecDefaultPermit;
        return !denyWrite && rules.WriteDefaultPermit;
    }

    /// <summary>A rule-list whose first rule permits everything for these operations makes checks unnecessary.</summary>
    private static bool PermitsEverything(IReadOnlyList<NacmRuleList> lists, NacmAccess access)
    {
        foreach (var list in lists)
        {
            foreach (var r in list.Rules)
            {
                if ((r.Access & access) == 0) continue;
                return r is { Module: "*", Kind: NacmRuleKind.Any, Permit: true } && (r.Access & access) == access;
            }
        }
        return false;
    }

    private static (bool DenyAll, bool DenyWrite) Extensions(SchemaNode schema)
    {
        var all = false;
        var write = false;
        foreach (var e in schema.Extensions)
        {
            if (e.Definition.Module.Name != NacmRules.ModuleName) continue;
            if (e.Definition.Name == "default-deny-all") all = true;
            else if (e.Definition.Name == "default-deny-write") write = true;
        }
        return (all, write);
    }
}
