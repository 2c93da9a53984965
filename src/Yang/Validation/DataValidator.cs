using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Validation;

/// <param name="ConfigOnly">A configuration: state (config false) nodes are errors.</param>
/// <param name="AddDefaults">Add schema defaults first.</param>
/// <param name="Output">An rpc or action document is its reply: checked against the output, not the input.</param>
public sealed record ValidationOptions(bool ConfigOnly = false, bool AddDefaults = true, bool Output = false);

/// <summary>
/// Validates a whole data tree (RFC 7950 §8): mandatory nodes and choices, min/max-elements, choice
/// exclusivity, unique, leafref require-instance, when and must, and config false nodes in configuration.
/// Every error is reported with the instance path of the offending node; validation never stops at the
/// first. Paths are built only for errors: a valid tree is walked without allocating.
/// </summary>
public static partial class DataValidator
{
    public static IReadOnlyList<DataError> Validate(DataRoot tree, ValidationOptions? o = null)
    {
        o ??= new ValidationOptions();
        if (o.AddDefaults) DataDefaults.Add(tree, o.ConfigOnly, output: o.Output);
        var v = new Walker(tree, o);
        v.Inner(tree);
        v.CheckLeafrefs();
        return v.Errors;
    }

    private sealed partial class Walker(DataRoot tree, ValidationOptions o)
    {
        public readonly List<DataError> Errors = [];
        private readonly List<DataLeaf> _leafrefs = [];
        private Dictionary<SchemaNode, HashSet<string>>? _targets;

        // Set when validating an edit: instances whose when/must were already evaluated, and leafref leaves already queued.
        private HashSet<DataNode>? _evaluated;
        private HashSet<DataLeaf>? _queued;

        public void Inner(DataInner node)
        {
            var schema = node.Schema;
            // An rpc/action request or reply is validated on its own: the data tree's top-level rules do not apply.
            var operationDocument = node is DataRoot && node.ChildCount == 1 && node.Children[0].Schema is OperationSchema;
            if (!operationDocument) CheckChildren(node, schema is OperationSchema op ? (o.Output ? op.Output : op.Input) : schema, new At(node, null));
            foreach (var c in node.Children) Node(c);
        }

        /// <summary>One node and everything below it.</summary>
        public void Node(DataNode c)
        {
            if (o.ConfigOnly && !c.Schema.Config)
            {
                Errors.Add(new DataError(ErrorTag.InvalidValue, c.Path, $"\"{c.Name}\" is state data (config false) and not allowed in configuration"));
                return;
            }
            if (c.Schema.Whens.Count > 0 || c.Schema.Musts.Count > 0) CheckWhenAndMust(c);
            switch (c)
            {
                case DataInner inner:
                    Inner(inner);
                    break;
                case DataLeaf leaf when RequiresInstance(leaf.Type):
                    QueueLeafref(leaf);
                    break;
            }
        }

        private void QueueLeafref(DataLeaf leaf)
        {
            if (_queued is null || _queued.Add(leaf)) _leafrefs.Add(leaf);
        }

        /// <summary>
        /// RFC 7950 §7.21.5 / §7.5.3: a node whose when is false must not exist; every must must hold. An expression
        /// the evaluator cannot handle is skipped rather than reported against valid data.
        /// </summary>
        private void CheckWhenAndMust(DataNode n)
        {
            if (_evaluated is not null && !_evaluated.Add(n)) return;
            var whens = n.Schema.Whens;
            for (var i = 0; i < whens.Count; i++)
            {
                var w = whens[i];
                var context = w.ContextIsParent ? n.Parent ?? (DataNode)n : n;
                if (TryEvaluate(w.Expression, context, n) == false)
                    Errors.Add(new DataError(ErrorTag.UnknownElement, n.Path, $"\"{n.Name}\" is present although its when condition \"{w.Text}\" is false", "when-violation"));
            }
            var musts = n.Schema.Musts;
            for (var i = 0; i < musts.Count; i++)
            {
                var m = musts[i];
                if (TryEvaluate(m.Expression, n, n) == false)
                    Errors.Add(new DataError(ErrorTag.OperationFailed, n.Path, m.ErrorMessage ?? $"must condition \"{m.Text}\" is not satisfied", m.ErrorAppTag ?? "must-violation"));
            }
        }

        /// <summary>
        /// Whether the when conditions of schema child <paramref name="c"/> hold in <paramref name="parent"/>: on an
        /// instance when there is one, else on a stand-in node hung below the parent (not one of its children) so
        /// that relative paths start where the node would be. A condition that cannot be evaluated does not hold.
        /// </summary>
        private bool WhenHolds(DataInner parent, SchemaNode c)
        {
            if (!c.IsDataNode) return false;
            var node = parent.Find(c);
            if (node is null)
            {
                node = c.Kind is SchemaNodeKind.Leaf or SchemaNodeKind.LeafList ? DataLeaf.Create(c, "") : c.Kind is SchemaNodeKind.AnyData or SchemaNodeKind.AnyXml ? new DataAny(c, new AnyValue(null, null)) : new DataInner(c);
                node.Parent = parent;
            }
            foreach (var w in c.Whens)
                if (TryEvaluate(w.Expression, w.ContextIsParent ? parent : node, node) != true) return false;
            return true;
        }

        /// <summary>Values of context-free expressions (<see cref="XPath.ContextFreeXPath"/>) in this validation's tree.</summary>
        private Dictionary<XPath.XPathExpr, bool?>? _constants;

        private bool? TryEvaluate(XPath.XPathExpr e, DataNode context, DataNode current)
        {
            if (!XPath.ContextFreeXPath.Is(e) || !InTree(context)) return Evaluate(e, context, current);
            _constants ??= new(ReferenceEqualityComparer.Instance);
            if (!_constants.TryGetValue(e, out var value)) _constants.Add(e, value = Evaluate(e, context, current));
            return value;
        }

        // An absolute path starts at the root of the context node: the memo holds for nodes of this tree only.
        private bool InTree(DataNode n)
        {
            while (n.Parent is { } up) n = up;
            return ReferenceEquals(n, tree);
        }

        private static bool? Evaluate(XPath.XPathExpr e, DataNode context, DataNode current)
        {
            try
            {
                return XPath.XPathEvaluator.Evaluate(e, context, current).ToBoolean();
            }
            catch (Exception ex) when (ex is XPath.XPathSyntaxException or InvalidOperationException or FormatException or ArgumentException)
            {
                return null;
            }
        }

        private static bool RequiresInstance(YangType t) =>
            (t.Kind == BuiltinType.Leafref && t.RequireInstance && t.LeafrefTarget is not null)
            || (t.Kind == BuiltinType.InstanceIdentifier && t.RequireInstance);

        /// <summary>Cardinality rules of the data children of <paramref name="schema"/> within one instance.</summary>
        private void CheckChildren(DataInner node, SchemaNode schema, At path)
        {
            foreach (var c in schema.Children) CheckSchemaChild(node, c, path);
        }

        private void CheckSchemaChild(DataInner node, SchemaNode c, At path)
        {
            if (o.ConfigOnly && !c.Config) return;
            // A node under a when condition is only required while the condition holds (RFC 7950 §7.21.5); the
            // condition is evaluated only when the child has a rule to check here.
            if (c.Whens.Count > 0 && HasCardinalityRule(node, c) && !WhenHolds(node, c)) return;
            switch (c)
            {
                case LeafSchema { Mandatory: true } leaf:
                    if (node.Find(leaf) is null)
                        Errors.Add(new DataError(ErrorTag.MissingElement, Join(path, c), $"mandatory leaf \"{c.Name}\" is missing", BadElement: c.Name));
                    break;
                case AnySchema { Mandatory: true }:
                    if (node.Find(c) is null)
                        Errors.Add(new DataError(ErrorTag.MissingElement, Join(path, c), $"mandatory node \"{c.Name}\" is missing", BadElement: c.Name));
                    break;
                case ListSchema list:
                    CheckCount(node, list, list.MinElements, list.MaxElements, path);
                    if (list.Uniques.Count > 0) CheckUnique(node, list);
                    break;
                case LeafListSchema ll:
                    CheckCount(node, ll, ll.MinElements, ll.MaxElements, path);
                    break;
                case ContainerSchema { IsPresence: false } cont when node.Find(cont) is null && SchemaFacts.HasMandatoryBelow(cont):
                    // An absent non-presence container still carries its mandatory descendants.
                    var virtualPath = new At(null, Join(path, c));
                    var absent = new DataInner(cont);
                    foreach (var cc in cont.Children) CheckSchemaChild(absent, cc, virtualPath);
                    break;
                case ChoiceSchema choice:
                    CheckChoice(node, choice, path);
                    break;
            }
        }

        /// <summary>Whether <see cref="CheckSchemaChild"/> has anything to check for <paramref name="c"/> in <paramref name="node"/>.</summary>
        private static bool HasCardinalityRule(DataInner node, SchemaNode c) => c switch
        {
            LeafSchema l => l.Mandatory,
            AnySchema a => a.Mandatory,
            ListSchema l => l.MinElements > 0 || l.MaxElements != uint.MaxValue || l.Uniques.Count > 0,
            LeafListSchema l => l.MinElements > 0 || l.MaxElements != uint.MaxValue,
            ContainerSchema { IsPresence: false } cont => SchemaFacts.HasMandatoryBelow(cont) && node.Find(cont) is null,
            ChoiceSchema => true,
            _ => false,
        };

        private void CheckCount(DataInner node, SchemaNode s, uint min, uint max, At path)
        {
            if (min == 0 && max == uint.MaxValue) return;
            var n = (uint)node.Count(s);
            if (n < min)
                Errors.Add(new DataError(ErrorTag.OperationFailed, Join(path, s), $"\"{s.Name}\" has {n} entries; at least {min} are required", "too-few-elements"));
            else if (n > max)
                Errors.Add(new DataError(ErrorTag.OperationFailed, Join(path, s), $"\"{s.Name}\" has {n} entries; at most {max} are allowed", "too-many-elements"));
        }

        private void CheckChoice(DataInner node, ChoiceSchema choice, At path)
        {
            CaseSchema? active = null;
            foreach (var child in choice.Children)
            {
                if (child is not CaseSchema cs || !CaseHasData(node, cs)) continue;
                if (active is not null)
                {
                    Errors.Add(new DataError(ErrorTag.BadElement, path.Text, $"nodes from cases \"{active.Name}\" and \"{cs.Name}\" of choice \"{choice.Name}\" are both present"));
                    return;
                }
                active = cs;
            }
            if (active is null)
            {
                if (choice.Mandatory)
                    Errors.Add(new DataError(ErrorTag.DataMissing, Join(path, choice), $"mandatory choice \"{choice.Name}\" has no case", "missing-choice", BadElement: choice.Name));
                return;
            }
            foreach (var c in active.Children) CheckSchemaChild(node, c, path);
        }

        private static bool CaseHasData(DataInner node, SchemaNode cs)
        {
            foreach (var d in cs.DataChildren())
                if (node.Find(d) is DataNode n && !n.IsDefault) return true;
            return false;
        }

        private void CheckUnique(DataInner node, ListSchema list)
        {
            foreach (var u in list.Uniques)
            {
                var seen = new Dictionary<string, DataInner>(StringComparer.Ordinal);
                foreach (var e in node.FindAll(list))
                {
                    var entry = (DataInner)e;
                    var parts = new string[u.Leaves.Count];
                    var complete = true;
                    for (var i = 0; i < parts.Length && complete; i++)
                    {
                        var v = FindDescendantLeaf(entry, u.Leaves[i]);
                        if (v is null) complete = false;
                        else parts[i] = v;
                    }
                    if (!complete) continue;
                    var key = string.Join('\0', parts);
                    if (seen.TryGetValue(key, out var other))
                        Errors.Add(new DataError(ErrorTag.OperationFailed, entry.Path,
                            $"unique constraint \"{string.Join(' ', u.Paths)}\" violated: same values as {other.Path}", "data-not-unique"));
                    else seen[key] = entry;
                }
            }
        }

        private static string? FindDescendantLeaf(DataInner entry, LeafSchema leaf)
        {
            // Walk the schema chain from the list down to the leaf.
            var chain = new List<SchemaNode>();
            for (SchemaNode? s = leaf; s is not null && !ReferenceEquals(s, entry.Schema); s = s.DataParent) chain.Add(s);
            DataInner current = entry;
            for (var i = chain.Count - 1; i > 0; i--)
            {
                if (current.Find(chain[i]) is not DataInner next) return null;
                current = next;
            }
            return (current.Find(leaf) as DataLeaf)?.Value;
        }

        public void CheckLeafrefs()
        {
            foreach (var leaf in _leafrefs)
            {
                if (leaf.Type.Kind == BuiltinType.InstanceIdentifier)
                {
                    if (!InstanceIdentifiers.Exists(tree, leaf.Value))
                        Errors.Add(new DataError(ErrorTag.DataMissing, leaf.Path, $"\"{leaf.Value}\" does not refer to an existing node", "instance-required"));
                    continue;
                }
                var target = leaf.Type.LeafrefTarget!;
                var exists = leaf.Type.LeafrefPath is XPath.LeafrefPath path && LeafrefInstances.HasPredicates(leaf.Type) ? LeafrefInstances.Exists(leaf, path)
                    : _evaluated is not null && TryFindByKey(leaf, target) is { } found ? found
                    : TargetValues(target).Contains(leaf.Value);
                if (!exists)
                    Errors.Add(new DataError(ErrorTag.DataMissing, leaf.Path,
                        $"\"{leaf.Value}\" does not refer to an existing {target.Path}", "instance-required"));
            }
        }

        private HashSet<string> TargetValues(SchemaNode target)
        {
            _targets ??= [];
            if (!_targets.TryGetValue(target, out var values))
            {
                values = new HashSet<string>(StringComparer.Ordinal);
                Collect(tree, target, values);
                _targets[target] = values;
            }
            return values;
        }

        private static void Collect(DataInner node, SchemaNode target, HashSet<string> values)
        {
            foreach (var c in node.Children)
            {
                if (ReferenceEquals(c.Schema, target) && c is DataLeaf l) values.Add(l.Value);
                else if (c is DataInner i && IsAncestorSchema(i.Schema, target)) Collect(i, target, values);
            }
        }

        private static bool IsAncestorSchema(SchemaNode candidate, SchemaNode target)
        {
            for (var s = target.Parent; s is not null; s = s.Parent)
                if (ReferenceEquals(s, candidate)) return true;
            return false;
        }

        private static string Join(At at, SchemaNode child)
        {
            var path = at.Text;
            return (path == "/" ? "" : path) + "/" + (child.DataParent is { } p && ReferenceEquals(p.Module, child.Module) ? "" : child.Module.Name + ":") + child.Name;
        }

        /// <summary>Where a check happens: a data node whose path is built only when an error needs it, or a fixed path (below absent containers).</summary>
        private readonly record struct At(DataInner? Node, string? Fixed)
        {
            public string Text => Fixed ?? DataPath.Of(Node!);
        }
    }
}
