using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.XPath;

/// <summary>The XPath 1.0 core function library and the YANG 1.1 functions (RFC 7950 §10).</summary>
internal static class XPathFunctions
{
    private static readonly Dictionary<string, (int Min, int Max)> Arity = new(StringComparer.Ordinal)
    {
        ["last"] = (0, 0), ["position"] = (0, 0), ["count"] = (1, 1), ["id"] = (1, 1), ["local-name"] = (0, 1),
        ["namespace-uri"] = (0, 1), ["name"] = (0, 1), ["string"] = (0, 1), ["concat"] = (2, int.MaxValue),
        ["starts-with"] = (2, 2), ["contains"] = (2, 2), ["substring-before"] = (2, 2), ["substring-after"] = (2, 2),
        ["substring"] = (2, 3), ["string-length"] = (0, 1), ["normalize-space"] = (0, 1), ["translate"] = (3, 3),
        ["boolean"] = (1, 1), ["not"] = (1, 1), ["true"] = (0, 0), ["false"] = (0, 0), ["lang"] = (1, 1),
        ["number"] = (0, 1), ["sum"] = (1, 1), ["floor"] = (1, 1), ["ceiling"] = (1, 1), ["round"] = (1, 1),
        ["current"] = (0, 0), ["deref"] = (1, 1), ["re-match"] = (2, 2), ["derived-from"] = (2, 2),
        ["derived-from-or-self"] = (2, 2), ["enum-value"] = (1, 1), ["bit-is-set"] = (2, 2),
    };

    public static void CheckArity(string name, int count, int pos)
    {
        if (!Arity.TryGetValue(name, out var a)) throw new XPathSyntaxException($"unknown function \"{name}()\"", pos);
        if (count < a.Min || count > a.Max) throw new XPathSyntaxException($"wrong number of arguments for \"{name}()\"", pos);
    }

    public static XPathValue Call(XPathEvaluator.Evaluator ev, XCall c, DataNode ctx, int position, int size)
    {
        XPathValue Arg(int i) => ev.EvalArg(c.Args[i], ctx, position, size);
        string Str(int i) => Arg(i).ToStringValue();
        IReadOnlyList<DataNode> NodesOrContext() => c.Args.Count == 0 ? [ctx] : Arg(0).Nodes;
        switch (c.Name)
        {
            case "last": return XPathValue.Of(size);
            case "position": return XPathValue.Of(position);
            case "count": return XPathValue.Of(Arg(0).Nodes.Count);
            case "id": return XPathValue.Of(Array.Empty<DataNode>());
            case "local-name": return XPathValue.Of(NodesOrContext() is { Count: > 0 } ln && ln[0] is not DataRoot ? ln[0].Name : "");
            case "namespace-uri": return XPathValue.Of(NodesOrContext() is { Count: > 0 } nn && nn[0] is not DataRoot ? nn[0].Module.Namespace : "");
            case "name": return XPathValue.Of(NodesOrContext() is { Count: > 0 } qn && qn[0] is not DataRoot ? qn[0].Module.Name + ":" + qn[0].Name : "");
            case "string": return XPathValue.Of(c.Args.Count == 0 ? XPathEvaluator.StringValue(ctx) : Str(0));
            case "concat":
                var sb = new StringBuilder();
                for (var i = 0; i < c.Args.Count; i++) sb.Append(Str(i));
                return XPathValue.Of(sb.ToString());
            case "starts-with": return XPathValue.Of(Str(0).StartsWith(Str(1), StringComparison.Ordinal));
            case "contains": return XPathValue.Of(Str(0).Contains(Str(1), StringComparison.Ordinal));
            case "substring-before":
                var sb0 = Str(0); var sb1 = Str(1); var bi = sb0.IndexOf(sb1, StringComparison.Ordinal);
                return XPathValue.Of(bi < 0 ? "" : sb0[..bi]);
            case "substring-after":
                var sa0 = Str(0); var sa1 = Str(1); var ai = sa0.IndexOf(sa1, StringComparison.Ordinal);
                return XPathValue.Of(ai < 0 ? "" : sa0[(ai + sa1.Length)..]);
            case "substring": return XPathValue.Of(Substring(Str(0), Arg(1).ToNumber(), c.Args.Count > 2 ? Arg(2).ToNumber() : double.PositiveInfinity));
            case "string-length": return XPathValue.Of((c.Args.Count == 0 ? XPathEvaluator.StringValue(ctx) : Str(0)).EnumerateRunes().Count());
            case "normalize-space":
                var ns = c.Args.Count == 0 ? XPathEvaluator.StringValue(ctx) : Str(0);
                return XPathValue.Of(string.Join(' ', ns.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)));
            case "translate": return XPathValue.Of(Translate(Str(0), Str(1), Str(2)));
            case "boolean": return XPathValue.Of(Arg(0).ToBoolean());
            case "not": return XPathValue.Of(!Arg(0).ToBoolean());
            case "true": return XPathValue.Of(true);
            case "false": return XPathValue.Of(false);
            case "lang": return XPathValue.Of(false);
            case "number": return XPathValue.Of(c.Args.Count == 0 ? XPathEvaluator.StringToNumber(XPathEvaluator.StringValue(ctx)) : Arg(0).ToNumber());
            case "sum":
                var total = 0.0;
                foreach (var n in Arg(0).Nodes) total += XPathEvaluator.StringToNumber(XPathEvaluator.StringValue(n));
                return XPathValue.Of(total);
            case "floor": return XPathValue.Of(Math.Floor(Arg(0).ToNumber()));
            case "ceiling": return XPathValue.Of(Math.Ceiling(Arg(0).ToNumber()));
            case "round": return XPathValue.Of(Math.Floor(Arg(0).ToNumber() + 0.5));
            case "current": return XPathValue.Of([ev.Current]);
            case "deref": return XPathValue.Of(Deref(Arg(0).Nodes));
            case "re-match":
                try
                {
                    return XPathValue.Of(XsdRegex.Compile(Str(1)).IsMatch(Str(0)));
                }
                catch (Exception e) when (e is FormatException or ArgumentException or System.Text.RegularExpressions.RegexMatchTimeoutException)
                {
                    return XPathValue.Of(false);
                }
            case "derived-from" or "derived-from-or-self":
                var identity = ResolveIdentity(ev, Str(1));
                if (identity is null) return XPathValue.Of(false);
                foreach (var n in Arg(0).Nodes)
                {
                    if (n is not DataLeaf leaf) continue;
                    var colon = leaf.Value.IndexOf(':');
                    if (colon < 0) continue;
                    var own = FindIdentity(leaf, leaf.Value[..colon], leaf.Value[(colon + 1)..]);
                    if (own is null) continue;
                    if (own.IsDerivedFrom(identity) || (c.Name == "derived-from-or-self" && ReferenceEquals(own, identity))) return XPathValue.Of(true);
                }
                return XPathValue.Of(false);
            case "enum-value":
                var en = Arg(0).Nodes;
                if (en.Count == 0 || en[0] is not DataLeaf el || el.Type.Kind != BuiltinType.Enumeration) return XPathValue.Of(double.NaN);
                foreach (var m in el.Type.Enums) if (m.Name == el.Value) return XPathValue.Of(m.Value);
                return XPathValue.Of(double.NaN);
            case "bit-is-set":
                var bn = Arg(0).Nodes;
                var bit = Str(1);
                return XPathValue.Of(bn.Count > 0 && bn[0] is DataLeaf bl && bl.Value.Split(' ').Contains(bit));
            default:
                throw new InvalidOperationException($"unknown function {c.Name}");
        }
    }

    private static Identity? ResolveIdentity(XPathEvaluator.Evaluator ev, string literal)
    {
        var colon = literal.IndexOf(':');
        var prefix = colon < 0 ? null : literal[..colon];
        var name = colon < 0 ? literal : literal[(colon + 1)..];
        var module = ev.Prefixes?.Resolve(prefix);
        return module?.Identities.GetValueOrDefault(name);
    }

    private static Identity? FindIdentity(DataLeaf leaf, string moduleName, string name)
    {
        DataNode top = leaf;
        while (top.Parent is not null) top = top.Parent;
        return top is DataRoot r ? r.Context.FindIdentity(moduleName, name) : null;
    }

    /// <summary>RFC 7950 §10.3.1: the nodes a leafref (or instance-identifier) leaf refers to.</summary>
    private static List<DataNode> Deref(IReadOnlyList<DataNode> nodes)
    {
        var result = new List<DataNode>();
        if (nodes.Count == 0 || nodes[0] is not DataLeaf leaf || leaf.Type.LeafrefTarget is not { } target) return result;
        DataNode top = leaf;
        while (top.Parent is not null) top = top.Parent;
        Collect(top, target, leaf.Value, result);
        return result;
    }

    private static void Collect(DataNode n, SchemaNode target, string value, List<DataNode> into)
    {
        if (n is DataLeaf l && ReferenceEquals(l.Schema, target) && l.Value == value) into.Add(l);
        if (n is DataInner i) foreach (var c in i.Children) Collect(c, target, value, into);
    }

    private static string Substring(string s, double start, double length)
    {
        var runes = s.EnumerateRunes().ToArray();
        var first = Math.Round(start);
        var end = double.IsPositiveInfinity(length) ? double.PositiveInfinity : first + Math.Round(length);
        if (double.IsNaN(first) || double.IsNaN(end)) return "";
        var sb = new StringBuilder();
        for (var i = 0; i < runes.Length; i++)
        {
            var p = i + 1;
            if (p >= first && p < end) sb.Append(runes[i].ToString());
        }
        return sb.ToString();
    }

    private static string Translate(string s, string from, string to)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s)
        {
            var i = from.IndexOf(ch);
            if (i < 0) sb.Append(ch);
            else if (i < to.Length) sb.Append(to[i]);
        }
        return sb.ToString();
    }
}

/// <summary>Parsed forms of when/must expressions, built on first evaluation and kept with them.</summary>
internal static class XPathCache
{
    private static readonly ConditionalWeakTable<UnparsedXPath, XPathExpr> Parsed = [];

    public static XPathExpr Parse(UnparsedXPath u) => Parsed.GetValue(u, x => XPathParser.Parse(x.Text, new NullDefault(x.Prefixes)));

    /// <summary>
    /// Unprefixed names in YANG XPath belong to the namespace of the context node (RFC 7950 §6.4.1); since one
    /// expression can serve nodes of several namespaces through groupings, they match by name in any module.
    /// </summary>
    private sealed class NullDefault(IPrefixResolver inner) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) => string.IsNullOrEmpty(prefix) ? null : inner.Resolve(prefix);
    }
}
