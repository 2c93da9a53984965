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

    // Children in an array of their own (no List object per node: a million-node tree has ~200k inner
    // nodes); readers trim it to size when the node is complete.
    private DataNode[]? _items;
    private int _count;
    private Dictionary<ListSchema, Dictionary<string, DataInner>>? _keyIndex;

    public DataInner(SchemaNode schema) : base(schema)
    {
    }

    public ArrayView<DataNode> Children => new(_items, _count);

    public int ChildCount => _count;

    public bool HasChildren => _count > 0;

    /// <summary>Appends a child. A list entry must have its key leaves before it is added.</summary>
    public void Add(DataNode child) => Insert(_count, child);

    /// <summary>Inserts a child at a position (ordered-by user lists and leaf-lists).</summary>
    public void Insert(int index, DataNode child)
    {
        if ((uint)index > (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        if (_items is null) _items = new DataNode[Math.Max(Schema.ChildCountHint, 2)];
        // Small nodes (most list entries) grow by one: a default added to a complete entry costs one slot, not double.
        else if (_count == _items.Length) Array.Resize(ref _items, _count < 8 ? _count + 1 : _count * 2);
        if (index < _count) Array.Copy(_items, index, _items, index + 1, _count - index);
        _items[index] = child;
        _count++;
        child.Parent = this;
        if (_keyIndex is not null && child is DataInner entry && child.Schema is ListSchema ls && _keyIndex.TryGetValue(ls, out var idx))
            idx[KeyString(entry)] = entry;
    }

    /// <summary>Drops spare capacity (readers call it when a node's content is complete).</summary>
    public void TrimExcess()
    {
        if (_items is null) return;
        Schema.ChildCountHint = _count; // the next instance of this node starts at this size
        if (_count < _items.Length) Array.Resize(ref _items, _count);
    }

    public int IndexOf(DataNode child) => _items is null ? -1 : Array.IndexOf(_items, child, 0, _count);

    public bool Remove(DataNode child)
    {
        if (_items is null) return false;
        // Most removals hit the tail or a recent child; search from the end.
        var i = _count == 0 ? -1 : Array.LastIndexOf(_items, child, _count - 1, _count);
        if (i < 0) return false;
        if (_keyIndex is not null && child is DataInner entry && child.Schema is ListSchema ls && _keyIndex.TryGetValue(ls, out var idx))
            idx.Remove(KeyString(entry));
        _count--;
        if (i < _count) Array.Copy(_items, i + 1, _items, i, _count - i);
        _items[_count] = null!;
        child.Parent = null;
        return true;
    }

    /// <summary>Puts <paramref name="node"/> where the child at <paramref name="index"/> was (which leaves the tree).</summary>
    public void ReplaceAt(int index, DataNode node)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        var old = _items![index];
        if (_keyIndex is not null && old is DataInner oldEntry && old.Schema is ListSchema ls && _keyIndex.TryGetValue(ls, out var idx))
        {
            idx.Remove(KeyString(oldEntry));
            if (node is DataInner entry && ReferenceEquals(node.Schema, ls)) idx[KeyString(entry)] = entry;
        }
        old.Parent = null;
        _items[index] = node;
        node.Parent = this;
    }

    public void ClearChildren()
    {
        if (_items is null) return;
        for (var i = 0; i < _count; i++) _items[i].Parent = null;
        _items = null;
        _count = 0;
        _keyIndex = null;
    }

    /// <summary>First child bound to <paramref name="schema"/> (container, leaf, anydata), or null.</summary>
    public DataNode? Find(SchemaNode schema)
    {
        for (var i = 0; i < _count; i++)
            if (ReferenceEquals(_items![i].Schema, schema)) return _items[i];
        return null;
    }

    /// <summary>All children bound to <paramref name="schema"/> (the entries of a list or leaf-list), in order.</summary>
    public IEnumerable<DataNode> FindAll(SchemaNode schema)
    {
        for (var i = 0; i < _count; i++)
            if (ReferenceEquals(_items![i].Schema, schema)) yield return _items[i];
    }

    public int Count(SchemaNode schema)
    {
        var n = 0;
        for (var i = 0; i < _count; i++)
            if (ReferenceEquals(_items![i].Schema, schema)) n++;
        return n;
    }

    /// <summary>The list entry whose keys equal <paramref name="keyValues"/> (canonical values in key order).</summary>
    public DataInner? FindListEntry(ListSchema list, IReadOnlyList<string> keyValues)
    {
        if (_count == 0) return null;
        if (_keyIndex is null || !_keyIndex.TryGetValue(list, out var idx))
        {
            if (_count <= IndexThreshold)
            {
                foreach (var c in Children)
                    if (ReferenceEquals(c.Schema, list) && c is DataInner e && KeysEqual(e, list, keyValues)) return e;
                return null;
            }
            idx = new Dictionary<string, DataInner>(StringComparer.Ordinal);
            foreach (var c in Children)
                if (ReferenceEquals(c.Schema, list) && c is DataInner e) idx[KeyString(e)] = e;
            (_keyIndex ??= new Dictionary<ListSchema, Dictionary<string, DataInner>>())[list] = idx;
        }
        return idx.GetValueOrDefault(JoinKeys(keyValues));
    }

    /// <summary>Another entry of <paramref name="entry"/>'s list with the same keys, or null.</summary>
    public DataInner? FindSameKeys(DataInner entry)
    {
        var list = (ListSchema)entry.Schema;
        if (_count == 0) return null;
        if (_keyIndex is null || !_keyIndex.TryGetValue(list, out var idx))
        {
            if (_count <= IndexThreshold)
            {
                foreach (var c in Children)
                    if (ReferenceEquals(c.Schema, list) && c is DataInner e && !ReferenceEquals(e, entry) && SameKeys(e, entry, list)) return e;
                return null;
            }
            idx = new Dictionary<string, DataInner>(StringComparer.Ordinal);
            foreach (var c in Children)
                if (ReferenceEquals(c.Schema, list) && c is DataInner e) idx[KeyString(e)] = e;
            (_keyIndex ??= new Dictionary<ListSchema, Dictionary<string, DataInner>>())[list] = idx;
        }
        return idx.TryGetValue(KeyString(entry), out var found) && !ReferenceEquals(found, entry) ? found : null;
    }

    private static bool SameKeys(DataInner a, DataInner b, ListSchema list)
    {
        foreach (var k in list.Keys)
            if ((a.Find(k) as DataLeaf)?.Value != (b.Find(k) as DataLeaf)?.Value) return false;
        return true;
    }

    /// <summary>The leaf-list entry with this canonical value, or null.</summary>
    public DataLeaf? FindLeafListEntry(LeafListSchema schema, string value)
    {
        foreach (var c in Children)
            if (ReferenceEquals(c.Schema, schema) && c is DataLeaf l && l.Value == value) return l;
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

    protected virtual DataInner CreateEmptyCopy() => new(Schema);

    private static bool KeysEqual(DataInner entry, ListSchema list, IReadOnlyList<string> keyValues)
    {
        for (var i = 0; i < list.Keys.Length; i++)
            if ((entry.Find(list.Keys[i]) as DataLeaf)?.Value != keyValues[i]) return false;
        return true;
    }

    private static string KeyString(DataInner entry)
    {
        var ls = (ListSchema)entry.Schema;
        if (ls.Keys.Length == 1) return (entry.Find(ls.Keys[0]) as DataLeaf)?.Value ?? "";
        var parts = new string[ls.Keys.Length];
        for (var i = 0; i < parts.Length; i++) parts[i] = (entry.Find(ls.Keys[i]) as DataLeaf)?.Value ?? "";
        return string.Join('\0', parts);
    }

    private static string JoinKeys(IReadOnlyList<string> keyValues) =>
        keyValues.Count == 1 ? keyValues[0] : string.Join('\0', keyValues);
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
