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
}
