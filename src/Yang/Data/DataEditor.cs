using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// Applies an edit document to a data tree with the RFC 6241 §7.2 operations (merge, replace, create,
/// delete, remove, none), the YANG insert attribute for ordered-by user lists (RFC 7950 §7.8.6) and choice
/// case replacement (§7.9.3). Edit-config, RESTCONF and gNMI Set all come through here. All or nothing:
/// every change is logged and undone in reverse when any part fails, so the target never half-changes;
/// only the touched nodes are visited, whatever the size of the target.
/// </summary>
public static class DataEditor
{
    public static void Apply(DataRoot target, DataRoot edit, EditOperation defaultOperation = EditOperation.Merge) =>
        ApplyUndoable(target, edit, defaultOperation);

    /// <summary>
    /// Applies an edit and hands back what it changed and how to undo it: a transaction validates the result
    /// and then keeps it, or calls <see cref="AppliedEdit.Undo"/>. On failure nothing is left applied.
    /// </summary>
    public static AppliedEdit ApplyUndoable(DataRoot target, DataRoot edit, EditOperation defaultOperation = EditOperation.Merge)
    {
        var undo = new UndoLog();
        try
        {
            var session = new Session(edit.Edit ?? new EditMetadata(), undo);
            foreach (var e in edit.Children) session.Apply(target, e, defaultOperation);
        }
        catch
        {
            undo.Rollback();
            throw;
        }
        return new AppliedEdit(undo);
    }

    /// <summary>
    /// Cuts an edit document into parts that succeed or fail on their own (NETCONF continue-on-error): each
    /// child of a top-level container or list entry, under a copy of that node with its keys; a top-level
    /// node that carries an operation, or holds nothing but keys, stays whole. The document is taken apart
    /// (its nodes move into the parts, which share its edit marks).
    /// </summary>
    public static List<DataRoot> SplitIntoParts(DataRoot edit)
    {
        var marks = edit.Edit ?? new EditMetadata();
        var parts = new List<DataRoot>();
        foreach (var top in edit.Children.ToArray())
        {
            if (top is not DataInner inner || marks.Get(top).Operation != EditOperation.Inherit || marks.Get(top).Insert is not null || !HasOwnChildren(inner))
            {
                parts.Add(Part(edit, marks, top));
                continue;
            }
            foreach (var child in inner.Children.ToArray())
            {
                if (child.Schema is LeafSchema { IsKey: true } && inner.Schema is ListSchema) continue;
                var shell = new DataInner(inner.Schema);
                if (inner.Schema is ListSchema ls)
                    foreach (var k in ls.Keys)
                        if (inner.Find(k) is DataLeaf kv) shell.Add(DataLeaf.Create(k, kv.Value));
                inner.Remove(child);
                shell.Add(child);
                parts.Add(Part(edit, marks, shell));
            }
        }
        return parts;

        static bool HasOwnChildren(DataInner n)
        {
            foreach (var c in n.Children)
                if (!(c.Schema is LeafSchema { IsKey: true } && n.Schema is ListSchema)) return true;
            return false;
        }

        static DataRoot Part(DataRoot edit, EditMetadata marks, DataNode node)
        {
            node.Parent?.Remove(node);
            var root = new DataRoot(edit.Context) { Edit = marks };
            root.Add(node);
            return root;
        }
    }

    /// <summary>An edit applied to a tree: the changes in the order made, and its undo.</summary>
    public sealed class AppliedEdit
    {
        private readonly UndoLog _log;

        internal AppliedEdit(UndoLog log) => _log = log;

        /// <summary>Created, deleted and modified nodes (a replaced node is a deletion followed by a creation).</summary>
        public IReadOnlyList<DataChange> Changes => _log.Changes;

        /// <summary>Restores the tree as it was before the edit. Once only.</summary>
        public void Undo() => _log.Rollback();

        /// <summary>A node added after the edit that is not a change of its own (a default): <see cref="Undo"/> removes it too.</summary>
        internal void Track(DataInner parent, DataNode added) => _log.Added(parent, added);
    }

    private sealed class Session(EditMetadata marks, UndoLog undo)
    {
        public void Apply(DataInner parent, DataNode e, EditOperation inherited)
        {
            var mark = marks.Get(e);
            var op = mark.Operation == EditOperation.Inherit ? inherited : mark.Operation;
            var existing = FindMatch(parent, e);
            switch (op)
            {
                case EditOperation.Create:
                    if (existing is not null)
                        throw new DataException(new DataError(ErrorTag.DataExists, existing.Path, $"\"{e.Name}\" already exists", Type: ErrorType.Application));
                    Insert(parent, Clone(e), mark);
                    break;
                case EditOperation.Delete:
                    if (existing is null || existing.IsDefault)
                        throw new DataException(new DataError(ErrorTag.DataMissing, DataPath.Of(parent) + "/" + e.Name, $"\"{e.Name}\" does not exist", Type: ErrorType.Application));
                    Remove(parent, existing);
                    break;
                case EditOperation.Remove:
                    if (existing is not null) Remove(parent, existing);
                    break;
                case EditOperation.Replace:
                    if (existing is not null)
                    {
                        var index = parent.IndexOf(existing);
                        Remove(parent, existing);
                        InsertAt(parent, Clone(e), mark.Insert is null ? index : -1, mark);
                    }
                    else Insert(parent, Clone(e), mark);
                    break;
                case EditOperation.Merge:
                    Merge(parent, e, existing, mark);
                    break;
                case EditOperation.None:
                    if (e is DataInner ei)
                    {
                        var target = existing as DataInner;
                        var created = false;
                        if (target is null)
                        {
                            target = EmptyCopy(ei);
                            Insert(parent, target, mark);
                            created = true;
                        }
                        foreach (var c in ei.Children)
                            if (!IsKeyOf(c, ei)) Apply(target, c, EditOperation.None);
                        if (created && !HasNonKeyChildren(target)) Remove(parent, target);
                    }
                    break;
            }
        }

        private void Merge(DataInner parent, DataNode e, DataNode? existing, EditMark mark)
        {
            switch (e)
            {
                case DataLeaf leaf:
                    if (existing is DataLeaf old)
                    {
                        if (leaf.Schema.Kind == SchemaNodeKind.LeafList)
                        {
                            // Given explicitly, a value that was there by default makes every default go (RFC 7950 §7.7.2).
                            if (old.IsDefault) Insert(parent, Clone(e), mark);
                            else if (mark.Insert is not null) Move(parent, old, mark);
                            return;
                        }
                        if (old.Value != leaf.Value || old.IsDefault) undo.SetValue(old, leaf.Value);
                    }
                    else Insert(parent, Clone(e), mark);
                    break;
                case DataAny any:
                    if (existing is DataAny oldAny) undo.SetAny(oldAny, any.Value);
                    else Insert(parent, Clone(e), mark);
                    break;
                case DataInner inner:
                    var target = existing as DataInner;
                    if (target is null)
                    {
                        target = EmptyCopy(inner);
                        Insert(parent, target, mark);
                    }
                    else if (mark.Insert is not null) Move(parent, target, mark);
                    foreach (var c in inner.Children)
                        if (!IsKeyOf(c, inner)) Apply(target, c, EditOperation.Merge);
                    break;
            }
        }

        private static bool IsKeyOf(DataNode c, DataInner entry) => c.Schema is LeafSchema { IsKey: true } && entry.Schema is ListSchema;

        private static bool HasNonKeyChildren(DataInner n)
        {
            foreach (var c in n.Children)
                if (!IsKeyOf(c, n)) return true;
            return false;
        }

        /// <summary>A new inner node holding only the list keys of <paramref name="e"/>.</summary>
        private static DataInner EmptyCopy(DataInner e)
        {
            var copy = DataInner.Create(e.Schema);
            if (e.Schema is ListSchema ls)
                foreach (var k in ls.Keys)
                    if (e.Find(k) is DataLeaf kv) copy.Add(DataLeaf.Create(k, kv.Value));
            return copy;
        }

        /// <summary>A copy of an edit subtree without its edit marks (operations below a created node are not allowed to delete).</summary>
        private DataNode Clone(DataNode e)
        {
            foreach (var d in Descendants(e))
            {
                var op = marks.Get(d).Operation;
                if (op is EditOperation.Delete or EditOperation.Remove && !ReferenceEquals(d, e))
                    throw new DataException(new DataError(ErrorTag.OperationFailed, d.Path, $"cannot {op.ToString().ToLowerInvariant()} \"{d.Name}\" inside a node that is being created or replaced"));
            }
            return e.DeepClone();
        }

        private static IEnumerable<DataNode> Descendants(DataNode n)
        {
            yield return n;
            if (n is DataInner i)
                foreach (var c in i.Children)
                    foreach (var d in Descendants(c)) yield return d;
        }

        private static DataNode? FindMatch(DataInner parent, DataNode e) => e switch
        {
            DataInner entry when e.Schema is ListSchema ls && ls.Keys.Length > 0 => parent.FindListEntry(ls, KeyValues(entry)),
            DataLeaf leaf when e.Schema is LeafListSchema lls => parent.FindLeafListEntry(lls, leaf.Value),
            _ when e.Schema is ListSchema => null, // keyless lists cannot be addressed
            _ => parent.Find(e.Schema),
        };

        private static string[] KeyValues(DataInner entry)
        {
            var keys = entry.KeyValues();
            var result = new string[keys.Length];
            for (var i = 0; i < keys.Length; i++)
                result[i] = keys[i] ?? throw new DataException(new DataError(ErrorTag.MissingElement, entry.Path,
                    $"list entry of \"{entry.Name}\" has no key \"{((ListSchema)entry.Schema).Keys[i].Name}\"", BadElement: ((ListSchema)entry.Schema).Keys[i].Name));
            return result;
        }

        private void Insert(DataInner parent, DataNode node, EditMark mark) => InsertAt(parent, node, -1, mark);

        private void InsertAt(DataInner parent, DataNode node, int index, EditMark mark)
        {
            RemoveOtherCases(parent, node.Schema);
            // Defaults of the same leaf or leaf-list give way to an explicit value.
            if (node.Schema.Kind == SchemaNodeKind.Leaf && parent.Find(node.Schema) is { IsDefault: true } def) Remove(parent, def);
            else if (node.Schema.Kind == SchemaNodeKind.LeafList)
                foreach (var d in parent.FindAll(node.Schema).Where(d => d.IsDefault).ToList()) Remove(parent, d);
            if (mark.Insert is not null && IsUserOrdered(node.Schema)) index = Position(parent, node, mark);
            undo.Insert(parent, node, index);
        }

        private void Move(DataInner parent, DataNode node, EditMark mark)
        {
            if (!IsUserOrdered(node.Schema)) return;
            undo.Remove(parent, node);
            undo.Insert(parent, node, Position(parent, node, mark));
        }

        private static bool IsUserOrdered(SchemaNode s) => s is ListSchema { OrderedByUser: true } or LeafListSchema { OrderedByUser: true };

        /// <summary>Index for insert first/last/before/after (RFC 7950 §7.8.6); the anchor must exist.</summary>
        private static int Position(DataInner parent, DataNode node, EditMark mark)
        {
            var siblings = parent.FindAll(node.Schema).ToList();
            switch (mark.Insert)
            {
                case InsertPosition.First:
                    return siblings.Count == 0 ? -1 : parent.IndexOf(siblings[0]);
                case InsertPosition.Before or InsertPosition.After:
                    var anchor = FindAnchor(parent, node, mark.Anchor ?? "")
                        ?? throw new DataException(new DataError(ErrorTag.BadAttribute, node.Path, $"insert anchor \"{mark.Anchor}\" does not exist", "missing-instance", ErrorType.Protocol));
                    var at = parent.IndexOf(anchor);
                    return mark.Insert == InsertPosition.Before ? at : at + 1;
                default:
                    return siblings.Count == 0 ? -1 : parent.IndexOf(siblings[^1]) + 1;
            }
        }

        private static DataNode? FindAnchor(DataInner parent, DataNode node, string anchor)
        {
            if (node.Schema is LeafListSchema lls) return parent.FindLeafListEntry(lls, anchor);
            var ls = (ListSchema)node.Schema;
            // [k1='v1'][k2='v2'] (prefixes on key names are ignored)
            var values = new List<string>();
            var i = 0;
            while ((i = anchor.IndexOf('[', i)) >= 0)
            {
                var eq = anchor.IndexOf('=', i);
                if (eq < 0) break;
                var q = anchor[eq + 1];
                var close = anchor.IndexOf(q, eq + 2);
                if (close < 0) break;
                values.Add(anchor[(eq + 2)..close]);
                i = close;
            }
            return values.Count == ls.Keys.Length ? parent.FindListEntry(ls, values) : null;
        }

        /// <summary>Writing a node of one case removes the nodes of the other cases of the same choice.</summary>
        private void RemoveOtherCases(DataInner parent, SchemaNode schema)
        {
            for (var s = schema; s.Parent is { } p && !ReferenceEquals(p, parent.Schema) && p.Kind is SchemaNodeKind.Case or SchemaNodeKind.Choice; s = p)
            {
                if (p is not CaseSchema activeCase || activeCase.Parent is not ChoiceSchema choice) continue;
                foreach (var other in choice.Cases)
                {
                    if (ReferenceEquals(other, activeCase)) continue;
                    foreach (var d in other.DataChildren())
                        foreach (var n in parent.FindAll(d).ToList()) Remove(parent, n);
                }
            }
        }

        private void Remove(DataInner parent, DataNode node) => undo.Remove(parent, node);
    }

    /// <summary>Changes made so far, undone in reverse order when the edit fails.</summary>
    internal sealed class UndoLog
    {
        private readonly List<Action> _undo = [];

        public List<DataChange> Changes { get; } = [];

        public void Insert(DataInner parent, DataNode node, int index)
        {
            if (index < 0 || index >= parent.ChildCount) parent.Add(node);
            else parent.Insert(index, node);
            _undo.Add(() => parent.Remove(node));
            Changes.Add(new DataChange(DiffKind.Created, node.Path, null, node) { Parent = parent });
        }

        public void Remove(DataInner parent, DataNode node)
        {
            var index = parent.IndexOf(node);
            Changes.Add(new DataChange(DiffKind.Deleted, node.Path, node, null) { Parent = parent });
            parent.Remove(node);
            _undo.Add(() =>
            {
                if (index >= parent.ChildCount) parent.Add(node);
                else parent.Insert(index, node);
            });
        }

        public void Added(DataInner parent, DataNode node) => _undo.Add(() => parent.Remove(node));

        public void SetValue(DataLeaf leaf, string value)
        {
            var old = leaf.Value;
            if (old == value && !leaf.IsDefault) return;
            if (!leaf.IsDefault && leaf.TrySetValue(value))
            {
                Changes.Add(new DataChange(DiffKind.Modified, leaf.Path, DataLeaf.Create(leaf.Schema, old), leaf));
                _undo.Add(() => leaf.TrySetValue(old));
                return;
            }
            // A default leaf becomes an explicit one, a packed leaf given text that does not pack a leaf holding
            // the string: a new node in its place.
            var parent = leaf.Parent!;
            var replacement = DataLeaf.Create(leaf.Schema, value);
            parent.ReplaceAt(parent.IndexOf(leaf), replacement);
            Changes.Add(new DataChange(DiffKind.Modified, replacement.Path, leaf, replacement) { Parent = parent });
            _undo.Add(() => parent.ReplaceAt(parent.IndexOf(replacement), leaf));
        }

        public void SetAny(DataAny node, AnyValue value)
        {
            var old = node.Value;
            Changes.Add(new DataChange(DiffKind.Modified, node.Path, new DataAny(node.Schema, old), node));
            node.Value = value;
            _undo.Add(() => node.Value = old);
        }

        public void Rollback()
        {
            for (var i = _undo.Count - 1; i >= 0; i--) _undo[i]();
            _undo.Clear();
            Changes.Clear();
        }
    }
}
