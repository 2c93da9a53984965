using Mgmt.Yang.Parsing;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Schema;

public enum SchemaNodeKind
{
    Root, Container, List, Leaf, LeafList, Choice, Case, AnyData, AnyXml,
    Rpc, Action, Input, Output, Notification,
}

public enum SchemaStatus { Current, Deprecated, Obsolete }

/// <summary>
/// A node of the compiled schema tree (the result of resolving groupings, augments, deviations,
/// features and refines). Parsed statements are a different structure (<see cref="Statement"/>).
/// Compiled nodes are built once by the compiler and then only read.
/// </summary>
public abstract class SchemaNode
{
    private List<SchemaNode>? _children;

    // Caches of the flattened data children (through choice/case) and, for nodes with many, their index by
    // module and name (a few children are searched in order: an index for each of the corpus's thousands of
    // small nodes cost megabytes). A change of a node's children drops its caches and those of the nodes whose
    // data children it is part of: up through its choice and case ancestors to the first data node (a case that
    // gains a child by augment changes its ancestors' data children too). Nodes without a choice or case among
    // their children (most) have their children as data children and keep no copy of them.
    private const int IndexedFrom = 9;
    private bool _dataChildrenKnown;
    private SchemaNode[]? _dataChildren; // the flattened data children, when some children are choices or cases
    private Dictionary<(YangModule, string), SchemaNode>? _dataChildIndex;

    private void ShapeChanged()
    {
        for (var n = this; n is not null; n = n.Kind is SchemaNodeKind.Choice or SchemaNodeKind.Case ? n.Parent : null)
        {
            n._dataChildrenKnown = false;
            n._dataChildren = null;
            n._dataChildIndex = null;
        }
    }

    protected SchemaNode(SchemaNodeKind kind, string name, YangModule module)
    {
        Kind = kind;
        Name = name;
        Module = module;
    }

    public SchemaNodeKind Kind { get; }

    /// <summary>How many children the last completed instance of this node had: new instances start at that capacity.</summary>
    internal int ChildCountHint;

    /// <summary>What validation and defaults learned about this node's subtree (computed on first use).</summary>
    internal object? ValidationFacts;

    public string Name { get; }

    /// <summary>The module whose namespace this node is in (the augmenting module for augmented nodes).</summary>
    public YangModule Module { get; }

    public SchemaNode? Parent { get; internal set; }

    /// <summary>True for configuration nodes (RFC 7950 §7.21.1, inherited). Always false under rpc/action/notification.</summary>
    public bool Config { get; set; } = true;

    public SchemaStatus Status { get; set; }

    // What few nodes have (documentation when kept, when, must, extensions), in an object of its own made when
    // one is set: five fields less on each of a large context's tens of thousands of nodes.
    private sealed class Rare
    {
        public string? Description;
        public string? Reference;
        public IReadOnlyList<WhenCondition> Whens = [];
        public IReadOnlyList<MustConstraint> Musts = [];
        public IReadOnlyList<ExtensionInstance> Extensions = [];
    }

    private Rare? _rare;

    public string? Description
    {
        get => _rare?.Description;
        set { if (value is not null || _rare is not null) (_rare ??= new()).Description = value; }
    }

    public string? Reference
    {
        get => _rare?.Reference;
        set { if (value is not null || _rare is not null) (_rare ??= new()).Reference = value; }
    }

    /// <summary>Where the defining statement is (for error messages).</summary>
    public SourceLocation Location { get; set; }

    /// <summary>when conditions that apply to this node, including those inherited from uses and augment.</summary>
    public IReadOnlyList<WhenCondition> Whens
    {
        get => _rare?.Whens ?? [];
        set { if (value.Count > 0 || _rare is not null) (_rare ??= new()).Whens = value; }
    }

    public IReadOnlyList<MustConstraint> Musts
    {
        get => _rare?.Musts ?? [];
        set { if (value.Count > 0 || _rare is not null) (_rare ??= new()).Musts = value; }
    }

    public IReadOnlyList<ExtensionInstance> Extensions
    {
        get => _rare?.Extensions ?? [];
        set { if (value.Count > 0 || _rare is not null) (_rare ??= new()).Extensions = value; }
    }

    /// <summary>
    /// The statement that defines this node as written (inside the grouping when the node came from uses;
    /// for a shorthand case, the data node statement). Null for implicit nodes such as an input or output
    /// that was not written. Printers read the node's own if-feature and type text from it.
    /// </summary>
    public Statement? Definition { get; set; }

    /// <summary>Schema children in definition order, including choice/case, actions and notifications.</summary>
    public ListView<SchemaNode> Children => new(_children);

    /// <summary>True for nodes that can appear as instances in a data tree.</summary>
    public bool IsDataNode => Kind is SchemaNodeKind.Container or SchemaNodeKind.List or SchemaNodeKind.Leaf
        or SchemaNodeKind.LeafList or SchemaNodeKind.AnyData or SchemaNodeKind.AnyXml;

    /// <summary>Nodes that hold instance children: container, list, rpc/action input/output, notification, root.</summary>
    public bool IsInner => Kind is SchemaNodeKind.Container or SchemaNodeKind.List or SchemaNodeKind.Root
        or SchemaNodeKind.Input or SchemaNodeKind.Output or SchemaNodeKind.Notification
        or SchemaNodeKind.Rpc or SchemaNodeKind.Action;

    public void AddChild(SchemaNode child)
    {
        _children ??= new List<SchemaNode>(4);
        child.Parent = this;
        _children.Add(child);
        ShapeChanged();
    }

    public void InsertChild(int index, SchemaNode child)
    {
        _children ??= new List<SchemaNode>(4);
        child.Parent = this;
        _children.Insert(index, child);
        ShapeChanged();
    }

    public bool RemoveChild(SchemaNode child)
    {
        ShapeChanged();
        return _children?.Remove(child) ?? false;
    }

    /// <summary>
    /// Children as they appear in instance data: choice and case are transparent, so this yields
    /// the data nodes (and rpc/action/notification, input/output) below them.
    /// </summary>
    public ReadOnlySpan<SchemaNode> DataChildren()
    {
        if (!Volatile.Read(ref _dataChildrenKnown)) RebuildCaches();
        return _dataChildren ?? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_children);
    }

    private void RebuildCaches()
    {
        SchemaNode[]? flattened = null;
        if (_children is { } own && own.Exists(c => c.Kind is SchemaNodeKind.Choice or SchemaNodeKind.Case))
        {
            var flat = new List<SchemaNode>();
            Flatten(this, flat);
            flattened = [.. flat];
        }
        var children = flattened ?? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_children);
        Dictionary<(YangModule, string), SchemaNode>? index = null;
        if (children.Length >= IndexedFrom)
        {
            index = new Dictionary<(YangModule, string), SchemaNode>(children.Length);
            foreach (var d in children) index.TryAdd((d.Module, d.Name), d);
        }
        _dataChildren = flattened;
        _dataChildIndex = index;
        Volatile.Write(ref _dataChildrenKnown, true); // last: a reader that sees it sees the caches

        static void Flatten(SchemaNode n, List<SchemaNode> into)
        {
            foreach (var c in n.Children)
            {
                if (c.Kind is SchemaNodeKind.Choice or SchemaNodeKind.Case) Flatten(c, into);
                else into.Add(c);
            }
        }
    }

    /// <summary>Finds an instance-level child by module and name, looking through choice/case (by index for nodes with many children).</summary>
    public SchemaNode? FindDataChild(YangModule module, string name)
    {
        var children = DataChildren();
        if (_dataChildIndex is { } index) return index.GetValueOrDefault((module, name));
        foreach (var c in children)
            if (ReferenceEquals(c.Module, module) && c.Name == name) return c; // the first, as the index keeps
        return null;
    }

    /// <summary>Finds an instance-level child by name only when exactly one module defines it (for unqualified lookups).</summary>
    public SchemaNode? FindDataChild(string name)
    {
        SchemaNode? found = null;
        foreach (var d in DataChildren())
        {
            if (d.Name != name) continue;
            if (found is not null) return null;
            found = d;
        }
        return found;
    }

    /// <summary>The nearest ancestor that is an instance-level node (skips choice and case); null at the top.</summary>
    public SchemaNode? DataParent
    {
        get
        {
            var p = Parent;
            while (p is not null && p.Kind is SchemaNodeKind.Choice or SchemaNodeKind.Case) p = p.Parent;
            return p is null || p.Kind == SchemaNodeKind.Root ? null : p;
        }
    }

    /// <summary>Schema node path, module-qualified where the module changes, as in RFC 7951 (e.g. /ietf-interfaces:interfaces/interface/ietf-ip:ipv4).</summary>
    public string Path
    {
        get
        {
            var parts = new List<SchemaNode>();
            for (var n = this; n is not null && n.Kind != SchemaNodeKind.Root; n = n.Parent)
                if (n.Kind is not (SchemaNodeKind.Choice or SchemaNodeKind.Case) || ReferenceEquals(n, this)) parts.Add(n);
            var sb = new System.Text.StringBuilder();
            YangModule? prev = null;
            for (var i = parts.Count - 1; i >= 0; i--)
            {
                var n = parts[i];
                sb.Append('/');
                if (!ReferenceEquals(prev, n.Module)) sb.Append(n.Module.Name).Append(':');
                sb.Append(n.Name);
                prev = n.Module;
            }
            return sb.Length == 0 ? "/" : sb.ToString();
        }
    }

    public override string ToString() => $"{Kind} {Path}";
}

/// <summary>The invisible top of the schema: its data children are the top-level nodes of every implemented module.</summary>
public sealed class RootSchemaNode : SchemaNode
{
    public RootSchemaNode(YangModule placeholder) : base(SchemaNodeKind.Root, "/", placeholder)
    {
    }
}

/// <summary>A when statement compiled to XPath (RFC 7950 §7.21.5).</summary>
/// <param name="Expression">The compiled expression; prefixes already resolved to modules.</param>
/// <param name="Text">The expression as written.</param>
/// <param name="ContextIsParent">
/// True when the when came from augment, uses, choice or case: the context node is then the closest
/// ancestor data node instead of the node itself.
/// </param>
public sealed record WhenCondition(XPathExpr Expression, string Text, bool ContextIsParent, SourceLocation Location, string? Description = null);

/// <summary>A must statement with its error-message and error-app-tag (RFC 7950 §7.5.3).</summary>
public sealed record MustConstraint(XPathExpr Expression, string Text, string? ErrorMessage, string? ErrorAppTag, SourceLocation Location, string? Description = null);

/// <summary>An extension statement used on a node, with its resolved definition.</summary>
public sealed record ExtensionInstance(ExtensionDefinition Definition, string? Argument, Statement Statement);
