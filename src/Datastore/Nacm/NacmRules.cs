using Mgmt.Yang.Data;

namespace Mgmt.Datastore.Nacm;

/// <summary>The access operations of RFC 8341 (bits of access-operations-type).</summary>
[Flags]
public enum NacmAccess { None = 0, Create = 1, Read = 2, Update = 4, Delete = 8, Exec = 16, All = 31 }

/// <summary>What a rule applies to (the rule-type choice; none: everything).</summary>
public enum NacmRuleKind { Any, Rpc, Notification, DataNode }

/// <param name="Module">module-name, or "*".</param>
/// <param name="Target">rpc-name or notification-name ("*" allowed), or the data-node path; null for <see cref="NacmRuleKind.Any"/>.</param>
public sealed record NacmRule(string Name, string Module, NacmRuleKind Kind, string? Target, NacmPath? Path, NacmAccess Access, bool Permit);

public sealed record NacmRuleList(string Name, IReadOnlySet<string> Groups, IReadOnlyList<NacmRule> Rules);

/// <summary>
/// The /nacm configuration (RFC 8341 §3.2) compiled for evaluation: read from running after every commit,
/// immutable, shared by every session.
/// </summary>
public sealed record NacmRules(
    bool Enabled, bool ReadDefaultPermit, bool WriteDefaultPermit, bool ExecDefaultPermit, bool ExternalGroups,
    IReadOnlyDictionary<string, IReadOnlySet<string>> GroupsOfUser, IReadOnlyList<NacmRuleList> RuleLists)
{
    public const string Namespace = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm";
    public const string ModuleName = "ietf-netconf-acm";

    /// <summary>The RFC 8341 defaults with one rule-list giving group admin all access: what a new state dir starts with.</summary>
    public static NacmRules Initial { get; } = new(true, true, false, true, true, new Dictionary<string, IReadOnlySet<string>>(),
        [new NacmRuleList("admin", new HashSet<string> { "admin" }, [new NacmRule("permit-all", "*", NacmRuleKind.Any, null, null, NacmAccess.All, true)])]);

    /// <summary>Compiles the /nacm container of a configuration; without one, the RFC's defaults and no rules.</summary>
    public static NacmRules From(DataRoot config)
    {
        var nacm = config.Children.OfType<DataInner>().FirstOrDefault(n => n.Name == "nacm" && n.Module.Namespace == Namespace);
        if (nacm is null) return new NacmRules(true, true, false, true, true, new Dictionary<string, IReadOnlySet<string>>(), []);
        var groups = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        if (Child(nacm, "groups") is DataInner g)
        {
            foreach (var group in g.Children.OfType<DataInner>())
            {
                var name = group.LeafValue("name")!;
                foreach (var u in group.Children.OfType<DataLeaf>().Where(l => l.Name == "user-name"))
                {
                    if (!groups.TryGetValue(u.Value, out var set)) groups[u.Value] = set = new HashSet<string>(StringComparer.Ordinal);
                    set.Add(name);
                }
            }
        }
        var lists = new List<NacmRuleList>();
        foreach (var rl in nacm.Children.OfType<DataInner>().Where(n => n.Name == "rule-list"))
        {
            var rules = new List<NacmRule>();
            foreach (var r in rl.Children.OfType<DataInner>().Where(n => n.Name == "rule"))
            {
                var (kind, target) = r.LeafValue("rpc-name") is { } rpc ? (NacmRuleKind.Rpc, rpc)
                    : r.LeafValue("notification-name") is { } notif ? (NacmRuleKind.Notification, notif)
                    : r.LeafValue("path") is { } path ? (NacmRuleKind.DataNode, path)
                    : (NacmRuleKind.Any, (string?)null);
                rules.Add(new NacmRule(r.LeafValue("name")!, r.LeafValue("module-name") ?? "*", kind, target,
                    kind == NacmRuleKind.DataNode ? NacmPath.Parse(target!, config.Context) : null,
                    ParseAccess(r.LeafValue("access-operations") ?? "*"), r.LeafValue("action") == "permit"));
            }
            var listGroups = rl.Children.OfType<DataLeaf>().Where(l => l.Name == "group").Select(l => l.Value).ToHashSet(StringComparer.Ordinal);
            lists.Add(new NacmRuleList(rl.LeafValue("name")!, listGroups, rules));
        }
        return new NacmRules(
            Bool(nacm, "enable-nacm", true), Leaf(nacm, "read-default", "permit") == "permit", Leaf(nacm, "write-default", "deny") == "permit",
            Leaf(nacm, "exec-default", "permit") == "permit", Bool(nacm, "enable-external-groups", true),
            groups.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<string>)kv.Value, StringComparer.Ordinal), lists);
    }

    private static DataNode? Child(DataInner n, string name) => n.Children.FirstOrDefault(c => c.Name == name);

    private static string Leaf(DataInner n, string name, string fallback) => (Child(n, name) as DataLeaf)?.Value ?? fallback;

    private static bool Bool(DataInner n, string name, bool fallback) => Child(n, name) is DataLeaf l ? l.Value == "true" : fallback;

    /// <summary>"*" or space-separated bit names.</summary>
    public static NacmAccess ParseAccess(string text)
    {
        if (text.Trim() == "*") return NacmAccess.All;
        var access = NacmAccess.None;
        foreach (var bit in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            access |= bit switch
            {
                "create" => NacmAccess.Create,
                "read" => NacmAccess.Read,
                "update" => NacmAccess.Update,
                "delete" => NacmAccess.Delete,
                "exec" => NacmAccess.Exec,
                _ => NacmAccess.None,
            };
        return access;
    }
}
