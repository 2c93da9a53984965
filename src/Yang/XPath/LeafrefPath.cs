using Mgmt.Yang.Schema;

namespace Mgmt.Yang.XPath;

/// <summary>
/// A leafref path (RFC 7950 §9.9.2 path-arg): absolute <c>/a:b/a:c</c> or relative <c>../../x</c>,
/// steps with optional key predicates <c>[k = current()/../x]</c>. Steps carry their resolved modules.
/// </summary>
public sealed class LeafrefPath : XPathExpr
{
    private LeafrefPath(string text, bool absolute, int upCount, IReadOnlyList<LeafrefStep> steps)
    {
        Text = text;
        IsAbsolute = absolute;
        UpCount = upCount;
        Steps = steps;
    }

    public string Text { get; }

    public bool IsAbsolute { get; }

    /// <summary>Number of leading "../" steps of a relative path.</summary>
    public int UpCount { get; }

    public IReadOnlyList<LeafrefStep> Steps { get; }

    public override string ToString() => Text;

    /// <summary>Parses a path-arg; returns null with an error message when it is not one.</summary>
    public static LeafrefPath? Parse(string text, IPrefixResolver prefixes, out string? error)
    {
        error = null;
        var s = text.Trim();
        var i = 0;
        var absolute = false;
        var up = 0;
        if (s.StartsWith('/')) absolute = true;
        else
        {
            while (s.AsSpan(i).StartsWith("../"))
            {
                up++;
                i += 3;
                while (i < s.Length && s[i] == ' ') i++;
            }
            if (up == 0)
            {
                // deref(...) paths (RFC 7950 §9.9.2 YANG 1.1 allows them in XPath, not in path-arg) and plain names.
                error = "a leafref path must be absolute or start with \"../\"";
                return null;
            }
        }
        var steps = new List<LeafrefStep>();
        if (absolute) i = 0;
        while (i < s.Length)
        {
            if (absolute || steps.Count > 0)
            {
                if (s[i] != '/') { error = $"expected \"/\" at position {i + 1}"; return null; }
                i++;
            }
            var start = i;
            while (i < s.Length && s[i] is not ('/' or '[' or ' ')) i++;
            var qname = s[start..i];
            if (qname.Length == 0) { error = $"empty step at position {start + 1}"; return null; }
            var colon = qname.IndexOf(':');
            var prefix = colon < 0 ? null : qname[..colon];
            var name = colon < 0 ? qname : qname[(colon + 1)..];
            if (!IsIdentifier(name) || (prefix is not null && !IsIdentifier(prefix))) { error = $"invalid node name \"{qname}\""; return null; }
            // Unprefixed names take the namespace of the leaf that holds the path (RFC 7950 §6.4.1), known only later.
            var module = prefix is null ? null : prefixes.Resolve(prefix);
            if (module is null && prefix is not null) { error = $"unknown prefix \"{prefix}\""; return null; }
            var predicates = new List<string>();
            while (i < s.Length && (s[i] == '[' || s[i] == ' '))
            {
                if (s[i] == ' ') { i++; continue; }
                var close = s.IndexOf(']', i);
                if (close < 0) { error = "unterminated predicate"; return null; }
                predicates.Add(s[(i + 1)..close].Trim());
                i = close + 1;
            }
            steps.Add(new LeafrefStep(module, name, predicates));
        }
        if (steps.Count == 0) { error = "the path names no node"; return null; }
        return new LeafrefPath(text, absolute, up, steps);
    }

    private static bool IsIdentifier(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiLetter(s[0]) || s[0] == '_')) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) return false;
        return true;
    }
}

/// <summary>One step of a leafref path: module (null = the default module of the path's context), name, raw predicates.</summary>
public sealed record LeafrefStep(YangModule? Module, string Name, IReadOnlyList<string> Predicates);
