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

/// <summary>
/// A leaf or one leaf-list entry; <see cref="Value"/> is the canonical string. Leaves are made by
/// <see cref="Create"/>, which keeps an IPv4 or IPv6 prefix as packed bits instead of a string (a route's key), and
/// other values as their string.
/// </summary>
public abstract class DataLeaf : DataNode
{
    private protected DataLeaf(SchemaNode schema) : base(schema)
    {
    }

    /// <summary>Room a caller of <see cref="ValueChars"/> gives a packed value (the longest is an IPv6 prefix).</summary>
    public const int ScratchLength = 48;

    /// <summary>A leaf with this value, in the most compact form that gives the same text back.</summary>
    public static DataLeaf Create(SchemaNode schema, string value) => TryPacked(schema, value) ?? new TextLeaf(schema, value);

    // A leaf holding the text as bits when it is an IPv4 or IPv6 prefix that formats back to itself.
    private static DataLeaf? TryPacked(SchemaNode schema, ReadOnlySpan<char> text) =>
        PackedPrefixLeaf.TryPack(text, out var bits) ? new PackedPrefixLeaf(schema, bits)
        : PackedPrefix6Leaf.TryPack(text, out var high, out var low, out var length) ? new PackedPrefix6Leaf(schema, high, low, length)
        : null;

    /// <summary>
    /// A packed leaf for text a reader has only in its buffer, when it is an IPv4 or IPv6 prefix and a valid value
    /// of <paramref name="type"/> as written (a route's key: no string is made for it at all); null otherwise.
    /// </summary>
    internal static DataLeaf? TryCreatePacked(SchemaNode schema, YangType type, ReadOnlySpan<char> text) =>
        TryPacked(schema, text) is { } packed && ValueParser.IsValidString(type, text) ? packed : null;

    /// <summary>A leaf that exists only because of a schema default (RFC 6243): a node of its own kind, so no leaf carries a flag.</summary>
    public static DataLeaf Default(SchemaNode schema, string value) => new DefaultLeaf(schema, value);

    /// <summary>The canonical value (made on each read for a packed leaf; compare with <see cref="ValueEquals"/>).</summary>
    public abstract string Value { get; }

    public YangType Type => Schema is LeafSchema l ? l.Type : ((LeafListSchema)Schema).Type;

    /// <summary>The value's characters, written into <paramref name="scratch"/> (<see cref="ScratchLength"/> long) when the leaf holds no string.</summary>
    public abstract ReadOnlySpan<char> ValueChars(Span<char> scratch);

    /// <summary>Hash of the value, the same as <c>Value.GetHashCode()</c>, without making a string.</summary>
    public virtual int ValueHashCode() => string.GetHashCode(ValueChars(stackalloc char[ScratchLength]));

    /// <summary>
    /// A hash equal for equal values however they are held, cheap for a packed prefix (its bits; a string holding a
    /// prefix hashes the same): for tables a reader builds and drops.
    /// </summary>
    internal abstract int IdentityHash();

    /// <summary>Whether two leaves hold the same value, without making strings.</summary>
    public bool ValueEquals(DataLeaf other) =>
        this is TextLeaf a && other is TextLeaf b ? a.Text == b.Text : ValueChars(stackalloc char[ScratchLength]).SequenceEqual(other.ValueChars(stackalloc char[ScratchLength]));

    /// <summary>
    /// Changes the value in place; false when this leaf cannot hold <paramref name="value"/> (a default leaf, a
    /// packed leaf given text that does not pack), and the editor puts a new leaf in its place instead.
    /// </summary>
    internal abstract bool TrySetValue(string value);

    public override string ToString() => $"{Path} = {Value}";

    private sealed class DefaultLeaf(SchemaNode schema, string value) : TextLeaf(schema, value)
    {
        public override bool IsDefault => true;

        public override DataNode DeepClone() => new DefaultLeaf(Schema, Value);

        internal override bool TrySetValue(string value) => false;
    }
}

/// <summary>A leaf holding its value as a string.</summary>
internal class TextLeaf(SchemaNode schema, string value) : DataLeaf(schema)
{
    public string Text { get; private set; } = value;

    public override string Value => Text;

    public override ReadOnlySpan<char> ValueChars(Span<char> scratch) => Text;

    public override int ValueHashCode() => Text.GetHashCode();

    internal override int IdentityHash() =>
        PackedPrefixLeaf.TryPack(Text, out var bits) ? PackedPrefixLeaf.HashOf(bits)
        : PackedPrefix6Leaf.TryPack(Text, out var high, out var low, out var length) ? PackedPrefix6Leaf.HashOf(high, low, length)
        : Text.GetHashCode();

    public override DataNode DeepClone() => new TextLeaf(Schema, Text);

    internal override bool TrySetValue(string value)
    {
        Text = value;
        return true;
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
