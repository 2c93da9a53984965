using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// A node with children: container, list entry, rpc/action/notification and their input/output,
/// and the tree root (<see cref="DataRoot"/>). Children keep insertion order; printers put list
/// keys first. Entries of large lists are found by key through an index built on first lookup.
/// </summary>
public class DataInner : DataNode
{
    private const int IndexThreshold = 8;

    // Nodes with up to this many children keep them in a plain array; larger ones in a ChildStore.
    private const int SmallMax = 16;

    // Children, in one of three forms (no List object per node: a million-node tree has ~200k inner nodes):
    // - up to two children held in the node: the first in _children, the second in a Pair's own field (a route's
    //   next-hop container holds its one child, a route its prefix and next hop: no array for one or two),
    // - a DataNode[] of at most SmallMax slots, children first and the spare slots null (larger list entries and
    //   containers; exact once the node is complete and trimmed), or
    // - a ChildStore: the array, the count and the key indexes of the lists (nodes with many children).
    private object? _children;

    public DataInner(SchemaNode schema) : base(schema)
    {
    }

    /// <summary>
    /// A node for <paramref name="schema"/> shaped by its kind's last instance: one that had two children holds two
    /// without an array; others are 8 bytes smaller (a route's next-hop container, most list entries).
    /// </summary>
    public static DataInner Create(SchemaNode schema) => schema.ChildCountHint == 2 ? new Pair(schema) : new DataInner(schema);

    // A node that holds a second child in a field of its own.
    private sealed class Pair(SchemaNode schema) : DataInner(schema)
    {
        public DataNode? Second;
    }

    // The second child held in the node, or null.
    private DataNode? SecondHeld => this is Pair p ? p.Second : null;

    public ArrayView<DataNode> Children
    {
        get
        {
            var c = _children;
            if (c is null) return default;
            if (c.GetType() == typeof(DataNode[])) return new(Unsafe.As<DataNode[]>(c), CountOf(Unsafe.As<DataNode[]>(c)));
            if (c is ChildStore s) return s.View;
            return SecondHeld is { } second ? new(Unsafe.As<DataNode>(c), second) : new(Unsafe.As<DataNode>(c));
        }
    }

    public int ChildCount
    {
        get
        {
            var c = _children;
            if (c is null) return 0;
            if (c.GetType() == typeof(DataNode[])) return CountOf(Unsafe.As<DataNode[]>(c));
            return c is ChildStore s ? s.Count : SecondHeld is null ? 1 : 2;
        }
    }

    public bool HasChildren => ChildCount > 0;

    /// <summary>Appends a child. A list entry must have its key leaves before it is added.</summary>
    public void Add(DataNode child) => Insert(ChildCount, child);

    /// <summary>Inserts a child at a position (ordered-by user lists and leaf-lists).</summary>
    public void Insert(int index, DataNode child)
    {
        var count = ChildCount;
        if ((uint)index > (uint)count) throw new ArgumentOutOfRangeException(nameof(index));
        if (_children is ChildStore s)
        {
            s.Insert(index, child);
            if (s.Indexes is not null && child is DataInner entry && child.Schema is ListSchema ls) s.IndexFor(ls)?.Add(entry);
        }
        else
        {
            if (_children is null && Schema.ChildCountHint <= 2)
            {
                _children = child; // the first child of a node whose last instance had one or two
                child.Parent = this;
                return;
            }
            if (_children is DataNode first && this is Pair { Second: null } pair)
            {
                // The second child, held in the node too.
                if (index == 0) (_children, pair.Second) = (child, first);
                else pair.Second = child;
                child.Parent = this;
                return;
            }
            var items = _children as DataNode[];
            if (items is null || count == items.Length)
            {
                if (count == SmallMax)
                {
                    _children = new ChildStore(items!, count);
                    Insert(index, child);
                    return;
                }
                // A node being built gets room for as many children as the last node of its kind had; a complete
                // node grows by one (a default added to a complete entry costs one slot).
                var grown = new DataNode[Math.Clamp(Schema.ChildCountHint, count + 1, SmallMax)];
                if (items is not null) Array.Copy(items, grown, count);
                else if (_children is DataNode one)
                {
                    grown[0] = one; // from the one or two held in the node
                    if (this is Pair { Second: { } second } held)
                    {
                        grown[1] = second;
                        held.Second = null;
                    }
                }
                _children = items = grown;
            }
            if (index < count) Array.Copy(items, index, items, index + 1, count - index);
            Put(items, index, child);
        }
        child.Parent = this;
    }

    /// <summary>Drops spare capacity (readers call it when a node's content is complete).</summary>
    public void TrimExcess()
    {
        var count = ChildCount;
        Schema.ChildCountHint = count; // the next instance of this node starts at this size
        switch (_children)
        {
            case null:
                return;
            case ChildStore s:
                s.TrimExcess();
                return;
            case DataNode[] when count == 0:
                _children = null;
                return;
            case DataNode[] a when count == 1:
                _children = a[0];
                return;
            case DataNode[] a when count == 2 && this is Pair pair:
                _children = a[0];
                pair.Second = a[1];
                return;
            case DataNode[] a when count < a.Length:
                _children = a[..count];
                return;
        }
    }

    public int IndexOf(DataNode child)
    {
        if (_children is DataNode one) return ReferenceEquals(one, child) ? 0 : SecondHeld is { } second && ReferenceEquals(second, child) ? 1 : -1;
        if (_children is ChildStore s) return s.IndexOf(child);
        var count = ChildCount;
        return count == 0 ? -1 : Array.IndexOf(Unsafe.As<DataNode[]>(_children!), child, 0, count);
    }

    public bool Remove(DataNode child)
    {
        if (_children is DataNode one)
        {
            var pair = this as Pair;
            if (ReferenceEquals(one, child))
            {
                _children = pair?.Second;
                if (pair is not null) pair.Second = null;
            }
            else if (pair?.Second is { } second && ReferenceEquals(second, child)) pair.Second = null;
            else return false;
            child.Parent = null;
            return true;
        }
        if (_children is ChildStore s)
        {
            // Most removals hit the tail or a recent child; search from the end.
            var at = s.LastIndexOf(child);
            if (at < 0) return false;
            if (s.Indexes is not null && child is DataInner entry && child.Schema is ListSchema ls) s.IndexFor(ls)?.Remove(entry);
            s.RemoveAt(at);
            child.Parent = null;
            return true;
        }
        var count = ChildCount;
        if (count == 0) return false;
        var items = Unsafe.As<DataNode[]>(_children!);
        var i = Array.LastIndexOf(items, child, count - 1, count);
        if (i < 0) return false;
        count--;
        if (i < count) Array.Copy(items, i + 1, items, i, count - i);
        items[count] = null!;
        child.Parent = null;
        return true;
    }

    /// <summary>Puts <paramref name="node"/> where the child at <paramref name="index"/> was (which leaves the tree).</summary>
    public void ReplaceAt(int index, DataNode node)
    {
        if ((uint)index >= (uint)ChildCount) throw new ArgumentOutOfRangeException(nameof(index));
        if (_children is DataNode one)
        {
            if (index == 0)
            {
                one.Parent = null;
                _children = node;
            }
            else
            {
                var pair = (Pair)this;
                pair.Second!.Parent = null;
                pair.Second = node;
            }
            node.Parent = this;
            return;
        }
        if (_children is ChildStore s)
        {
            var old = s[index];
            old.Parent = null;
            s[index] = node;
            node.Parent = this;
            if (s.Indexes is null) return;
            if (old is DataInner oldEntry && old.Schema is ListSchema ols) s.IndexFor(ols)?.Remove(oldEntry);
            if (node is DataInner entry && node.Schema is ListSchema ls) s.IndexFor(ls)?.Add(entry);
            return;
        }
        var items = Unsafe.As<DataNode[]>(_children!);
        items[index].Parent = null;
        Put(items, index, node);
        node.Parent = this;
    }

    public void ClearChildren()
    {
        foreach (var c in Children) c.Parent = null;
        _children = null;
        if (this is Pair pair) pair.Second = null;
    }

    // The children as a store (created from a small array or nothing), for indexing.
    private ChildStore Store()
    {
        if (_children is ChildStore s) return s;
        var count = ChildCount;
        var store = new ChildStore(_children switch { null => [], DataNode one => SecondHeld is { } second ? [one, second] : [one], var a => Unsafe.As<DataNode[]>(a) }, count);
        _children = store;
        if (this is Pair pair) pair.Second = null;
        return store;
    }

    private static void Put(DataNode[] items, int index, DataNode node) => ChildStore.Put(items, index, node);

    // Children first, spare slots null: the count is the position after the last child.
    private static int CountOf(DataNode[] items)
    {
        var n = items.Length;
        while (n > 0 && items[n - 1] is null) n--;
        return n;
    }

    // The key index of one list among the children, built on first use; null while the node is small.
    private ListKeyIndex? KeyIndex(ListSchema list)
    {
        if (_children is ChildStore { Indexes: not null } s && s.IndexFor(list) is { } idx) return idx;
        var count = ChildCount;
        if (count <= IndexThreshold) return null;
        var store = Store();
        idx = new ListKeyIndex(list, count) { Next = store.Indexes };
        foreach (var c in Children)
            if (ReferenceEquals(c.Schema, list) && c is DataInner e) idx.Add(e);
        store.Indexes = idx;
        return idx;
    }

    /// <summary>First child bound to <paramref name="schema"/> (container, leaf, anydata), or null.</summary>
    public DataNode? Find(SchemaNode schema)
    {
        foreach (var c in Children)
            if (ReferenceEquals(c.Schema, schema)) return c;
        return null;
    }

    /// <summary>All children bound to <paramref name="schema"/> (the entries of a list or leaf-list), in order.</summary>
    public IEnumerable<DataNode> FindAll(SchemaNode schema)
    {
        for (var i = 0; i < ChildCount; i++)
            if (Children[i] is var c && ReferenceEquals(c.Schema, schema)) yield return c;
    }

    public int Count(SchemaNode schema)
    {
        var n = 0;
        foreach (var c in Children)
            if (ReferenceEquals(c.Schema, schema)) n++;
        return n;
    }

    /// <summary>The list entry whose keys equal <paramref name="keyValues"/> (canonical values in key order).</summary>
    public DataInner? FindListEntry(ListSchema list, IReadOnlyList<string> keyValues)
    {
        if (KeyIndex(list) is { } idx) return idx.Find(keyValues);
        foreach (var c in Children)
            if (ReferenceEquals(c.Schema, list) && c is DataInner e && KeysEqual(e, list, keyValues)) return e;
        return null;
    }

    /// <summary>The leaf-list entry with this canonical value, or null.</summary>
    public DataLeaf? FindLeafListEntry(LeafListSchema schema, string value)
    {
        Span<char> scratch = stackalloc char[DataLeaf.ScratchLength]; // a packed value compared without a string
        foreach (var c in Children)
            if (ReferenceEquals(c.Schema, schema) && c is DataLeaf l && l.ValueChars(scratch).SequenceEqual(value)) return l;
        return null;
    }

    /// <summary>Value of the child leaf named <paramref name="name"/> in any module, or null.</summary>
    public string? LeafValue(string name)
    {
        foreach (var c in Children)
            if (c is DataLeaf l && c.Schema.Kind == SchemaNodeKind.Leaf && c.Schema.Name == name) return l.Value;
        return null;
    }

    /// <summary>Key values of this list entry in key order (missing keys as null).</summary>
    public string?[] KeyValues()
    {
        if (Schema is not ListSchema ls) return [];
        var result = new string?[ls.Keys.Length];
        for (var i = 0; i < result.Length; i++)
            result[i] = (Find(ls.Keys[i]) as DataLeaf)?.Value;
        return result;
    }

    public override DataNode DeepClone()
    {
        var copy = CreateEmptyCopy();
        foreach (var c in Children) copy.Add(c.DeepClone());
        copy.TrimExcess();
        return copy;
    }

    protected virtual DataInner CreateEmptyCopy() => Create(Schema);

    private static bool KeysEqual(DataInner entry, ListSchema list, IReadOnlyList<string> keyValues)
    {
        Span<char> scratch = stackalloc char[DataLeaf.ScratchLength];
        for (var i = 0; i < list.Keys.Length; i++)
            if (entry.Find(list.Keys[i]) is not DataLeaf key || !key.ValueChars(scratch).SequenceEqual(keyValues[i])) return false;
        return true;
    }
}

/// <summary>The top of a data tree: its children are top-level nodes of any module in <see cref="Context"/>.</summary>
public sealed class DataRoot : DataInner
{
    public DataRoot(SchemaContext context) : base(context.Root)
    {
        Context = context;
    }

    public SchemaContext Context { get; }

    /// <summary>Edit annotations when this tree is an edit document (edit-config, PATCH, Set); null otherwise.</summary>
    public EditMetadata? Edit { get; set; }

    protected override DataInner CreateEmptyCopy() => new DataRoot(Context);

    public new DataRoot DeepClone() => (DataRoot)base.DeepClone();
}
