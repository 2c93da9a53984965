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

    private List<DataNode>? _children;
    private Dictionary<ListSchema, Dictionary<string, DataInner>>? _keyIndex;

    public DataInner(SchemaNode schema) : base(schema)
    {
    }

    public IReadOnlyList<DataNode> Children => (IReadOnlyList<DataNode>?)_children ?? Array.Empty<DataNode>();

    public int ChildCount => _children?.Count ?? 0;

    public bool HasChildren => _children is { Count: > 0 };

    /// <summary>Appends a child. A list entry must have its key leaves before it is added.</summary>
    public void Add(DataNode child)
    {
        (_children ??= new List<DataNode>(4)).Add(child);
        child.Parent = this;
        if (_keyIndex is not null && child is DataInner entry && child.Schema is ListSchema ls && _keyIndex.TryGetValue(ls, out var idx))
            idx[KeyString(entry)] = entry;
    }

    /// <summary>Inserts a child at a position (ordered-by user lists and leaf-lists).</summary>
    public void Insert(int index, DataNode child)
    {
        (_children ??= new List<DataNode>(4)).Insert(index, child);
        child.Parent = this;
        if (_keyIndex is not null && child is DataInner entry && child.Schema is ListSchema ls && _keyIndex.TryGetValue(ls, out var idx))
            idx[KeyString(entry)] = entry;
    }

    public int IndexOf(DataNode child) => _children?.IndexOf(child) ?? -1;

    public bool Remove(DataNode child)
    {
        if (_children is null) return false;
        if (_keyIndex is not null && child is DataInner entry && child.Schema is ListSchema ls && _keyIndex.TryGetValue(ls, out var idx))
            idx.Remove(KeyString(entry));
        // Most removals hit the tail or a recent child; search from the end.
        var i = _children.LastIndexOf(child);
        if (i < 0) return false;
        _children.RemoveAt(i);
        child.Parent = null;
        return true;
    }

    public void ClearChildren()
    {
        if (_children is null) return;
        foreach (var c in _children) c.Parent = null;
        _children.Clear();
        _keyIndex = null;
    }

    /// <summary>First child bound to <paramref name="schema"/> (container, leaf, anydata), or null.</summary>
    public DataNode? Find(SchemaNode schema)
    {
        if (_children is null) return null;
        foreach (var c in _children)
            if (ReferenceEquals(c.Schema, schema)) return c;
        return null;
    }

    /// <summary>All children bound to <paramref name="schema"/> (the entries of a list or leaf-list), in order.</summary>
    public IEnumerable<DataNode> FindAll(SchemaNode schema)
    {
        if (_children is null) yield break;
        foreach (var c in _children)
            if (ReferenceEquals(c.Schema, schema)) yield return c;
    }

    public int Count(SchemaNode schema)
    {
        if (_children is null) return 0;
        var n = 0;
        foreach (var c in _children)
            if (ReferenceEquals(c.Schema, schema)) n++;
        return n;
    }

    /// <summary>The list entry whose keys equal <paramref name="keyValues"/> (canonical values in key order).</summary>
    public DataInner? FindListEntry(ListSchema list, IReadOnlyList<string> keyValues)
    {
        if (_children is null) return null;
        if (_keyIndex is null || !_keyIndex.TryGetValue(list, out var idx))
        {
            if (_children.Count <= IndexThreshold)
            {
                foreach (var c in _children)
                    if (ReferenceEquals(c.Schema, list) && c is DataInner e && KeysEqual(e, list, keyValues)) return e;
                return null;
            }
            idx = new Dictionary<string, DataInner>(StringComparer.Ordinal);
            foreach (var c in _children)
                if (ReferenceEquals(c.Schema, list) && c is DataInner e) idx[KeyString(e)] = e;
            (_keyIndex ??= new Dictionary<ListSchema, Dictionary<string, DataInner>>())[list] = idx;
        }
        return idx.GetValueOrDefault(JoinKeys(keyValues));
    }

    /// <summary>The leaf-list entry with this canonical value, or null.</summary>
    public DataLeaf? FindLeafListEntry(LeafListSchema schema, string value)
    {
        if (_children is null) return null;
        foreach (var c in _children)
            if (ReferenceEquals(c.Schema, schema) && c is DataLeaf l && l.Value == value) return l;
        return null;
    }

    /// <summary>Value of the child leaf named <paramref name="name"/> in any module, or null.</summary>
    public string? LeafValue(string name)
    {
        if (_children is null) return null;
        foreach (var c in _children)
            if (c is DataLeaf l && c.Schema.Kind == SchemaNodeKind.Leaf && c.Schema.Name == name) return l.Value;
        return null;
    }

    /// <summary>Key values of this list entry in key order (missing keys as null).</summary>
    public string?[] KeyValues()
    {
        if (Schema is not ListSchema ls) return [];
        var result = new string?[ls.Keys.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = (Find(ls.Keys[i]) as DataLeaf)?.Value;
        return result;
    }

    public override DataNode DeepClone()
    {
        var copy = CreateEmptyCopy();
        if (_children is not null)
            foreach (var c in _children) copy.Add(c.DeepClone());
        return copy;
    }

    protected virtual DataInner CreateEmptyCopy() => new(Schema);

    private static bool KeysEqual(DataInner entry, ListSchema list, IReadOnlyList<string> keyValues)
    {
        for (var i = 0; i < list.Keys.Count; i++)
            if ((entry.Find(list.Keys[i]) as DataLeaf)?.Value != keyValues[i]) return false;
        return true;
    }

    private static string KeyString(DataInner entry)
    {
        var ls = (ListSchema)entry.Schema;
        if (ls.Keys.Count == 1) return (entry.Find(ls.Keys[0]) as DataLeaf)?.Value ?? "";
        var parts = new string[ls.Keys.Count];
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
