using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// Turns the changes of a commit into an edit document that redoes them on the configuration before it:
/// created nodes as <c>replace</c> (with their final content), deleted nodes as <c>remove</c>, changed leaves
/// as <c>merge</c>, each under copies of its ancestors with their keys. Replaying it is what the journal does.
/// Null when the changes touch user-ordered lists, whose positions this form does not carry.
/// </summary>
public static class ChangeDocument
{
    public static DataRoot? Build(SchemaContext context, IReadOnlyList<DataChange> changes)
    {
        var doc = new DataRoot(context) { Edit = new EditMetadata() };
        // Keyed by instance path: the changes of a whole-tree replacement refer to nodes of two trees.
        var copies = new Dictionary<string, DataInner>(StringComparer.Ordinal);
        var done = new HashSet<DataNode>(ReferenceEqualityComparer.Instance); // created or removed subtrees, covering what is inside
        // The last change of a path wins (a replace is a deletion followed by a creation).
        var last = new Dictionary<string, DataChange>(StringComparer.Ordinal);
        foreach (var c in changes) last[c.Path] = c;
        foreach (var c in last.Values.OrderBy(c => c.Path.Length))
        {
            var node = c.After ?? c.Before!;
            if (Covered(c.Parent ?? node.Parent, done)) continue;
            if (node.Schema is ListSchema { OrderedByUser: true } or LeafListSchema { OrderedByUser: true }) return null;
            var parent = CopyOf(c.Parent ?? node.Parent, doc, copies);
            if (parent is null) return null;
            DataNode entry;
            EditOperation op;
            switch (c.Kind)
            {
                case DiffKind.Created:
                    entry = node.DeepClone();
                    op = EditOperation.Replace;
                    done.Add(node);
                    break;
                case DiffKind.Deleted:
                    entry = Identity(node);
                    op = EditOperation.Remove;
                    done.Add(node);
                    break;
                default:
                    entry = node.DeepClone();
                    op = EditOperation.Merge;
                    break;
            }
            parent.Add(entry);
            doc.Edit.Set(entry, new EditMark(op));
        }
        return doc;
    }

    /// <summary>
    /// True when an ancestor is a created or removed node already in the document. A whole-tree replacement
    /// mixes nodes of the old tree (deleted) and the new one (created); each is inside its own kind only.
    /// </summary>
    private static bool Covered(DataInner? parent, HashSet<DataNode> done)
    {
        for (var p = parent; p is not null; p = p.Parent)
            if (done.Contains(p)) return true;
        return false;
    }

    /// <summary>The copy of a live node in the document, made with its ancestors and keys on first use.</summary>
    private static DataInner? CopyOf(DataInner? live, DataRoot doc, Dictionary<string, DataInner> copies)
    {
        if (live is null) return null;
        if (live is DataRoot) return doc;
        var path = DataPath.Of(live);
        if (copies.TryGetValue(path, out var copy)) return copy;
        var parent = CopyOf(live.Parent, doc, copies);
        if (parent is null) return null;
        copy = (DataInner)Identity(live);
        parent.Add(copy);
        copies[path] = copy;
        return copy;
    }

    /// <summary>Just enough of a node to find it: a list entry's keys, a leaf-list entry's value, an empty container.</summary>
    private static DataNode Identity(DataNode node)
    {
        switch (node)
        {
            case DataLeaf l:
                return DataLeaf.Create(l.Schema, l.Value);
            case DataAny a:
                return new DataAny(a.Schema, a.Value);
            default:
                var inner = (DataInner)node;
                var copy = DataInner.Create(node.Schema);
                if (node.Schema is ListSchema ls)
                    foreach (var k in ls.Keys)
                        if (inner.Find(k) is DataLeaf key) copy.Add(DataLeaf.Create(k, key.Value));
                return copy;
        }
    }
}
