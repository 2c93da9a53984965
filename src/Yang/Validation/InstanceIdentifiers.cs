using Mgmt.Yang.Data;

namespace Mgmt.Yang.Validation;

/// <summary>
/// require-instance of instance-identifier values (RFC 7950 §9.13): the canonical path
/// (<c>/m:a/b[k='v'][.='x'][2]</c>, module named where it changes) is followed through the tree; the value is
/// valid when it reaches at least one node.
/// </summary>
internal static class InstanceIdentifiers
{
    public static bool Exists(DataRoot tree, string path)
    {
        List<DataNode> set = [tree];
        string? module = null;
        var i = 0;
        while (i < path.Length && set.Count > 0)
        {
            if (path[i] != '/') return false;
            i++;
            var (qname, next) = ReadName(path, i);
            if (qname.Length == 0) return false;
            i = next;
            var colon = qname.IndexOf(':');
            if (colon >= 0) module = qname[..colon];
            var name = qname[(colon + 1)..];
            var candidates = new List<DataNode>();
            foreach (var n in set)
                if (n is DataInner inner)
                    foreach (var c in inner.Children)
                        if (c.Name == name && (module is null || c.Module.Name == module)) candidates.Add(c);
            while (i < path.Length && path[i] == '[')
            {
                var close = PredicateEnd(path, i);
                if (close < 0) return false;
                candidates = Filter(candidates, path[(i + 1)..close].Trim());
                i = close + 1;
            }
            set = candidates;
        }
        return set.Count > 0 && i >= path.Length;
    }

    private static (string Name, int Next) ReadName(string s, int i)
    {
        var start = i;
        while (i < s.Length && s[i] is not ('/' or '[')) i++;
        return (s[start..i].Trim(), i);
    }

    /// <summary>The index of the ']' closing the predicate that opens at <paramref name="open"/> (quotes respected).</summary>
    private static int PredicateEnd(string s, int open)
    {
        for (var i = open + 1; i < s.Length; i++)
        {
            if (s[i] is '\'' or '"')
            {
                var q = s.IndexOf(s[i], i + 1);
                if (q < 0) return -1;
                i = q;
            }
            else if (s[i] == ']') return i;
        }
        return -1;
    }

    private static List<DataNode> Filter(List<DataNode> nodes, string predicate)
    {
        if (int.TryParse(predicate, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var position))
            return position >= 1 && position <= nodes.Count ? [nodes[position - 1]] : [];
        var eq = predicate.IndexOf('=');
        if (eq < 0) return [];
        var left = predicate[..eq].Trim();
        var right = predicate[(eq + 1)..].Trim();
        if (right.Length < 2 || right[0] is not ('\'' or '"') || right[^1] != right[0]) return [];
        var value = right[1..^1];
        var key = left[(left.IndexOf(':') + 1)..];
        return nodes.Where(n => key == "."
            ? n is DataLeaf l && l.Value == value
            : n is DataInner e && e.Children.Any(c => c is DataLeaf k && k.Name == key && k.Value == value)).ToList();
    }
}
