using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;

namespace Mgmt.Yang.Tests.Encoding;

/// <summary>Shapes of XML documents the reader accepts: wrappers, fragments, keys after other children.</summary>
public sealed class XmlShapeTests
{
    private const string If = "urn:ietf:params:xml:ns:yang:ietf-interfaces";

    private static readonly DataParseOptions Config = new(DataContent.Config);

    private static string Entry(string name) =>
        $"<interface><description>d {name}</description><type xmlns:t=\"urn:ietf:params:xml:ns:yang:iana-if-type\">t:ethernetCsmacd</type><name>{name}</name></interface>";

    [Fact]
    public void A_list_key_given_after_other_children_is_still_the_key_and_printed_first()
    {
        var root = XmlDataReader.Parse(RoundTripTests.Served.Value, $"<interfaces xmlns=\"{If}\">{Entry("a")}{Entry("b")}</interfaces>", Config);
        var xml = XmlDataWriter.ToString(root, new DataWriteOptions(Indent: false));
        Assert.Contains("<interface><name>a</name><description>d a</description>", xml);
        Assert.Contains("<interface><name>b</name>", xml);
    }

    [Theory]
    [InlineData("urn:ietf:params:xml:ns:netconf:base:1.0", "config")]
    [InlineData("urn:ietf:params:xml:ns:yang:ietf-yang-library", "data")]
    public void A_config_or_data_wrapper_in_any_namespace_holds_the_top_level_nodes(string ns, string wrapper)
    {
        var root = XmlDataReader.Parse(RoundTripTests.Served.Value, $"<{wrapper} xmlns=\"{ns}\"><interfaces xmlns=\"{If}\">{Entry("a")}</interfaces></{wrapper}>", Config);
        var json = JsonDataWriter.ToString(root, new DataWriteOptions(Indent: false));
        Assert.StartsWith("{\"ietf-interfaces:interfaces\":{\"interface\":[{\"name\":\"a\"", json);
    }

    [Fact]
    public void A_duplicate_key_given_late_is_reported_at_the_entry()
    {
        var e = Assert.Throws<DataException>(() => XmlDataReader.Parse(RoundTripTests.Served.Value, $"<interfaces xmlns=\"{If}\">{Entry("a")}{Entry("a")}</interfaces>", Config));
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='a']", e.Errors[0].Path);
    }

    private static string Description(string content)
    {
        var root = XmlDataReader.Parse(RoundTripTests.Served.Value,
            $"<interfaces xmlns=\"{If}\"><interface><name>a</name><description>{content}</description></interface></interfaces>", Config);
        return ((DataInner)((DataInner)root.Children[0]).Children[0]).Children.ToArray().OfType<DataLeaf>().Single(l => l.Name == "description").Value;
    }

    [Theory]
    [InlineData("up<!-- a comment -->link <![CDATA[<port> & ]]>&amp; &#x41;", "uplink <port> & & A")] // text, CDATA and references joined, the comment left out
    [InlineData("  two  spaces\n ", "  two  spaces\n ")] // a string keeps its white space
    [InlineData("<?pi inside?>x", "x")]
    public void A_leaf_value_is_its_text_nodes_joined(string content, string value) => Assert.Equal(value, Description(content));

    [Fact]
    public void A_leaf_value_longer_than_the_reader_buffer_is_read_whole()
    {
        var value = string.Concat(Enumerable.Range(0, 900).Select(i => (char)('a' + i % 26))) + "<![CDATA[" + new string('z', 700) + "]]>";
        Assert.Equal(1600, Description(value).Length);
        Assert.EndsWith(new string('z', 700), Description(value));
    }

    [Fact]
    public void An_element_inside_a_leaf_is_a_malformed_message_naming_the_leaf()
    {
        var e = Assert.Throws<DataException>(() => Description("text<b>bold</b>"));
        Assert.Equal(ErrorTag.MalformedMessage, e.Errors[0].Tag);
        Assert.Contains("\"description\"", e.Errors[0].Message);
    }

    [Theory]
    [InlineData("+1500", "1500")]
    [InlineData("01500", "1500")]
    [InlineData("70000", "70000")]
    [InlineData("-0", "0")]
    public void Integers_come_out_canonical(string lexical, string canonical)
    {
        var type = new Mgmt.Yang.Schema.YangType(Mgmt.Yang.Schema.BuiltinType.Uint32, "uint32");
        if (lexical == "-0") type = new Mgmt.Yang.Schema.YangType(Mgmt.Yang.Schema.BuiltinType.Int32, "int32");
        Assert.True(Mgmt.Yang.Schema.ValueParser.TryParse(type, lexical, null, out var value, out var error), error);
        Assert.Equal(canonical, value);
    }
}
