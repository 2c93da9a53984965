using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// An instance node bound to its schema node. Inner nodes (<see cref="DataInner"/>) hold children;
/// leaves and leaf-list entries are <see cref="DataLeaf"/>; anydata/anyxml is <see cref="DataAny"/>.
/// Each list entry and each leaf-list entry is its own node, as in RFC 7950's data model.
/// </summary>
public abstract class DataNode
{
    protected DataNode(SchemaNode schema)
    {
        Schema = schema;
    }

    public SchemaNode Schema { get; }

    public DataInner? Parent { get; internal set; }

    public string Name => Schema.Name;

    public YangModule Module => Schema.Module;

    /// <summary>True for nodes created from a schema default rather than by a client (RFC 6243).</summary>
    public virtual bool IsDefault => false;

    /// <summary>Instance path in the RFC 7951 / RESTCONF-like XPath form used in error paths, e.g. <c>/ietf-interfaces:interfaces/interface[name='eth0']/mtu</c>.</summary>
    public string Path => DataPath.Of(this);

    public abstract DataNode DeepClone();
}

/// <summary>A leaf or one leaf-list entry; <see cref="Value"/> is the canonical string.</summary>
public class DataLeaf : DataNode
{
    public DataLeaf(SchemaNode schema, string value) : base(schema)
    {
        Value = value;
    }

    /// <summary>A leaf that exists only because of a schema default (RFC 6243): a node of its own kind, so no leaf carries a flag.</summary>
    public static DataLeaf Default(SchemaNode schema, string value) => new DefaultLeaf(schema, value);

    public string Value { get; set; }

    public YangType Type => Schema is LeafSchema l ? l.Type : ((LeafListSchema)Schema).Type;

    public override DataNode DeepClone() => new DataLeaf(Schema, Value);

    public override string ToString() => $"{Path} = {Value}";

    private sealed class DefaultLeaf(SchemaNode schema, string value) : DataLeaf(schema, value)
    {
        public override bool IsDefault => true;

        public override DataNode DeepClone() => new DefaultLeaf(Schema, Value);
    }
}

/// <summary>anydata / anyxml content kept as an opaque tree (see <see cref="AnyValue"/>).</summary>
public sealed class DataAny : DataNode
{
    public DataAny(SchemaNode schema, AnyValue value) : base(schema)
    {
        Value = value;
    }

    public AnyValue Value { get; set; }

    public override DataNode DeepClone() => new DataAny(Schema, Value);
}

/// <summary>
/// Content of an anydata/anyxml node, kept in the encoding it arrived in; printers convert
/// between XML and JSON when they must.
/// </summary>
/// <param name="Xml">Inner XML (children of the anydata element), or null.</param>
/// <param name="Json">The JSON value text, or null.</param>
public sealed record AnyValue(string? Xml, string? Json);
