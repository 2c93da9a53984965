using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Validation;

/// <summary>
/// require-instance of a leafref whose path has key predicates (RFC 7950 §9.9.2, e.g.
/// <c>/if:interfaces/if:interface[if:name = current()/../ifname]/if:ipv4/if:address/if:ip</c>): the path is
/// walked from the leaf, each predicate keeping the entries whose key equals the value reached through
/// <c>current()/../…</c>, and the leaf's value must be among the values at the end.
/// </summary>
internal static class LeafrefInstances
{
    public static bool HasPredicates(YangType t) => t.LeafrefPath is LeafrefPath p && p.Steps.Any(s => s.Predicates.Count > 0);

    public static bool Exists(DataLeaf leaf, LeafrefPath path)
    {
        IEnumerable<DataNode> set;
        if (path.IsAbsolute)
        {
            DataNode top = leaf;
            while (top.Parent is not null) top = top.Parent;
            set = [top];
        }
        else
        {
            DataNode? at = leaf;
            for (var i = 0; i < path.UpCount && at is not null; i++) at = at.Parent;
            if (at is null) return false;
            set = [at];
        }
        foreach (var step in path.Steps)
        {
            var next = new List<DataNode>();
            foreach (var n in set)
                if (n is DataInner inner)
                    foreach (var c in inner.Children)
                        if (c.Name == step.Name && (step.Module is null || ReferenceEquals(c.Module, step.Module)) && step.Predicates.All(p => Holds(p, c, leaf)))
                            next.Add(c);
            set = next;
        }
        foreach (var n in set)
            if (n is DataLeaf target && target.Value == leaf.Value) return true;
        return false;
    }

    /// <summary>One path-predicate <c>key = current()/../…/node</c> on a candidate entry.</summary>
    private static bool Holds(string predicate, DataNode entry, DataLeaf current)
    {
        var eq = predicate.IndexOf('=');
        if (eq < 0 || entry is not DataInner e) return false;
        var key = LocalName(predicate[..eq].Trim());
        var keyValue = e.Children.OfType<DataLeaf>().FirstOrDefault(l => l.Name == key)?.Value;
        if (keyValue is null) return false;
        var right = predicate[(eq + 1)..].Trim();
        if (!right.StartsWith("current()", StringComparison.Ordinal)) return false;
        DataNode? at = current;
        foreach (var part in right["current()".Length..].Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part == "..") at = at?.Parent;
            else at = (at as DataInner)?.Children.FirstOrDefault(c => c.Name == LocalName(part));
            if (at is null) return false;
        }
        return at is DataLeaf source && source.Value == keyValue;
    }

    private static string LocalName(string qname) => qname[(qname.IndexOf(':') + 1)..];
}
