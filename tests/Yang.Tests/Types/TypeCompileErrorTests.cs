using Mgmt.Yang.Compilation;

namespace Mgmt.Yang.Tests.Types;

/// <summary>Type statements the compiler must reject, each at the offending line.</summary>
public sealed class TypeCompileErrorTests
{
    private static YangException Reject(string body)
    {
        var text = "module bad {\n  yang-version 1.1;\n  namespace \"urn:t:bad\";\n  prefix b;\n" + body + "\n}\n";
        var b = new SchemaContextBuilder();
        return Assert.ThrowsAny<YangException>(() => { b.LoadText(text, "bad.yang"); b.Build(); });
    }

    [Theory]
    [InlineData("leaf x { type string { range \"1..2\"; } }", 5)]
    [InlineData("leaf x { type int8 { length \"1..2\"; } }", 5)]
    [InlineData("leaf x { type int8 { range \"1..200\"; } }", 5)]
    [InlineData("typedef t { type uint8 { range \"10..20\"; } }\nleaf x { type t { range \"5..15\"; } }", 6)]
    [InlineData("typedef t { type string { length \"1..4\"; } }\nleaf x { type t { length \"1..max | 8\"; } }", 6)]
    [InlineData("leaf x { type decimal64; }", 5)]
    [InlineData("leaf x { type decimal64 { fraction-digits 19; } }", 5)]
    [InlineData("leaf x { type enumeration { enum a; enum a; } }", 5)]
    [InlineData("leaf x { type enumeration { enum a { value 1; } enum b { value 1; } } }", 5)]
    [InlineData("leaf x { type bits { bit a { position 1; } bit b { position 1; } } }", 5)]
    [InlineData("typedef t { type enumeration { enum a; } }\nleaf x { type t { enum z; } }", 6)]
    [InlineData("leaf x { type identityref { base nope; } }", 5)]
    [InlineData("leaf x { type identityref; }", 5)]
    [InlineData("leaf x { type leafref; }", 5)]
    [InlineData("leaf x { type union; }", 5)]
    [InlineData("leaf x { type string { pattern \"[a-\"; } }", 5)]
    [InlineData("leaf x { type no-such-type; }", 5)]
    [InlineData("typedef t { type uint8; default 300; }", 5)]
    [InlineData("leaf x { type int8 { range \"5..1\"; } }", 5)]
    public void InvalidTypeIsRejectedAtItsLine(string body, int line)
    {
        var e = Reject(body);
        Assert.Contains($"bad.yang:{line}:", e.Message);
    }

    [Fact]
    public void EnumWithADisabledFeatureIsLeftOut()
    {
        var b = new SchemaContextBuilder().DisableFeatures();
        b.LoadText("""
            module f {
              yang-version 1.1;
              namespace "urn:t:f";
              prefix f;
              feature fast;
              typedef speed { type enumeration { enum slow; enum fast { if-feature fast; } } }
              typedef slow-only { type speed { enum slow; } }
              leaf s { type speed; }
              leaf o { type slow-only; }
            }
            """, "f.yang");
        var m = b.Build().GetModule("f")!;
        var s = (Mgmt.Yang.Schema.LeafSchema)m.TopLevel.Single(n => n.Name == "s");
        var o = (Mgmt.Yang.Schema.LeafSchema)m.TopLevel.Single(n => n.Name == "o");
        Assert.Equal(["slow"], s.Type.Enums.Select(e => e.Name));
        Assert.Equal(["slow"], o.Type.Enums.Select(e => e.Name));
        Assert.False(Mgmt.Yang.Schema.ValueParser.TryParse(s.Type, "fast", null, out _, out _));
    }
}
