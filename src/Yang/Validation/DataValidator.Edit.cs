using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Validation;

public static partial class DataValidator
{
    /// <summary>
    /// Validates a tree that was valid before <paramref name="edit"/> was applied to it, visiting only what the
    /// edit can have made invalid: the created subtrees, the cardinality rules (mandatory, min/max-elements,
    /// unique, choices) of the parents it changed, the when/must conditions that read a changed node (within the
    /// one scope instance that holds the change, see <see cref="ValidationDependencies"/>), the leafrefs it
    /// created or changed, and the leafrefs into what it deleted. Defaults go in where the edit removed nodes or
    /// created subtrees, recorded in the edit so that <see cref="DataEditor.AppliedEdit.Undo"/> takes them out.
    /// The verdict is the one <see cref="Validate"/> would give on the whole tree; a one-entry edit costs the
    /// same whatever the size of the tree.
    /// </summary>
    /// <param name="tree">The tree the edit was applied to.</param>
    /// <param name="edit">The applied edit.</param>
    /// <param name="o">Options as for <see cref="Validate"/>.</param>
    /// <param name="treeWasValid">
    /// False when nothing is known of the tree before the edit: then the whole tree is validated, with the
    /// defaults it gets still recorded in the edit.
    /// </param>
    public static IReadOnlyList<DataError> ValidateEdit(DataRoot tree, DataEditor.AppliedEdit edit, ValidationOptions? o = null, bool treeWasValid = true)
    {
        o ??= new ValidationOptions();
        var changes = edit.Changes;
        var v = new Walker(tree, o);
        if (treeWasValid)
        {
            if (o.AddDefaults) AddDefaultsAfter(tree, changes, edit, DataDefaults.For(tree.Context, o.ConfigOnly));
            v.Changes(changes);
        }
        else
        {
            if (o.AddDefaults) DataDefaults.Add(tree, o.ConfigOnly, edit.Track);
            v.Inner(tree);
        }
        v.CheckLeafrefs();
        return v.Errors;
    }

    private static void AddDefaultsAfter(DataRoot tree, IReadOnlyList<DataChange> changes, DataEditor.AppliedEdit edit, DataDefaults.Scope scope)
    {
        var track = edit.Track;
        foreach (var c in changes)
        {
            switch (c.Kind)
            {
                case DiffKind.Created when c.After is DataInner { Schema.Kind: SchemaNodeKind.Container or SchemaNodeKind.List } created && IsIn(created, tree):
                    DataDefaults.AddInto(created, created.Schema, scope, track);
                    break;
                case DiffKind.Deleted when c.Parent is { } parent && IsIn(parent, tree) && DirectChild(parent.Schema, c.Before!.Schema) is { } child:
                    DataDefaults.AddChild(parent, child, scope, track);
                    break;
            }
        }
    }

    /// <summary>True when <paramref name="n"/> is (still) part of <paramref name="tree"/>.</summary>
    private static bool IsIn(DataNode n, DataRoot tree)
    {
        var top = n;
        while (top.Parent is not null) top = top.Parent;
        return ReferenceEquals(top, tree);
    }

    /// <summary>The schema child of <paramref name="parent"/> (possibly a choice) that holds <paramref name="descendant"/>.</summary>
    private static SchemaNode? DirectChild(SchemaNode parent, SchemaNode descendant)
    {
        for (var s = descendant; s.Parent is { } p; s = p)
            if (ReferenceEquals(p, parent)) return s;
        return null;
    }

    private sealed partial class Walker
    {
        public void Changes(IReadOnlyList<DataChange> changes)
        {
            _evaluated = new HashSet<DataNode>(ReferenceEqualityComparer.Instance);
            _queued = new HashSet<DataLeaf>(ReferenceEqualityComparer.Instance);
            var deps = ValidationDependencies.Of(tree.Context);
            var created = new HashSet<DataNode>(ReferenceEqualityComparer.Instance);
            foreach (var c in changes)
                if (c.Kind == DiffKind.Created && c.After is { } n) created.Add(n);
            // Cardinality of the parents the changes are in, and unique of the lists they are inside, each checked once.
            var parentChecks = new HashSet<(DataInner, SchemaNode)>();
            var uniqueChecks = new HashSet<(DataInner, SchemaNode)>();
            var scopes = new HashSet<(DataNode, SchemaNode)>();
            var leafrefSchemas = new HashSet<SchemaNode>(ReferenceEqualityComparer.Instance);
            var triggered = new List<ValidationDependencies.Dependent>();

            foreach (var c in changes)
            {
                var node = c.After ?? c.Before!;
                // Where the change is in the tree now: the node itself, or for a deletion the parent it left.
                DataInner? parent = c.Kind == DiffKind.Deleted ? c.Parent : node.Parent;
                if (parent is null || !IsIn(parent, tree)) continue;
                DataNode anchor = c.Kind == DiffKind.Deleted ? parent : node;

                if (c.Kind == DiffKind.Created)
                {
                    // A subtree created inside another created subtree is validated with it.
                    if (!HasCreatedAncestor(node, created)) Node(node);
                }
                else if (c.Kind == DiffKind.Modified && node is DataLeaf leaf && RequiresInstance(leaf.Type))
                    QueueLeafref(leaf);

                if (c.Kind != DiffKind.Modified && DirectChild(parent.Schema, node.Schema) is { } child) parentChecks.Add((parent, child));
                ListsAbove(anchor, uniqueChecks);

                triggered.Clear();
                deps.Triggered(node.Schema, triggered);
                foreach (var d in triggered)
                {
                    if (ScopeInstance(anchor, d.Scope) is not { } scope || !scopes.Add((scope, d.Node))) continue;
                    foreach (var instance in Instances(scope, d.Node)) CheckWhenAndMust(instance);
                    // A when that now holds can make an absent node required: its parents' rules again.
                    if (d.GuardsCardinality && (d.Node.DataParent ?? deps.Root) is var parentSchema
                        && ValidationDependencies.Depth(parentSchema) >= ValidationDependencies.Depth(scope.Schema))
                        foreach (var p in Instances(scope, parentSchema))
                            if (p is DataInner holder && DirectChild(holder.Schema, d.Node) is { } holderChild) parentChecks.Add((holder, holderChild));
                }

                if (c.Kind != DiffKind.Created)
                    foreach (var l in deps.LeafrefsInto(node.Schema))
                        if (leafrefSchemas.Add(l))
                            foreach (var instance in Instances(tree, l))
                                if (instance is DataLeaf referring) QueueLeafref(referring);
            }
            if (changes.Count > 0)
                foreach (var l in deps.PredicateLeafrefs)
                    if (leafrefSchemas.Add(l))
                        foreach (var instance in Instances(tree, l))
                            if (instance is DataLeaf referring) QueueLeafref(referring);
            foreach (var (parent, child) in parentChecks) CheckSchemaChild(parent, child, new At(parent, null));
            foreach (var (parent, list) in uniqueChecks)
                if (DirectChild(parent.Schema, list) is not { } holder || !parentChecks.Contains((parent, holder))) CheckUnique(parent, (ListSchema)list);
        }

        private static bool HasCreatedAncestor(DataNode n, HashSet<DataNode> created)
        {
            for (var p = n.Parent; p is not null; p = p.Parent)
                if (created.Contains(p)) return true;
            return false;
        }

        /// <summary>The lists with unique constraints the change is inside (RFC 7950 §7.8.3): a leaf of an entry may now equal another entry's.</summary>
        private static void ListsAbove(DataNode anchor, HashSet<(DataInner, SchemaNode)> into)
        {
            for (DataNode? n = anchor; n?.Parent is { } p; n = p)
                if (n.Schema is ListSchema { Uniques.Count: > 0 } list) into.Add((p, list));
        }

        /// <summary>The instance of <paramref name="scope"/> that holds <paramref name="anchor"/>, or null when the change is above the scope.</summary>
        private DataNode? ScopeInstance(DataNode anchor, SchemaNode scope)
        {
            if (scope.Kind == SchemaNodeKind.Root) return tree;
            for (DataNode? n = anchor; n is not null; n = n.Parent)
                if (ReferenceEquals(n.Schema, scope)) return n;
            return null;
        }

        /// <summary>Every instance of <paramref name="schema"/> inside <paramref name="from"/> (or <paramref name="from"/> itself).</summary>
        private static List<DataNode> Instances(DataNode from, SchemaNode schema)
        {
            var chain = new List<SchemaNode>();
            for (SchemaNode? s = schema; s is not null && !ReferenceEquals(s, from.Schema); s = s.DataParent) chain.Add(s);
            var found = new List<DataNode>();
            if (from is DataRoot || chain.Count == 0 || ReferenceEquals(chain[^1].DataParent, from.Schema))
                Collect(from, chain, chain.Count - 1, found);
            return found;
        }

        private static void Collect(DataNode at, List<SchemaNode> chain, int level, List<DataNode> found)
        {
            if (level < 0)
            {
                found.Add(at);
                return;
            }
            if (at is not DataInner inner) return;
            var step = chain[level];
            foreach (var c in inner.Children)
                if (ReferenceEquals(c.Schema, step)) Collect(c, chain, level - 1, found);
        }

        /// <summary>
        /// A leafref to the only key of a list that sits in containers from the top: looked up in the list's key
        /// index instead of collecting every target value. Null when the target is not of that shape.
        /// </summary>
        private bool? TryFindByKey(DataLeaf leaf, SchemaNode target)
        {
            if (target is not LeafSchema { IsKey: true } key || key.DataParent is not ListSchema { Keys.Length: 1 } list) return null;
            var chain = new List<SchemaNode>();
            for (var s = list.DataParent; s is not null; s = s.DataParent)
            {
                if (s is not ContainerSchema) return null;
                chain.Add(s);
            }
            DataInner at = tree;
            for (var i = chain.Count - 1; i >= 0; i--)
            {
                if (at.Find(chain[i]) is not DataInner next) return false;
                at = next;
            }
            return at.FindListEntry(list, [leaf.Value]) is not null;
        }
    }
}
