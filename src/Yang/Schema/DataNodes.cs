namespace Mgmt.Yang.Schema;

public sealed class ContainerSchema(string name, YangModule module) : SchemaNode(SchemaNodeKind.Container, name, module)
{
    /// <summary>Presence statement argument; null for a non-presence container.</summary>
    public string? Presence { get; set; }

    public bool IsPresence => Presence is not null;
}

public sealed class ListSchema(string name, YangModule module) : SchemaNode(SchemaNodeKind.List, name, module)
{
    /// <summary>Key leaves in key order; empty for a keyless (state) list.</summary>
    public LeafSchema[] Keys { get; set; } = [];

    /// <summary>unique statements, each resolved to the descendant leaves it names.</summary>
    public IReadOnlyList<UniqueConstraint> Uniques { get; set; } = [];

    public uint MinElements { get; set; }

    /// <summary>uint.MaxValue means unbounded.</summary>
    public uint MaxElements { get; set; } = uint.MaxValue;

    public bool OrderedByUser { get; set; }
}

/// <summary>One unique statement: the descendant leaves (schema node ids as written) that must be unique together.</summary>
public sealed record UniqueConstraint(IReadOnlyList<LeafSchema> Leaves, IReadOnlyList<string> Paths, Parsing.SourceLocation Location);

public sealed class LeafSchema(string name, YangModule module) : SchemaNode(SchemaNodeKind.Leaf, name, module)
{
    public YangType Type { get; set; } = null!;

    /// <summary>Default value in canonical form (own default, else the typedef's), or null.</summary>
    public string? Default { get; set; }

    public string? Units { get; set; }

    public bool Mandatory { get; set; }

    /// <summary>True when this leaf is a key of its parent list.</summary>
    public bool IsKey { get; set; }
}

public sealed class LeafListSchema(string name, YangModule module) : SchemaNode(SchemaNodeKind.LeafList, name, module)
{
    public YangType Type { get; set; } = null!;

    /// <summary>Default values in canonical form (YANG 1.1), or empty.</summary>
    public IReadOnlyList<string> Defaults { get; set; } = [];

    public string? Units { get; set; }

    public uint MinElements { get; set; }

    public uint MaxElements { get; set; } = uint.MaxValue;

    public bool OrderedByUser { get; set; }
}

public sealed class ChoiceSchema(string name, YangModule module) : SchemaNode(SchemaNodeKind.Choice, name, module)
{
    public CaseSchema? DefaultCase { get; set; }

    public bool Mandatory { get; set; }

    /// <summary>The cases (every child of a compiled choice is a case: shorthand cases are made explicit).</summary>
    public IEnumerable<CaseSchema> Cases
    {
        get
        {
            foreach (var c in Children) if (c is CaseSchema cs) yield return cs;
        }
    }
}

/// <summary>A case; shorthand cases (RFC 7950 §7.9.2) are compiled into an explicit case of the same name.</summary>
public sealed class CaseSchema(string name, YangModule module) : SchemaNode(SchemaNodeKind.Case, name, module)
{
    public bool IsShorthand { get; set; }
}

/// <summary>anydata or anyxml.</summary>
public sealed class AnySchema(SchemaNodeKind kind, string name, YangModule module) : SchemaNode(kind, name, module)
{
    public bool Mandatory { get; set; }
}

/// <summary>An rpc or action: children are exactly one <see cref="OperationIoSchema"/> input and one output.</summary>
public sealed class OperationSchema(SchemaNodeKind kind, string name, YangModule module) : SchemaNode(kind, name, module)
{
    public OperationIoSchema Input { get; set; } = null!;

    public OperationIoSchema Output { get; set; } = null!;
}

/// <summary>input or output of an rpc/action; always present (empty when not written).</summary>
public sealed class OperationIoSchema(SchemaNodeKind kind, YangModule module)
    : SchemaNode(kind, kind == SchemaNodeKind.Input ? "input" : "output", module);

public sealed class NotificationSchema(string name, YangModule module) : SchemaNode(SchemaNodeKind.Notification, name, module);
