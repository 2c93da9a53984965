using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Tests.Encoding;

namespace Mgmt.Yang.Tests.Data;

/// <summary>
/// IPv4 prefixes kept as bits (<see cref="PackedPrefixLeaf"/>): only text that formats back to itself is packed,
/// and a packed leaf reads, compares, hashes and copies like a leaf holding the string.
/// </summary>
public sealed class PackedPrefixLeafTests
{
    private static readonly SchemaNode AnyLeaf =
        RoundTripTests.Served.Value.Root.FindDataChild("interfaces")!.FindDataChild("interface")!.FindDataChild("description")!;

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("255.255.255.255/32")]
    [InlineData("10.1.2.0/24")]
    [InlineData("192.0.2.1/32")]
    [InlineData("100.64.0.0/10")]
    public void A_prefix_is_packed_and_reads_back_as_written(string text)
    {
        var leaf = DataLeaf.Create(AnyLeaf, text);
        Assert.IsType<PackedPrefixLeaf>(leaf);
        Assert.Equal(text, leaf.Value);
        Assert.Equal(text.GetHashCode(), leaf.ValueHashCode());
        Assert.True(leaf.ValueEquals(DataLeaf.Create(AnyLeaf, text)));
        Assert.True(DataLeaf.Create(AnyLeaf, text).ValueEquals(leaf));
        Assert.Equal(text, ((DataLeaf)leaf.DeepClone()).Value);
    }

    [Theory]
    [InlineData("010.1.2.0/24")] // a leading zero would not come back
    [InlineData("10.1.2.0/024")]
    [InlineData("10.1.2.0/33")]
    [InlineData("256.1.2.0/24")]
    [InlineData("10.1.2/24")]
    [InlineData("10.1.2.0")]
    [InlineData("10.1.2.0/")]
    [InlineData("10.1.2.0/24 ")]
    [InlineData(" 10.1.2.0/24")]
    [InlineData("1.2.3.4.5/8")]
    [InlineData("1.2.3.4/5/6")]
    [InlineData("1.2.3.4/-1")]
    [InlineData("1.2.3.\u0664/8")] // a non-ASCII digit
    [InlineData("1000.2.3.4/8")]
    [InlineData("eth0")]
    public void Other_text_is_kept_as_it_is(string text)
    {
        var leaf = DataLeaf.Create(AnyLeaf, text);
        Assert.IsNotType<PackedPrefixLeaf>(leaf);
        Assert.Equal(text, leaf.Value);
    }

    [Theory]
    [InlineData("::/0")]
    [InlineData("2001:db8::/32")]
    [InlineData("2001:db8:0:1::/64")]
    [InlineData("2001:db8::1:0:0:1/128")] // the first of two equal zero runs is the one compressed
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")]
    [InlineData("::ffff:192.0.2.1/128")] // IPv4-mapped, written as IPAddress writes it
    [InlineData("fe80::1/10")]
    public void An_ipv6_prefix_in_canonical_form_is_packed_and_reads_back_as_written(string text)
    {
        var leaf = DataLeaf.Create(AnyLeaf, text);
        Assert.IsType<PackedPrefix6Leaf>(leaf);
        Assert.Equal(text, leaf.Value);
        Assert.Equal(text.GetHashCode(), leaf.ValueHashCode());
        var asText = new TextLeaf(AnyLeaf, text);
        Assert.True(leaf.ValueEquals(asText));
        Assert.True(asText.ValueEquals(leaf));
        Assert.Equal(asText.IdentityHash(), leaf.IdentityHash());
        Assert.Equal(text, ((DataLeaf)leaf.DeepClone()).Value);
    }

    [Theory]
    [InlineData("2001:DB8::/32")] // upper case
    [InlineData("2001:0db8::/32")] // a leading zero
    [InlineData("2001:db8:0:0:0:0:0:0/32")] // zeros not compressed
    [InlineData("2001:db8::/032")]
    [InlineData("2001:db8::/129")]
    [InlineData("2001:db8::")]
    [InlineData("2001:db8::/")]
    [InlineData("fe80::1%eth0/64")]
    [InlineData("1:2:3:4:5:6:7:8:9/64")]
    [InlineData("ietf-routing:static")]
    public void Other_ipv6_like_text_is_kept_as_it_is(string text)
    {
        var leaf = DataLeaf.Create(AnyLeaf, text);
        Assert.IsType<TextLeaf>(leaf);
        Assert.Equal(text, leaf.Value);
    }

    [Fact]
    public void A_string_holding_a_prefix_hashes_like_the_packed_prefix()
    {
        Assert.Equal(new TextLeaf(AnyLeaf, "10.0.0.0/8").IdentityHash(), DataLeaf.Create(AnyLeaf, "10.0.0.0/8").IdentityHash());
        Assert.NotEqual(DataLeaf.Create(AnyLeaf, "10.0.0.0/8").IdentityHash(), DataLeaf.Create(AnyLeaf, "10.0.0.0/9").IdentityHash());
        Assert.Equal("plain".GetHashCode(), new TextLeaf(AnyLeaf, "plain").IdentityHash());
    }

    private const string Routes6 = """
        <routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing" xmlns:rt="urn:ietf:params:xml:ns:yang:ietf-routing"><control-plane-protocols>
        <control-plane-protocol><type>rt:static</type><name>st</name><static-routes><ipv6 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv6-unicast-routing">
        <route><destination-prefix>2001:db8:1::/48</destination-prefix><next-hop><next-hop-address>2001:db8::1</next-hop-address></next-hop></route>
        <route><destination-prefix>PREFIX</destination-prefix><next-hop><next-hop-address>2001:db8::1</next-hop-address></next-hop></route>
        </ipv6></static-routes></control-plane-protocol></control-plane-protocols></routing>
        """;

    [Fact]
    public void Ipv6_route_prefixes_are_packed_from_either_encoding_and_a_non_canonical_one_once_made_canonical()
    {
        var ctx = RoundTripTests.Served.Value;
        var fromXml = XmlDataReader.Parse(ctx, Routes6.Replace("PREFIX", "2001:DB8:2:0::/64"), Config);
        var json = JsonDataWriter.ToString(fromXml, new DataWriteOptions(Indent: false));
        var fromJson = JsonDataReader.Parse(ctx, json, Config);
        foreach (var tree in new[] { fromXml, fromJson })
        {
            var prefixes = Leaves(tree, "destination-prefix");
            Assert.Equal(["2001:db8:1::/48", "2001:db8:2::/64"], prefixes.Select(l => l.Value));
            Assert.All(prefixes, l => Assert.IsType<PackedPrefix6Leaf>(l));
        }
        Assert.Equal(XmlDataWriter.ToString(fromXml), XmlDataWriter.ToString(fromJson));
        var e = Assert.Throws<DataException>(() => XmlDataReader.Parse(ctx, Routes6.Replace("PREFIX", "2001:db8::/129"), Config));
        Assert.Equal(ErrorTag.InvalidValue, e.Errors[0].Tag);
    }

    [Fact]
    public void A_packed_leaf_takes_another_prefix_in_place_and_nothing_else()
    {
        var leaf = DataLeaf.Create(AnyLeaf, "10.0.0.0/8");
        Assert.True(leaf.TrySetValue("10.0.0.0/9"));
        Assert.Equal("10.0.0.0/9", leaf.Value);
        Assert.False(leaf.TrySetValue("not a prefix"));
        Assert.Equal("10.0.0.0/9", leaf.Value);
        Assert.Equal("10.0.0.0/9", ((DataLeaf)leaf.DeepClone()).Value);
        Assert.False(leaf.ValueEquals(DataLeaf.Create(AnyLeaf, "10.0.0.0/8")));
        Assert.False(DataLeaf.Default(AnyLeaf, "x").TrySetValue("y"));
    }

    private const string Routes = """
        <routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing" xmlns:rt="urn:ietf:params:xml:ns:yang:ietf-routing"><control-plane-protocols>
        <control-plane-protocol><type>rt:static</type><name>st</name><static-routes><ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing">
        <route><destination-prefix>20.0.0.0/24</destination-prefix><description>10.0.0.0/8</description><next-hop><next-hop-address>192.0.2.1</next-hop-address></next-hop></route>
        <route><destination-prefix>PREFIX</destination-prefix><next-hop><next-hop-address>192.0.2.1</next-hop-address></next-hop></route>
        </ipv4></static-routes></control-plane-protocol></control-plane-protocols></routing>
        """;

    private static readonly DataParseOptions Config = new(DataContent.Config);

    [Fact]
    public void Route_prefixes_read_from_either_encoding_are_packed_and_written_back_as_given()
    {
        var ctx = RoundTripTests.Served.Value;
        var fromXml = XmlDataReader.Parse(ctx, Routes.Replace("PREFIX", "0.0.0.0/0"), Config);
        var json = JsonDataWriter.ToString(fromXml, new DataWriteOptions(Indent: false));
        var fromJson = JsonDataReader.Parse(ctx, json, Config);
        foreach (var tree in new[] { fromXml, fromJson })
        {
            var prefixes = Leaves(tree, "destination-prefix");
            Assert.Equal(["20.0.0.0/24", "0.0.0.0/0"], prefixes.Select(l => l.Value));
            Assert.All(prefixes, l => Assert.IsType<PackedPrefixLeaf>(l));
            Assert.IsNotType<PackedPrefixLeaf>(Leaves(tree, "next-hop-address")[0]); // an address, not a prefix: the shared string
        }
        Assert.Contains("\"destination-prefix\":\"0.0.0.0/0\"", json);
        Assert.Contains("\"description\":\"10.0.0.0/8\"", json);
        Assert.Equal(XmlDataWriter.ToString(fromXml), XmlDataWriter.ToString(fromJson));
    }

    [Theory]
    [InlineData("20.0.0.0/33")]
    [InlineData("20.0.0.256/8")]
    [InlineData("020.0.0.0/8")]
    public void A_prefix_outside_its_type_is_rejected_by_both_readers(string prefix)
    {
        var ctx = RoundTripTests.Served.Value;
        var xml = Assert.Throws<DataException>(() => XmlDataReader.Parse(ctx, Routes.Replace("PREFIX", prefix), Config));
        Assert.Equal(ErrorTag.InvalidValue, xml.Errors[0].Tag);
        Assert.Contains(prefix, xml.Errors[0].Message);
        var json = XmlDataReader.Parse(ctx, Routes.Replace("PREFIX", "1.0.0.0/8"), Config) is var t
            ? JsonDataWriter.ToString(t, new DataWriteOptions(Indent: false)).Replace("1.0.0.0/8", prefix) : "";
        var fromJson = Assert.Throws<DataException>(() => JsonDataReader.Parse(ctx, json, Config));
        Assert.Equal(ErrorTag.InvalidValue, fromJson.Errors[0].Tag);
        Assert.Contains(prefix, fromJson.Errors[0].Message);
    }

    private static readonly Lazy<SchemaContext> Narrow = new(() =>
    {
        var b = new Mgmt.Yang.Compilation.SchemaContextBuilder();
        b.LoadText("""
            module narrow {
              yang-version 1.1;
              namespace "urn:t:narrow";
              prefix n;
              container c {
                leaf ten { type string { pattern '10\..*'; } }
                leaf short { type string { length "1..9"; } }
                leaf either { type union { type uint8; type string; } }
              }
            }
            """, "narrow.yang");
        return b.Build();
    });

    [Theory]
    [InlineData("ten", "20.0.0.0/8", false)]
    [InlineData("ten", "10.0.0.0/8", true)]
    [InlineData("short", "10.0.0.0/8", false)] // ten characters
    [InlineData("short", "1.0.0.0/8", true)]
    [InlineData("either", "1.0.0.0/8", true)]
    [InlineData("short", "2001:db8::/32", false)] // thirteen characters
    [InlineData("short", "::1/128", true)]
    [InlineData("ten", "::/0", false)]
    public void A_packable_value_is_still_checked_against_its_own_type(string leaf, string value, bool valid)
    {
        var xml = $"<c xmlns=\"urn:t:narrow\"><{leaf}>{value}</{leaf}></c>";
        var json = $"{{\"narrow:c\":{{\"{leaf}\":\"{value}\"}}}}";
        foreach (var read in new Func<DataRoot>[] { () => XmlDataReader.Parse(Narrow.Value, xml, Config), () => JsonDataReader.Parse(Narrow.Value, json, Config) })
        {
            if (valid)
            {
                var l = Assert.Single(Leaves(read(), leaf));
                Assert.Equal(value, l.Value);
                Assert.IsAssignableFrom<DataLeaf>(l);
                Assert.IsNotType<TextLeaf>(l);
            }
            else
            {
                Assert.Equal(ErrorTag.InvalidValue, Assert.Throws<DataException>(read).Errors[0].Tag);
            }
        }
    }

    private static List<DataLeaf> Leaves(DataNode node, string name)
    {
        var found = new List<DataLeaf>();
        void Walk(DataNode n)
        {
            if (n is DataLeaf l && l.Name == name) found.Add(l);
            if (n is DataInner i) foreach (var c in i.Children) Walk(c);
        }
        Walk(node);
        return found;
    }
}
