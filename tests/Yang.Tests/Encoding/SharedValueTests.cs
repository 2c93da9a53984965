using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Encoding;

/// <summary>
/// A value that repeats across a document (the next hop of every route, an MTU) is held once: both readers hand
/// out the string they kept for it, and values that differ stay apart.
/// </summary>
public sealed class SharedValueTests
{
    private static readonly Lazy<SchemaContext> Context = new(() => SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang));

    private const string Xml = """
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>eth0</name><description>uplink port</description><type>ianaift:ethernetCsmacd</type></interface>
          <interface><name>eth1</name><description>uplink port</description><type>ianaift:ethernetCsmacd</type></interface>
          <interface><name>eth2</name><description>downlink port</description><type>ianaift:ethernetCsmacd</type></interface>
        </interfaces>
        """;

    private const string Json = """
        {"ietf-interfaces:interfaces": {"interface": [
          {"name": "eth0", "description": "uplink port", "type": "iana-if-type:ethernetCsmacd"},
          {"name": "eth1", "description": "uplink port", "type": "iana-if-type:ethernetCsmacd"},
          {"name": "eth2", "description": "downlink port", "type": "iana-if-type:ethernetCsmacd"}]}}
        """;

    [Fact]
    public void Xml_documents_hold_a_repeated_value_once() => AssertShared(XmlDataReader.Parse(Context.Value, Xml, new DataParseOptions(DataContent.Config)));

    [Fact]
    public void Json_documents_hold_a_repeated_value_once() => AssertShared(JsonDataReader.Parse(Context.Value, Json, new DataParseOptions(DataContent.Config)));

    private static void AssertShared(DataRoot root)
    {
        var interfaces = (DataInner)root.Children[0];
        var descriptions = interfaces.Children.ToArray().Select(e => ((DataInner)e).Children.ToArray().OfType<DataLeaf>().Single(l => l.Name == "description").Value).ToArray();
        Assert.Equal(["uplink port", "uplink port", "downlink port"], descriptions);
        Assert.Same(descriptions[0], descriptions[1]);
        Assert.NotSame(descriptions[0], descriptions[2]);
        var names = interfaces.Children.ToArray().Select(e => ((DataInner)e).KeyValues()[0]).ToArray();
        Assert.Equal(["eth0", "eth1", "eth2"], names);
    }

    [Fact]
    public void Json_strings_escaped_long_or_not_ascii_are_read_as_written()
    {
        var longText = new string('x', 70) + " port";
        var json = $$$"""
            {"ietf-interfaces:interfaces": {"interface": [
              {"name": "eth0", "description": "caf\u00e9 \"port\"", "type": "iana-if-type:ethernetCsmacd"},
              {"name": "eth1", "description": "café \"port\"", "type": "iana-if-type:ethernetCsmacd"},
              {"name": "eth2", "description": "{{{longText}}}", "type": "iana-if-type:ethernetCsmacd"},
              {"name": "eth3", "description": "{{{longText}}}", "type": "iana-if-type:ethernetCsmacd"},
              {"name": "eth4", "description": "naïve", "type": "iana-if-type:ethernetCsmacd"},
              {"name": "eth5", "description": "naïve", "type": "iana-if-type:ethernetCsmacd"}]}}
            """;
        var root = JsonDataReader.Parse(Context.Value, json, new DataParseOptions(DataContent.Config));
        var interfaces = (DataInner)root.Children[0];
        var d = interfaces.Children.ToArray().Select(e => ((DataInner)e).Children.ToArray().OfType<DataLeaf>().Single(l => l.Name == "description").Value).ToArray();
        Assert.Equal(["café \"port\"", "café \"port\"", longText, longText, "naïve", "naïve"], d);
        Assert.Same(d[4], d[5]); // short unescaped text: one string
    }
}
