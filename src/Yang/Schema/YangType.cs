using Mgmt.Yang.Parsing;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Schema;

/// <summary>The YANG built-in types (RFC 7950 §4.2.4).</summary>
public enum BuiltinType
{
    Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Decimal64,
    String, Boolean, Enumeration, Bits, Binary, Leafref, Identityref, Empty, Union, InstanceIdentifier,
}

/// <summary>
/// A resolved type: a built-in type with every restriction of its typedef chain applied.
/// Values in data trees are kept as canonical strings; identityref and instance-identifier
/// values use module names as prefixes (the RFC 7951 form), whatever encoding they came from.
/// </summary>
public sealed class YangType
{
    public YangType(BuiltinType kind, string name)
    {
        Kind = kind;
        Name = name;
    }

    public BuiltinType Kind { get; }

    /// <summary>The built-in name or the typedef name (unqualified).</summary>
    public string Name { get; }

    /// <summary>The module defining the typedef; null for a built-in type.</summary>
    public YangModule? TypedefModule { get; set; }

    /// <summary>The type this one restricts (the typedef chain), or null for a built-in type.</summary>
    public YangType? BaseType { get; set; }

    /// <summary>Effective range (integers, decimal64), already intersected along the chain; null = whole value space.</summary>
    public RangeSet? Range { get; set; }

    /// <summary>Effective length (string, binary), in characters or octets; null = unrestricted.</summary>
    public RangeSet? Length { get; set; }

    /// <summary>Every pattern along the chain; a value must satisfy all.</summary>
    public IReadOnlyList<PatternRestriction> Patterns { get; set; } = [];

    public IReadOnlyList<EnumMember> Enums { get; set; } = [];

    public IReadOnlyList<BitMember> Bits { get; set; } = [];

    public int FractionDigits { get; set; }

    /// <summary>leafref path, compiled; null for other types.</summary>
    public XPathExpr? LeafrefPath { get; set; }

    public string? LeafrefPathText { get; set; }

    /// <summary>The leaf or leaf-list the leafref path points to (resolved by the compiler).</summary>
    public SchemaNode? LeafrefTarget { get; set; }

    /// <summary>leafref and instance-identifier require-instance (default true).</summary>
    public bool RequireInstance { get; set; } = true;

    /// <summary>identityref bases.</summary>
    public IReadOnlyList<Identity> IdentityBases { get; set; } = [];

    /// <summary>union member types, in order.</summary>
    public IReadOnlyList<YangType> UnionMembers { get; set; } = [];

    /// <summary>Default from the typedef chain (canonical), or null.</summary>
    public string? Default { get; set; }

    public string? Units { get; set; }

    public SourceLocation Location { get; set; }

    public bool IsBuiltin => BaseType is null;

    public override string ToString() => TypedefModule is null ? Name : $"{TypedefModule.Name}:{Name}";
}

/// <summary>A range or length expression: ordered, disjoint intervals (inclusive).</summary>
public sealed record RangeSet(IReadOnlyList<RangeInterval> Intervals, string Text, string? ErrorMessage = null, string? ErrorAppTag = null)
{
    public bool Contains(decimal value)
    {
        var intervals = Intervals; // by index: a foreach over the interface boxes an enumerator per value checked
        for (var i = 0; i < intervals.Count; i++)
            if (value >= intervals[i].Min && value <= intervals[i].Max) return true;
        return false;
    }
}

public readonly record struct RangeInterval(decimal Min, decimal Max);

/// <summary>
/// A pattern: the XSD regex as written and its .NET translation (anchored). The <see cref="Regex"/> is built
/// on first use, so compiling many modules does not construct thousands of regex objects up front; it is
/// interpreted at first and compiled to IL once it has checked <see cref="CompileAfter"/> values (a bulk load
/// of addresses then runs about three times faster; building the compiled form costs a few milliseconds).
/// </summary>
public sealed record PatternRestriction(string Pattern, string DotNetPattern, bool InvertMatch, string? ErrorMessage, string? ErrorAppTag)
{
    public const int CompileAfter = 2000;

    private System.Text.RegularExpressions.Regex? _regex;
    private int _uses;

    // The addresses and prefixes of ietf-inet-types are checked by hand-written matchers (KnownPatterns).
    private readonly KnownPatterns.Matcher? _known = KnownPatterns.For(Pattern);

    // For the IPv6 patterns: a quick yes for the addresses Ipv6Text reads (KnownPatterns.SufficientFor).
    private readonly KnownPatterns.Matcher? _quickYes = KnownPatterns.SufficientFor(Pattern);

    public System.Text.RegularExpressions.Regex Regex => _regex ??= XsdRegex.Build(DotNetPattern);

    public bool IsSatisfiedBy(ReadOnlySpan<char> value)
    {
        if (_known is { } known) return known(value) != InvertMatch;
        if (_quickYes is { } quick && quick(value)) return !InvertMatch;
        // Racing threads may both compile; either result is the same regex.
        if (_uses <= CompileAfter && ++_uses > CompileAfter) _regex = XsdRegex.Build(DotNetPattern, compiled: true);
        return Regex.IsMatch(value) != InvertMatch;
    }

    // Two restrictions are equal by what they say; the compiled regex and the use counter are caches.
    public bool Equals(PatternRestriction? other) =>
        other is not null && Pattern == other.Pattern && DotNetPattern == other.DotNetPattern && InvertMatch == other.InvertMatch
        && ErrorMessage == other.ErrorMessage && ErrorAppTag == other.ErrorAppTag;

    public override int GetHashCode() => HashCode.Combine(Pattern, InvertMatch, ErrorMessage, ErrorAppTag);
}

public sealed record EnumMember(string Name, int Value, SchemaStatus Status = SchemaStatus.Current);

public sealed record BitMember(string Name, uint Position, SchemaStatus Status = SchemaStatus.Current);
