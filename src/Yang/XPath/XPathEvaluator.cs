using System.Globalization;
using System.Text;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.XPath;

public enum XPathValueKind { NodeSet, Boolean, Number, String }

/// <summary>An XPath 1.0 value: a node-set (document order, no duplicates), boolean, number or string.</summary>
public readonly struct XPathValue
{
    private XPathValue(XPathValueKind kind, IReadOnlyList<DataNode>? nodes, bool b, double n, string? s)
    {
        Kind = kind;
        Nodes = nodes ?? [];
        Boolean = b;
        Number = n;
        String = s ?? "";
    }

    public XPathValueKind Kind { get; }

    public IReadOnlyList<DataNode> Nodes { get; }

    public bool Boolean { get; }

    public double Number { get; }

    public string String { get; }

    public static XPathValue Of(IReadOnlyList<DataNode> nodes) => new(XPathValueKind.NodeSet, nodes, false, 0, null);

    public static XPathValue Of(bool b) => new(XPathValueKind.Boolean, null, b, 0, null);

    public static XPathValue Of(double n) => new(XPathValueKind.Number, null, false, n, null);

    public static XPathValue Of(string s) => new(XPathValueKind.String, null, false, 0, s);

    public bool ToBoolean() => Kind switch
    {
        XPathValueKind.NodeSet => Nodes.Count > 0,
        XPathValueKind.Boolean => Boolean,
        XPathValueKind.Number => Number != 0 && !double.IsNaN(Number),
        _ => String.Length > 0,
    };

    public double ToNumber() => Kind switch
    {
        XPathValueKind.Number => Number,
        XPathValueKind.Boolean => Boolean ? 1 : 0,
        _ => XPathEvaluator.StringToNumber(ToStringValue()),
    };

    public string ToStringValue() => Kind switch
    {
        XPathValueKind.String => String,
        XPathValueKind.Boolean => Boolean ? "true" : "false",
        XPathValueKind.Number => XPathEvaluator.NumberToString(Number),
        _ => Nodes.Count == 0 ? "" : XPathEvaluator.StringValue(Nodes[0]),
    };
}

/// <summary>
/// Evaluates compiled XPath over data trees. The root node is the tree's <see cref="DataRoot"/>; attribute and
/// namespace axes are empty on YANG data. Identityref values compare by identity: a literal
/// <c>'prefix:name'</c> is resolved with the expression's prefixes before it is compared.
/// </summary>
public static class XPathEvaluator
{
    public static XPathValue Evaluate(XPathExpr expr, DataNode context, DataNode? current = null, IPrefixResolver? prefixes = null)
    {
        if (expr is UnparsedXPath u)
        {
            prefixes ??= u.Prefixes;
            expr = XPathCache.Parse(u);
        }
        return new Evaluator(current ?? context, prefixes).Eval(expr, context, 1, 1);
    }

    public static bool EvaluateBoolean(XPathExpr expr, DataNode context, DataNode? current = null) =>
        Evaluate(expr, context, current).ToBoolean();

    public static IReadOnlyList<DataNode> SelectNodes(XPathExpr expr, DataNode context)
    {
        var v = Evaluate(expr, context);
        return v.Kind == XPathValueKind.NodeSet ? v.Nodes : throw new InvalidOperationException("the expression does not select nodes");
    }

    internal static string StringValue(DataNode n) => n switch
    {
        DataLeaf l => l.Value,
        DataAny a => a.Value.Xml ?? a.Value.Json ?? "",
        DataInner i => ConcatLeaves(i),
        _ => "",
    };

    private static string ConcatLeaves(DataInner i)
    {
        var sb = new StringBuilder();
        foreach (var c in i.Children) sb.Append(StringValue(c));
        return sb.ToString();
    }

    internal static double StringToNumber(string s) =>
        double.TryParse(s.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && !s.Contains('+') ? d : double.NaN;

    internal static string NumberToString(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e15) return ((long)d).ToString(CultureInfo.InvariantCulture);
        return d.ToString("0.###############", CultureInfo.InvariantCulture);
    }

    internal sealed class Evaluator(DataNode current, IPrefixResolver? prefixes)
    {
        public XPathValue Eval(XPathExpr e, DataNode ctx, int position, int size)
        {
            switch (e)
            {
                case XNumber n: return XPathValue.Of(n.Value);
                case XLiteral l: return XPathValue.Of(l.Value);
                case XNegate neg: return XPathValue.Of(-Eval(neg.Operand, ctx, position, size).ToNumber());
                case XBinary b: return Binary(b, ctx, position, size);
                case XCall c: return XPathFunctions.Call(this, c, ctx, position, size);
                case XPath p: return XPathValue.Of(Path(p, ctx));
                case XFilter f:
                    var v = Eval(f.Primary, ctx, position, size);
                    if (f.Predicates.Count == 0 && f.Path is null) return v;
                    if (v.Kind != XPathValueKind.NodeSet) throw new InvalidOperationException("predicates and paths need a node-set");
                    var nodes = v.Nodes;
                    foreach (var pred in f.Predicates) nodes = Filter(nodes, pred);
                    if (f.Path is null) return XPathValue.Of(nodes);
                    var result = new List<DataNode>();
                    foreach (var n in nodes) AddDistinct(result, StepsFrom(f.Path.Steps, n));
                    return XPathValue.Of(result);
                default:
                    throw new InvalidOperationException($"cannot evaluate {e.GetType().Name}");
            }
        }

        public DataNode Current => current;

        public IPrefixResolver? Prefixes => prefixes;

        private XPathValue Binary(XBinary b, DataNode ctx, int position, int size)
        {
            switch (b.Op)
            {
                case "or": return XPathValue.Of(Eval(b.Left, ctx, position, size).ToBoolean() || Eval(b.Right, ctx, position, size).ToBoolean());
                case "and": return XPathValue.Of(Eval(b.Left, ctx, position, size).ToBoolean() && Eval(b.Right, ctx, position, size).ToBoolean());
                case "|":
                    var l = Eval(b.Left, ctx, position, size);
                    var r = Eval(b.Right, ctx, position, size);
                    var u = new List<DataNode>(l.Nodes);
                    AddDistinct(u, r.Nodes);
                    return XPathValue.Of(u);
            }
            var left = Eval(b.Left, ctx, position, size);
            var right = Eval(b.Right, ctx, position, size);
            return b.Op switch
            {
                "+" => XPathValue.Of(left.ToNumber() + right.ToNumber()),
                "-" => XPathValue.Of(left.ToNumber() - right.ToNumber()),
                "*" => XPathValue.Of(left.ToNumber() * right.ToNumber()),
                "div" => XPathValue.Of(left.ToNumber() / right.ToNumber()),
                "mod" => XPathValue.Of(Math.IEEERemainder(left.ToNumber(), right.ToNumber()) is var m && m != 0 && Math.Sign(m) != Math.Sign(left.ToNumber()) ? m + Math.Abs(right.ToNumber()) * Math.Sign(left.ToNumber()) : m),
                _ => XPathValue.Of(Compare(b.Op, left, right)),
            };
        }

        /// <summary>XPath 1.0 §3.4 comparisons, with identityref leaves compared by identity.</summary>
        private bool Compare(string op, XPathValue a, XPathValue b)
        {
            if (a.Kind == XPathValueKind.NodeSet && b.Kind == XPathValueKind.NodeSet)
            {
                foreach (var x in a.Nodes)
                    foreach (var y in b.Nodes)
                        if (CompareAtoms(op, XPathValue.Of(StringValue(x)), XPathValue.Of(StringValue(y)))) return true;
                return false;
            }
            if (a.Kind == XPathValueKind.NodeSet || b.Kind == XPathValueKind.NodeSet)
            {
                var set = a.Kind == XPathValueKind.NodeSet ? a : b;
                var other = a.Kind == XPathValueKind.NodeSet ? b : a;
                var setLeft = a.Kind == XPathValueKind.NodeSet;
                if (other.Kind == XPathValueKind.Boolean)
                    return CompareAtoms(op, setLeft ? XPathValue.Of(set.ToBoolean()) : other, setLeft ? other : XPathValue.Of(set.ToBoolean()));
                foreach (var n in set.Nodes)
                {
                    var nv = XPathValue.Of(StringValue(n));
                    var ov = other.Kind == XPathValueKind.String && n is DataLeaf { Type.Kind: BuiltinType.Identityref } ? XPathValue.Of(QualifyIdentity(other.String)) : other;
                    if (other.Kind == XPathValueKind.Number) nv = XPathValue.Of(nv.ToNumber());
                    if (setLeft ? CompareAtoms(op, nv, ov) : CompareAtoms(op, ov, nv)) return true;
                }
                return false;
            }
            return CompareAtoms(op, a, b);
        }

        /// <summary>'prefix:name' written in the expression → 'module:name' as identityref values are kept.</summary>
        public string QualifyIdentity(string literal)
        {
            var colon = literal.IndexOf(':');
            if (colon < 0 || prefixes is null) return literal;
            var m = prefixes.Resolve(literal[..colon]);
            return m is null ? literal : m.Name + literal[colon..];
        }

        private static bool CompareAtoms(string op, XPathValue a, XPathValue b)
        {
            if (op is "=" or "!=")
            {
                bool eq;
                if (a.Kind == XPathValueKind.Boolean || b.Kind == XPathValueKind.Boolean) eq = a.ToBoolean() == b.ToBoolean();
                else if (a.Kind == XPathValueKind.Number || b.Kind == XPathValueKind.Number) eq = a.ToNumber() == b.ToNumber();
                else eq = a.ToStringValue() == b.ToStringValue();
                return op == "=" ? eq : !eq;
            }
            var x = a.ToNumber();
            var y = b.ToNumber();
            return op switch { "<" => x < y, "<=" => x <= y, ">" => x > y, _ => x >= y };
        }

        private List<DataNode> Path(XPath p, DataNode ctx)
        {
            DataNode start = ctx;
            if (p.Absolute) while (start.Parent is not null) start = start.Parent;
            if (p.Steps.Count == 0) return [start];
            return StepsFrom(p.Steps, start);
        }

        private List<DataNode> StepsFrom(IReadOnlyList<XStep> steps, DataNode start)
        {
            var set = new List<DataNode> { start };
            foreach (var step in steps)
            {
                var next = new List<DataNode>();
                foreach (var n in set)
                {
                    var selected = Select(step, n);
                    foreach (var pred in step.Predicates) selected = Filter(selected, pred);
                    AddDistinct(next, selected);
                }
                set = next;
                if (set.Count == 0) break;
            }
            return set;
        }

        private List<DataNode> Filter(IReadOnlyList<DataNode> nodes, XPathExpr pred)
        {
            var kept = new List<DataNode>();
            for (var i = 0; i < nodes.Count; i++)
            {
                var v = Eval(pred, nodes[i], i + 1, nodes.Count);
                if (v.Kind == XPathValueKind.Number ? v.Number == i + 1 : v.ToBoolean()) kept.Add(nodes[i]);
            }
            return kept;
        }

        private static List<DataNode> Select(XStep s, DataNode n)
        {
            var result = new List<DataNode>();
            switch (s.Axis)
            {
                case Axis.Child:
                    if (n is DataInner i) foreach (var c in i.Children) if (Matches(s, c)) result.Add(c);
                    break;
                case Axis.Self:
                    if (Matches(s, n)) result.Add(n);
                    break;
                case Axis.Parent:
                    if (n.Parent is { } p && Matches(s, p)) result.Add(p);
                    break;
                case Axis.Descendant or Axis.DescendantOrSelf:
                    if (s.Axis == Axis.DescendantOrSelf && Matches(s, n)) result.Add(n);
                    Descend(s, n, result);
                    break;
                case Axis.Ancestor or Axis.AncestorOrSelf:
                    for (var a = s.Axis == Axis.AncestorOrSelf ? n : n.Parent; a is not null; a = a.Parent)
                        if (Matches(s, a)) result.Add(a);
                    result.Reverse();
                    break;
                case Axis.FollowingSibling or Axis.PrecedingSibling:
                    if (n.Parent is { } parent)
                    {
                        var idx = parent.IndexOf(n);
                        var kids = parent.Children;
                        if (s.Axis == Axis.FollowingSibling) { for (var k = idx + 1; k < kids.Count; k++) if (Matches(s, kids[k])) result.Add(kids[k]); }
                        else for (var k = 0; k < idx; k++) if (Matches(s, kids[k])) result.Add(kids[k]);
                    }
                    break;
                case Axis.Following or Axis.Preceding:
                    var root = n;
                    while (root.Parent is not null) root = root.Parent;
                    var all = new List<DataNode>();
                    Descend(new XStep(Axis.Descendant, null, null, true, "node", []), root, all);
                    var pos = all.IndexOf(n);
                    var ancestors = new HashSet<DataNode>(ReferenceEqualityComparer.Instance);
                    for (var a = n.Parent; a is not null; a = a.Parent) ancestors.Add(a);
                    for (var k = 0; k < all.Count; k++)
                    {
                        if (s.Axis == Axis.Following && k > pos && !IsDescendantOf(all[k], n) && Matches(s, all[k])) result.Add(all[k]);
                        if (s.Axis == Axis.Preceding && k < pos && !ancestors.Contains(all[k]) && Matches(s, all[k])) result.Add(all[k]);
                    }
                    break;
            }
            return result;
        }

        private static bool IsDescendantOf(DataNode x, DataNode ancestor)
        {
            for (var a = x.Parent; a is not null; a = a.Parent) if (ReferenceEquals(a, ancestor)) return true;
            return false;
        }

        private static void Descend(XStep s, DataNode n, List<DataNode> result)
        {
            if (n is not DataInner i) return;
            foreach (var c in i.Children)
            {
                if (Matches(s, c)) result.Add(c);
                Descend(s, c, result);
            }
        }

        private static bool Matches(XStep s, DataNode n)
        {
            if (s.NodeType is "node") return true;
            if (s.NodeType is "text") return false; // leaf text is the node's string-value, not a child node
            if (n is DataRoot) return false;
            if (s.Name is not null && s.Name != n.Name) return false;
            return s.AnyModule || ReferenceEquals(s.Module, n.Module);
        }

        private static void AddDistinct(List<DataNode> into, IReadOnlyList<DataNode> nodes)
        {
            if (into.Count == 0) { into.AddRange(nodes); return; }
            HashSet<DataNode>? seen = null;
            foreach (var n in nodes)
            {
                seen ??= new HashSet<DataNode>(into, ReferenceEqualityComparer.Instance);
                if (seen.Add(n)) into.Add(n);
            }
        }

        internal XPathValue EvalArg(XPathExpr e, DataNode ctx, int position, int size) => Eval(e, ctx, position, size);
    }

}
