using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Yang.Tests.Encoding;

/// <summary>Documents of the served modules (yang/) read and written in both encodings.</summary>
public sealed class RoundTripTests
{
    internal static readonly Lazy<SchemaContext> Served = new(() => SchemaContextBuilder.FromDirectory(Path.Combine(CorpusLocator.RepoRoot, "yang")));

    private static string Doc(string name) => File.ReadAllText(Path.Combine(CorpusLocator.RepoRoot, "tests", "Yang.Tests", "Encoding", "docs", name));

    private static readonly DataParseOptions Config = new(DataContent.Config);

    [Theory]
    [InlineData("interfaces.xml")]
    [InlineData("routing.xml")]
    [InlineData("acl.xml")]
    [InlineData("nat.xml")]
    public void Xml_to_json_to_xml_is_the_identity_and_the_document_is_valid(string name)
    {
        var ctx = Served.Value;
        var fromXml = XmlDataReader.Parse(ctx, Doc(name), Config);
        Assert.Empty(DataValidator.Validate(fromXml, new ValidationOptions(ConfigOnly: true, AddDefaults: false)));
        var xml1 = XmlDataWriter.ToString(fromXml);
        var json = JsonDataWriter.ToString(fromXml);
        var fromJson = JsonDataReader.Parse(ctx, json, Config);
        Assert.Equal(json, JsonDataWriter.ToString(fromJson));
        var xml2 = XmlDataWriter.ToString(fromJson);
        Assert.Equal(xml1, xml2);
        Assert.Equal(xml1, XmlDataWriter.ToString(XmlDataReader.Parse(ctx, xml2, Config)));
        Assert.Equal(Count(fromXml), Count(fromJson));
    }

    private static int Count(DataNode n) => 1 + (n is DataInner i ? i.Children.Sum(Count) : 0);

    [Fact]
    public void Json_follows_rfc7951_names_numbers_and_identities()
    {
        var tree = XmlDataReader.Parse(Served.Value, Doc("interfaces.xml"), Config);
        var json = JsonDataWriter.ToString(tree, new DataWriteOptions(Indent: false));
        Assert.StartsWith("{\"ietf-interfaces:interfaces\":{\"interface\":[{\"name\":\"eth0\"", json);
        Assert.Contains("\"type\":\"iana-if-type:ethernetCsmacd\"", json);
        Assert.Contains("\"ietf-ip:ipv4\":{", json);
        Assert.Contains("\"mtu\":1500", json);
        Assert.Contains("\"enabled\":true", json);
    }

    [Fact]
    public void Xml_identityrefs_are_written_with_a_declared_prefix()
    {
        var tree = XmlDataReader.Parse(Served.Value, Doc("interfaces.xml"), Config);
        var xml = XmlDataWriter.ToString(tree);
        Assert.Contains("<type xmlns:ianaift=\"urn:ietf:params:xml:ns:yang:iana-if-type\">ianaift:ethernetCsmacd</type>", xml);
        Assert.Contains("<ipv4 xmlns=\"urn:ietf:params:xml:ns:yang:ietf-ip\">", xml);
    }

    [Theory]
    [InlineData("<mtu>1500</mtu>", "<mtu>70000</mtu>", "/ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4/mtu", ErrorTag.InvalidValue)]
    [InlineData("<type>ianaift:ethernetCsmacd</type>", "<type>ianaift:noSuchType</type>", "/ietf-interfaces:interfaces/interface[name='eth0']/type", ErrorTag.InvalidValue)]
    [InlineData("<ip>192.0.2.1</ip>", "<ip>192.0.2.300</ip>", "/ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4/address/ip", ErrorTag.InvalidValue)]
    [InlineData("<enabled>false</enabled>", "<enabled>no</enabled>", "/ietf-interfaces:interfaces/interface[name='lo']/enabled", ErrorTag.InvalidValue)]
    [InlineData("<description>uplink to the core</description>", "<descr>x</descr>", "/ietf-interfaces:interfaces/interface[name='eth0']/ietf-interfaces:descr", ErrorTag.UnknownElement)]
    [InlineData("<name>lo</name>", "<name>eth0</name>", "/ietf-interfaces:interfaces/interface[name='eth0']", ErrorTag.InvalidValue)]
    [InlineData("<name>lo</name>", "", "/ietf-interfaces:interfaces/interface", ErrorTag.MissingElement)]
    public void An_invalid_xml_document_is_rejected_with_the_path_of_the_offending_node(string from, string to, string path, ErrorTag tag)
    {
        var e = Assert.Throws<DataException>(() => XmlDataReader.Parse(Served.Value, Doc("interfaces.xml").Replace(from, to), Config));
        Assert.Equal(tag, e.Errors[0].Tag);
        Assert.Equal(path, e.Errors[0].Path);
    }

    [Theory]
    [InlineData("\"mtu\":1500", "\"mtu\":\"1500\"", "/ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4/mtu")]
    [InlineData("\"enabled\":true", "\"enabled\":\"true\"", "/ietf-interfaces:interfaces/interface[name='eth0']/enabled")]
    [InlineData("\"type\":\"iana-if-type:ethernetCsmacd\"", "\"type\":\"ethernetCsmacd\"", "/ietf-interfaces:interfaces/interface[name='eth0']/type")]
    public void An_invalid_json_document_is_rejected_with_the_path_of_the_offending_node(string from, string to, string path)
    {
        var json = JsonDataWriter.ToString(XmlDataReader.Parse(Served.Value, Doc("interfaces.xml"), Config), new DataWriteOptions(Indent: false));
        Assert.Contains(from, json);
        var e = Assert.Throws<DataException>(() => JsonDataReader.Parse(Served.Value, json.Replace(from, to), Config));
        Assert.Equal(ErrorTag.InvalidValue, e.Errors[0].Tag);
        Assert.Equal(path, e.Errors[0].Path);
    }

    [Fact]
    public void State_data_is_refused_in_a_configuration_document()
    {
        var xml = "<interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\"><interface><name>e</name><oper-status>up</oper-status></interface></interfaces>";
        var e = Assert.Throws<DataException>(() => XmlDataReader.Parse(Served.Value, xml, Config));
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='e']/oper-status", e.Errors[0].Path);
        Assert.NotNull(XmlDataReader.Parse(Served.Value, xml, new DataParseOptions(DataContent.Data)));
    }

    [Fact]
    public void Edit_operations_are_read_from_xml_and_json_attributes()
    {
        var xml = "<interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\" xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><interface nc:operation=\"delete\"><name>e</name></interface></interfaces>";
        var tree = XmlDataReader.Parse(Served.Value, xml, new DataParseOptions(DataContent.Edit));
        var entry = ((DataInner)tree.Children[0]).Children[0];
        Assert.Equal(EditOperation.Delete, tree.Edit!.Get(entry).Operation);
        var json = "{\"ietf-interfaces:interfaces\":{\"interface\":[{\"@\":{\"ietf-netconf:operation\":\"remove\"},\"name\":\"e\"}]}}";
        var jt = JsonDataReader.Parse(Served.Value, json, new DataParseOptions(DataContent.Edit));
        Assert.Equal(EditOperation.Remove, jt.Edit!.Get(((DataInner)jt.Children[0]).Children[0]).Operation);
    }

    [Fact]
    public void With_defaults_modes_decide_which_default_leaves_are_printed()
    {
        var tree = XmlDataReader.Parse(Served.Value, Doc("interfaces.xml"), Config);
        DataDefaults.Add(tree);
        var explicitMode = XmlDataWriter.ToString(tree, new DataWriteOptions(WithDefaultsMode.Explicit));
        var all = XmlDataWriter.ToString(tree, new DataWriteOptions(WithDefaultsMode.ReportAll));
        var tagged = XmlDataWriter.ToString(tree, new DataWriteOptions(WithDefaultsMode.ReportAllTagged));
        var trim = XmlDataWriter.ToString(tree, new DataWriteOptions(WithDefaultsMode.Trim));
        // ipv6 autoconf create-temporary-addresses defaults to false and was not written.
        Assert.DoesNotContain("create-temporary-addresses", explicitMode);
        Assert.Contains("<create-temporary-addresses>false</create-temporary-addresses>", all);
        Assert.Contains("wd:default=\"true\"", tagged);
        // eth0 wrote enabled=true explicitly: trim drops it because it equals the default.
        Assert.DoesNotContain("<enabled>true</enabled>", trim);
        Assert.Contains("<enabled>true</enabled>", explicitMode);
    }
}
