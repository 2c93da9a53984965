using System.Runtime.CompilerServices;
using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Validation;

/// <summary>
/// What each when, must and leafref of a schema reads, worked out once per schema from the compiled XPath, so
/// that validating an edit re-checks only the constraints the edit can change. A constraint is found through
/// the schema nodes it reaches (<see cref="Triggered"/>); its <see cref="Dependent.Scope"/> is the shallowest
/// ancestor its paths climb to, so only the instances inside the one scope instance that holds the change are
/// evaluated again. An expression the analysis cannot follow (following/preceding axes, variables, unknown
/// functions) depends on everything, with the whole tree as its scope: correct, only slower.
/// </summary>
internal sealed class ValidationDependencies
{
    private static readonly ConditionalWeakTable<SchemaContext, ValidationDependencies> Cache = [];

    private readonly Dictionary<SchemaNode, List<Dependent>> _bySubtree = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SchemaNode, List<Dependent>> _byFinal = new(ReferenceEqualityComparer.Instance);
    private readonly List<Dependent> _global = [];
    private readonly Dictionary<SchemaNode, List<SchemaNode>> _leafrefsByTargetAncestor = new(ReferenceEqualityComparer.Instance);

    public static ValidationDependencies Of(SchemaContext context) => Cache.GetValue(context, c => new ValidationDependencies(c));

    private ValidationDependencies(SchemaContext context)
    {
        Root = context.Root;
        Visit(context.Root);
        // A configuration path with predicates, or a configuration instance-identifier's value, can name any leaf:
        // by name, conservatively. (State, rpc and notification content is checked against trees with every default.)
        foreach (var leaf in PredicateLeafrefs.Where(l => l.Config))
        {
            var type = (leaf as LeafSchema)?.Type ?? ((LeafListSchema)leaf).Type;
            if (type.Kind == BuiltinType.InstanceIdentifier) _anyLeafObserved = true;
            else foreach (var name in NameTokens(type.LeafrefPathText ?? "")) _observedNames.Add(name);
        }
        foreach (var leaf in _defaultLeaves)
            if (ComputeUnobserved(leaf)) _unobserved.Add(leaf);
    }

    private readonly List<LeafSchema> _defaultLeaves = [];
    private readonly HashSet<LeafSchema> _unobserved = new(ReferenceEqualityComparer.Instance);

    private readonly HashSet<SchemaNode> _uniqueLeaves = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _observedNames = new(StringComparer.Ordinal);
    private bool _anyLeafObserved;

    /// <summary>
    /// True when no constraint of the schema can read <paramref name="leaf"/>: no when or must reaches it or an
    /// ancestor whose value it is part of, no leafref targets it, no unique names it, no path predicate or
    /// instance-identifier can name it, it has no conditions of its own and it sits directly in a container or
    /// list (not in a choice). Such a leaf's default need not be stored in a configuration: validation cannot
    /// tell, and readers that report defaults add it (<see cref="DataDefaults"/>).
    /// </summary>
    public bool Unobserved(LeafSchema leaf) => _unobserved.Contains(leaf);

    private bool ComputeUnobserved(LeafSchema leaf)
    {
        if (_anyLeafObserved || _global.Count > 0 || leaf.Whens.Count > 0 || leaf.Musts.Count > 0) return false;
        if (leaf.Parent is not (ContainerSchema or ListSchema)) return false;
        if (_bySubtree.ContainsKey(leaf) || _leafrefsByTargetAncestor.ContainsKey(leaf) || _uniqueLeaves.Contains(leaf)) return false;
        if (_observedNames.Contains(leaf.Name)) return false;
        for (SchemaNode? s = leaf; s is not null; s = s.Parent)
            if (_byFinal.ContainsKey(s)) return false;
        return true;
    }

    private static IEnumerable<string> NameTokens(string path)
    {
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(path, @"[A-Za-z_][A-Za-z0-9_.-]*"))
            yield return m.Value;
    }

    public SchemaNode Root { get; }

    /// <summary>A schema node with when or must conditions, and the ancestor that bounds what they read.</summary>
    /// <param name="Node">The node carrying the conditions.</param>
    /// <param name="Scope">Ancestor-or-self of <paramref name="Node"/> (the schema root for absolute paths).</param>
    /// <param name="GuardsCardinality">
    /// Its when decides whether the node is required (mandatory, min/max-elements, mandatory nodes below a
    /// non-presence container): a change to what the when reads re-checks the node's parents too.
    /// </param>
    public sealed record Dependent(SchemaNode Node, SchemaNode Scope, bool GuardsCardinality = false);

    /// <summary>
    /// The conditions a create, delete or value change of an instance of <paramref name="changed"/> can affect:
    /// those reading it, a node inside it, or a node above it whose subtree it is part of.
    /// </summary>
    public void Triggered(SchemaNode changed, List<Dependent> into)
    {
        if (_bySubtree.TryGetValue(changed, out var below)) into.AddRange(below);
        for (SchemaNode? s = changed; s is not null; s = s.Parent)
            if (_byFinal.TryGetValue(s, out var reading)) into.AddRange(reading);
        into.AddRange(_global);
    }

    /// <summary>
    /// Leafref leaves whose target is <paramref name="changed"/> or below it: a delete or value change there can
    /// leave them dangling. Leafrefs with key predicates also read the leaves their predicates name: any change
    /// may affect them (<see cref="PredicateLeafrefs"/>).
    /// </summary>
    public IReadOnlyList<SchemaNode> LeafrefsInto(SchemaNode changed) =>
        _leafrefsByTargetAncestor.TryGetValue(changed, out var l) ? l : [];

    /// <summary>Leafrefs whose path has key predicates and required instance-identifiers: re-checked after every edit (correct, and rare).</summary>
    public List<SchemaNode> PredicateLeafrefs { get; } = [];

    /// <summary>Depth in data terms: the root is 0, a top-level node 1.</summary>
    public static int Depth(SchemaNode s)
    {
        var d = 0;
        for (var n = s.Kind == SchemaNodeKind.Root ? null : s; n is not null; n = n.DataParent) d++;
        return d;
    }

    private void Visit(SchemaNode node)
    {
        foreach (var c in node.Children)
        {
            if (c.IsDataNode)
            {
                if (c.Whens.Count > 0 || c.Musts.Count > 0) Analyze(c);
                if (c is ListSchema list)
                    foreach (var u in list.Uniques) _uniqueLeaves.UnionWith(u.Leaves);
                if (c is LeafSchema { Default: not null } withDefault) _defaultLeaves.Add(withDefault);
                if (c is LeafSchema { Type: var t } && IsRequiredLeafref(t)) IndexLeafref(c, t.LeafrefTarget!);
                else if (c is LeafListSchema { Type: var lt } && IsRequiredLeafref(lt)) IndexLeafref(c, lt.LeafrefTarget!);
                // An instance-identifier may point anywhere: re-checked after every edit, like predicate leafrefs.
                else if (((c as LeafSchema)?.Type ?? (c as LeafListSchema)?.Type) is { Kind: BuiltinType.InstanceIdentifier, RequireInstance: true })
                    PredicateLeafrefs.Add(c);
            }
            Visit(c);
        }
    }

    private static bool IsRequiredLeafref(YangType t) => t.Kind == BuiltinType.Leafref && t.RequireInstance && t.LeafrefTarget is not null;

    private void IndexLeafref(SchemaNode leaf, SchemaNode target)
    {
        var type = (leaf as LeafSchema)?.Type ?? ((LeafListSchema)leaf).Type;
        if (LeafrefInstances.HasPredicates(type)) PredicateLeafrefs.Add(leaf);
        for (SchemaNode? s = target; s is not null; s = s.Parent)
        {
            if (!_leafrefsByTargetAncestor.TryGetValue(s, out var list)) _leafrefsByTargetAncestor[s] = list = [];
            list.Add(leaf);
        }
    }

    private void Analyze(SchemaNode node)
    {
        var reach = new Reach(Root);
        var ok = true;
        foreach (var w in node.Whens)
            ok &= reach.Expression(w.Expression, [w.ContextIsParent ? node.DataParent ?? Root : node], node);
        foreach (var m in node.Musts)
            ok &= reach.Expression(m.Expression, [node], node);
        var guards = node.Whens.Count > 0 && node switch
        {
            LeafSchema l => l.Mandatory,
            AnySchema a => a.Mandatory,
            ListSchema l => l.MinElements > 0 || l.MaxElements != uint.MaxValue,
            LeafListSchema l => l.MinElements > 0 || l.MaxElements != uint.MaxValue,
            ContainerSchema { IsPresence: false } c => SchemaFacts.HasMandatoryBelow(c),
            _ => false,
        };
        if (!ok)
        {
            _global.Add(new Dependent(node, Root, guards));
            return;
        }
        var scope = node;
        for (var d = Depth(node); d > reach.MinDepth && scope is not null; d--) scope = scope.DataParent;
        var dependent = new Dependent(node, scope ?? Root, guards);
        var ancestors = new HashSet<SchemaNode>(ReferenceEqualityComparer.Instance);
        foreach (var r in reach.Reached)
            for (SchemaNode? s = r; s is not null; s = s.Parent)
                if (ancestors.Add(s)) Add(_bySubtree, s, dependent);
        foreach (var f in reach.Finals) Add(_byFinal, f, dependent);
    }

    private static void Add(Dictionary<SchemaNode, List<Dependent>> map, SchemaNode key, Dependent d)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        if (list.Count == 0 || !ReferenceEquals(list[^1], d)) list.Add(d);
    }

    /// <summary>Walks an expression over the schema: which schema nodes its paths pass and end on, and how high they climb.</summary>
    private sealed class Reach(SchemaNode root)
    {
        public readonly HashSet<SchemaNode> Reached = new(ReferenceEqualityComparer.Instance);
        public readonly HashSet<SchemaNode> Finals = new(ReferenceEqualityComparer.Instance);
        public int MinDepth = int.MaxValue;

        /// <summary>False when the expression cannot be followed (its conditions then depend on everything).</summary>
        public bool Expression(XPathExpr e, List<SchemaNode> context, SchemaNode current)
        {
            try
            {
                if (e is UnparsedXPath u) e = XPathCache.Parse(u);
                foreach (var c in context) Note(c);
                Note(current);
                Eval(e, context, current);
                return true;
            }
            catch (Exception ex) when (ex is NotSupportedException or XPathSyntaxException or InvalidOperationException)
            {
                return false;
            }
        }

        private void Note(SchemaNode s)
        {
            Reached.Add(s);
            MinDepth = Math.Min(MinDepth, Depth(s));
        }

        /// <summary>The schema nodes a node-set expression can select (empty for other values).</summary>
        private List<SchemaNode> Eval(XPathExpr e, List<SchemaNode> context, SchemaNode current)
        {
            switch (e)
            {
                case XNumber or XLiteral:
                    return [];
                case XNegate n:
                    Eval(n.Operand, context, current);
                    return [];
                case XBinary b:
                    var l = Eval(b.Left, context, current);
                    var r = Eval(b.Right, context, current);
                    Final(l);
                    Final(r);
                    return b.Op == "|" ? [.. l, .. r] : [];
                case XCall call:
                    return Call(call, context, current);
                case XPath.XPath p:
                    var start = p.Absolute ? [root] : context;
                    if (p.Absolute) Note(root);
                    return Steps(p.Steps, start, current);
                case XFilter f:
                    var primary = Eval(f.Primary, context, current);
                    foreach (var pred in f.Predicates) Predicate(pred, primary, current);
                    return f.Path is null ? primary : Steps(f.Path.Steps, primary, current);
                default:
                    throw new NotSupportedException(e.GetType().Name);
            }
        }

        private List<SchemaNode> Call(XCall call, List<SchemaNode> context, SchemaNode current)
        {
            switch (call.Name)
            {
                case "current":
                    Note(current);
                    return [current];
                case "deref":
                    var refs = Eval(call.Args[0], context, current);
                    Final(refs);
                    var targets = new List<SchemaNode>();
                    foreach (var s in refs)
                    {
                        var t = (s as LeafSchema)?.Type ?? (s as LeafListSchema)?.Type;
                        if (t?.LeafrefTarget is not { } target) throw new NotSupportedException("deref of a non-leafref");
                        targets.Add(target);
                    }
                    // The target is found through the whole tree.
                    Note(root);
                    foreach (var t in targets) Note(t);
                    return targets;
                case "id" or "lang":
                    throw new NotSupportedException(call.Name);
                default:
                    foreach (var a in call.Args) Final(Eval(a, context, current));
                    return [];
            }
        }

        private void Final(List<SchemaNode> set)
        {
            foreach (var s in set) Finals.Add(s);
        }

        private void Predicate(XPathExpr pred, List<SchemaNode> nodes, SchemaNode current)
        {
            foreach (var n in nodes) Final(Eval(pred, [n], current));
        }

        private List<SchemaNode> Steps(IReadOnlyList<XStep> steps, List<SchemaNode> start, SchemaNode current)
        {
            var set = start;
            foreach (var step in steps)
            {
                var next = new List<SchemaNode>();
                foreach (var s in set) Select(step, s, next);
                foreach (var n in next) Note(n);
                foreach (var pred in step.Predicates) Predicate(pred, next, current);
                set = Distinct(next);
            }
            return set;
        }

        private static List<SchemaNode> Distinct(List<SchemaNode> l) =>
            l.Count < 2 ? l : [.. new HashSet<SchemaNode>(l, ReferenceEqualityComparer.Instance)];

        private void Select(XStep step, SchemaNode s, List<SchemaNode> into)
        {
            switch (step.Axis)
            {
                case Axis.Child:
                    foreach (var c in s.DataChildren())
                        if (Matches(step, c)) into.Add(c);
                    break;
                case Axis.Self:
                    if (Matches(step, s)) into.Add(s);
                    break;
                case Axis.Parent:
                    if (s.Kind == SchemaNodeKind.Root) break;
                    var p = s.DataParent ?? root;
                    if (Matches(step, p)) into.Add(p);
                    break;
                case Axis.Descendant or Axis.DescendantOrSelf:
                    if (step.Axis == Axis.DescendantOrSelf && Matches(step, s)) into.Add(s);
                    Descend(step, s, into);
                    break;
                case Axis.Ancestor or Axis.AncestorOrSelf:
                    if (step.Axis == Axis.AncestorOrSelf && Matches(step, s)) into.Add(s);
                    for (var a = s.Kind == SchemaNodeKind.Root ? null : s.DataParent ?? root; a is not null; a = a.Kind == SchemaNodeKind.Root ? null : a.DataParent ?? root)
                        if (Matches(step, a)) into.Add(a);
                    break;
                case Axis.FollowingSibling or Axis.PrecedingSibling:
                    if (s.Kind == SchemaNodeKind.Root) break;
                    var parent = s.DataParent ?? root;
                    Note(parent);
                    foreach (var c in parent.DataChildren())
                        if (Matches(step, c)) into.Add(c);
                    break;
                case Axis.Attribute or Axis.Namespace:
                    break;
                default:
                    throw new NotSupportedException(step.Axis.ToString());
            }
        }

        private static void Descend(XStep step, SchemaNode s, List<SchemaNode> into)
        {
            foreach (var c in s.DataChildren())
            {
                if (!c.IsDataNode) continue;
                if (Matches(step, c)) into.Add(c);
                Descend(step, c, into);
            }
        }

        private static bool Matches(XStep s, SchemaNode n)
        {
            if (s.NodeType is "node") return true;
            if (s.NodeType is "text") return false;
            if (n.Kind == SchemaNodeKind.Root) return false;
            if (s.Name is not null && s.Name != n.Name) return false;
            return s.AnyModule || ReferenceEquals(s.Module, n.Module);
        }
    }
}
