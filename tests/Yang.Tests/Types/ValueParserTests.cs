using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Types;

public sealed class ValueParserTests
{
    private static readonly Lazy<SchemaContext> Context = new(() =>
    {
        var b = new SchemaContextBuilder();
        b.LoadText("""
            module vt {
              yang-version 1.1;
              namespace "urn:t:vt";
              prefix vt;
              identity base-id;
              identity eth { base base-id; }
              identity fast-eth { base eth; }
              typedef percent { type uint8 { range "0..100"; } }
              typedef small-percent { type percent { range "0..10 | 50"; } }
              typedef name { type string { length "1..5"; pattern "[a-z]+" { error-message "lower case only"; } } }
              typedef short-name { type name { pattern "a.*"; } }
              container c {
                leaf i8 { type int8; }
                leaf u64 { type uint64; }
                leaf pct { type small-percent; }
                leaf dec { type decimal64 { fraction-digits 2; range "-10..10.5"; } }
                leaf flag { type boolean; }
                leaf color { type enumeration { enum red; enum green { value 7; } } }
                leaf flags { type bits { bit a { position 2; } bit b { position 0; } bit c; } }
                leaf bin { type binary { length "1..3"; } }
                leaf s { type short-name; }
                leaf nopat { type string { pattern "x+" { modifier invert-match; } } }
                leaf e { type empty; }
                leaf id { type identityref { base base-id; } }
                leaf u { type union { type int8; type identityref { base eth; } type string { pattern "z+"; } } }
                leaf ref { type leafref { path "../i8"; } }
                leaf ii { type instance-identifier; }
                leaf ul { type union { type leafref { path "../i8"; } type enumeration { enum none; } } }
              }
            }
            """, "vt.yang");
        return b.Build();
    });

    private static YangModule Module => Context.Value.GetModule("vt")!;

    private sealed class Prefixes : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) => prefix is null or "" or "vt" ? Module : Context.Value.GetModule(prefix);
    }

    private static YangType TypeOf(string leaf)
    {
        var c = Module.TopLevel.Single(n => n.Name == "c");
        return ((LeafSchema)c.FindDataChild(leaf)!).Type;
    }

    private static string? Parse(string leaf, string value, out string? error) =>
        ValueParser.TryParse(TypeOf(leaf), value, new Prefixes(), out var canonical, out error) ? canonical : null;

    private static string? Parse(string leaf, string value) => Parse(leaf, value, out _);

    [Theory]
    [InlineData("i8", "+5", "5")]
    [InlineData("i8", "-128", "-128")]
    [InlineData("i8", "007", "7")]
    [InlineData("i8", "-0", "0")]
    [InlineData("u64", "18446744073709551615", "18446744073709551615")]
    [InlineData("pct", "50", "50")]
    [InlineData("dec", "1.50", "1.5")]
    [InlineData("dec", "10", "10.0")]
    [InlineData("dec", "-0.00", "0.0")]
    [InlineData("flag", "true", "true")]
    [InlineData("color", "green", "green")]
    [InlineData("flags", "a c b", "b a c")] // c gets position 3 (highest + 1)
    [InlineData("flags", "", "")]
    [InlineData("bin", "AQID", "AQID")]
    [InlineData("s", "abc", "abc")]
    [InlineData("nopat", "abc", "abc")]
    [InlineData("e", "", "")]
    [InlineData("id", "vt:eth", "vt:eth")]
    [InlineData("id", "fast-eth", "vt:fast-eth")]
    [InlineData("u", "12", "12")]
    [InlineData("u", "vt:fast-eth", "vt:fast-eth")]
    [InlineData("u", "zz", "zz")]
    [InlineData("ref", "+3", "3")]
    [InlineData("ul", "-07", "-7")]
    [InlineData("ul", "none", "none")]
    [InlineData("ii", "/vt:c/vt:i8", "/vt:c/i8")]
    public void AcceptedValuesComeOutCanonical(string leaf, string value, string canonical) =>
        Assert.Equal(canonical, Parse(leaf, value));

    [Theory]
    [InlineData("i8", "128")]
    [InlineData("i8", "0x10")]
    [InlineData("i8", "1.0")]
    [InlineData("i8", "")]
    [InlineData("u64", "-1")]
    [InlineData("u64", "18446744073709551616")]
    [InlineData("pct", "11")]
    [InlineData("pct", "101")]
    [InlineData("dec", "1.234")]
    [InlineData("dec", "10.51")]
    [InlineData("dec", "1e1")]
    [InlineData("dec", ".5")]
    [InlineData("flag", "True")]
    [InlineData("flag", "1")]
    [InlineData("color", "blue")]
    [InlineData("color", "7")]
    [InlineData("flags", "a a")]
    [InlineData("flags", "d")]
    [InlineData("bin", "AQIDBA==")]
    [InlineData("bin", "!!!")]
    [InlineData("s", "bcd")]
    [InlineData("s", "abcdef")]
    [InlineData("s", "aB")]
    [InlineData("nopat", "xx")]
    [InlineData("e", "x")]
    [InlineData("id", "base-id")]
    [InlineData("id", "nope:eth")]
    [InlineData("id", "vt:missing")]
    [InlineData("u", "vt:base-id")]
    [InlineData("u", "200")]
    [InlineData("ref", "300")]
    [InlineData("ul", "300")]
    [InlineData("ii", "c/i8")]
    [InlineData("ii", "/c/i8")]
    [InlineData("ii", "/nope:c")]
    public void RejectedValuesGiveAnError(string leaf, string value)
    {
        Assert.Null(Parse(leaf, value, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void PatternErrorMessageOfTheModuleIsUsed()
    {
        Parse("s", "a1", out var error);
        Assert.Equal("lower case only", error);
    }

    [Fact]
    public void RangeErrorNamesTheRange()
    {
        Parse("pct", "20", out var error);
        Assert.Contains("0..10 | 50", error);
    }

    [Fact]
    public void StringLengthCountsCodePointsNotUtf16Units()
    {
        var t = new YangType(BuiltinType.String, "string") { Length = new RangeSet([new RangeInterval(1, 2)], "1..2") };
        Assert.True(ValueParser.TryParse(t, "😀😀", null, out _, out _));
        Assert.False(ValueParser.TryParse(t, "😀😀😀", null, out _, out _));
    }

    [Fact]
    public void IdentityEqualToTheBaseIsRejected()
    {
        Assert.Null(Parse("id", "vt:base-id", out var error));
        Assert.Contains("derived", error);
    }

    [Fact]
    public void FormatterWritesIdentitiesWithDeclaredXmlPrefixes()
    {
        var xml = ValueFormatter.ToXml(TypeOf("id"), "vt:fast-eth", Context.Value, m => m.Name == "vt" ? "p1" : "x");
        Assert.Equal("p1:fast-eth", xml);
    }

    [Fact]
    public void FormatterLeavesOtherTypesUnchanged() =>
        Assert.Equal("b c a", ValueFormatter.ToXml(TypeOf("flags"), "b c a", Context.Value, _ => "x"));

    [Fact]
    public void FormatterPrefixesEveryNodeOfAnInstanceIdentifier()
    {
        var xml = ValueFormatter.ToXml(TypeOf("ii"), "/vt:c/i8", Context.Value, _ => "q");
        Assert.Equal("/q:c/q:i8", xml);
    }

    [Fact]
    public void EnumAndBitValuesAreAssignedAutomatically()
    {
        var color = TypeOf("color");
        Assert.Equal([("red", 0), ("green", 7)], color.Enums.Select(e => (e.Name, e.Value)));
        Assert.Equal([("a", 2u), ("b", 0u), ("c", 3u)], TypeOf("flags").Bits.Select(b => (b.Name, b.Position)));
    }

    [Theory]
    [InlineData(18, "-9.223372036854775808", "-9.223372036854775808")]
    [InlineData(18, "9.223372036854775807", "9.223372036854775807")]
    [InlineData(18, "9.223372036854775808", null)]
    [InlineData(1, "-922337203685477580.8", "-922337203685477580.8")]
    [InlineData(1, "922337203685477580.8", null)]
    [InlineData(3, "+2.100", "2.1")]
    public void Decimal64BoundsFollowFractionDigits(int digits, string value, string? canonical)
    {
        var t = new YangType(BuiltinType.Decimal64, "decimal64") { FractionDigits = digits };
        var ok = ValueParser.TryParse(t, value, null, out var c, out _);
        Assert.Equal(canonical, ok ? c : null);
    }

    [Theory]
    [InlineData(BuiltinType.Int64, "-9223372036854775808", true)]
    [InlineData(BuiltinType.Int64, "9223372036854775808", false)]
    [InlineData(BuiltinType.Uint8, "255", true)]
    [InlineData(BuiltinType.Uint8, "256", false)]
    [InlineData(BuiltinType.Int16, "-32769", false)]
    [InlineData(BuiltinType.Uint32, "4294967295", true)]
    public void IntegerTypesHaveTheirBuiltinRanges(BuiltinType kind, string value, bool ok) =>
        Assert.Equal(ok, ValueParser.TryParse(new YangType(kind, kind.ToString()), value, null, out _, out _));

    [Fact]
    public void InstanceIdentifierPredicatesKeepTheirQuotedValues()
    {
        Assert.True(ValueParser.TryParse(TypeOf("ii"), "/vt:c/vt:i8[.='a:b']", new Prefixes(), out var c, out _));
        Assert.Equal("/vt:c/i8[.='a:b']", c);
    }

    [Fact]
    public void BinaryCanonicalFormDropsWhitespace()
    {
        Assert.Equal("AQID", Parse("bin", "AQ\nID"));
    }
}
