using Mgmt.Datastore.Persistence;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Datastore.Tests;

/// <summary>
/// A snapshot the daemon wrote is sealed with its hash and the schema's content-id: loading it again skips value
/// parsing and validation and must give exactly the tree that was saved; any other file is validated in full.
/// </summary>
public sealed class ConfigFileSealTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = new(() => SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang));

    private readonly string _dir = Directory.CreateTempSubdirectory("seal-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Config = """
        <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
          <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
            <interface>
              <name>eth0</name><description>"quoted" &amp; &lt;tagged&gt; ünïcode</description>
              <type>ianaift:ethernetCsmacd</type><enabled>false</enabled>
              <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><mtu>1400</mtu>
                <address><ip>192.0.2.1</ip><prefix-length>24</prefix-length></address></ipv4>
              <ipv6 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
                <address><ip>2001:db8::1</ip><prefix-length>64</prefix-length></address></ipv6>
            </interface>
            <interface><name>lo</name><type>ianaift:softwareLoopback</type></interface>
          </interfaces>
          <acls xmlns="urn:ietf:params:xml:ns:yang:ietf-access-control-list">
            <acl><name>a1</name><type>ipv4-acl-type</type>
              <aces><ace><name>e1</name>
                <matches><ipv4><protocol>6</protocol><source-ipv4-network>10.0.0.0/8</source-ipv4-network></ipv4>
                  <tcp><destination-port><lower-port>80</lower-port><upper-port>90</upper-port></destination-port></tcp></matches>
                <actions><forwarding>accept</forwarding></actions></ace></aces></acl>
          </acls>
        </config>
        """;

    // prefix-length 99 is out of range for IPv4 (0..32).
    private static string BadPrefix(string json) => System.Text.RegularExpressions.Regex.Replace(json, "(\"prefix-length\":\\s*)24", "${1}99");

    private static string Print(DataRoot t) => XmlDataWriter.ToString(t, new DataWriteOptions(WithDefaults: WithDefaultsMode.ReportAllTagged));

    private DataRoot Saved(out ConfigFile file)
    {
        var tree = XmlDataReader.Parse(Schema.Value, Config, new DataParseOptions(DataContent.Config));
        Assert.Empty(DataValidator.Validate(tree, new ValidationOptions(ConfigOnly: true)));
        file = new ConfigFile(Path.Combine(_dir, "running.json"), journaled: true);
        file.Save(tree);
        return tree;
    }

    [Fact]
    public void A_sealed_snapshot_loads_as_the_tree_that_was_saved()
    {
        var original = Saved(out var file);
        Assert.True(File.Exists(file.SealPath));
        var trusted = file.Load(Schema.Value);
        Assert.Equal(Print(original), Print(trusted));
        // Without the seal the file is parsed and validated in full, and gives the same tree (and is sealed again).
        File.Delete(file.SealPath);
        Assert.Equal(Print(original), Print(new ConfigFile(file.Path, journaled: true).Load(Schema.Value)));
        Assert.True(File.Exists(file.SealPath));
    }

    [Fact]
    public void A_snapshot_changed_after_its_seal_is_validated_in_full()
    {
        Saved(out var file);
        var text = File.ReadAllText(file.Path);
        File.WriteAllText(file.Path, BadPrefix(text));
        Assert.NotEqual(text, File.ReadAllText(file.Path));
        var e = Assert.Throws<InvalidDataException>(() => new ConfigFile(file.Path, journaled: true).Load(Schema.Value));
        Assert.Contains("prefix-length", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_snapshot_under_a_seal_of_this_schema_gets_canonical_values()
    {
        // The load parses a file sealed for this schema taking values as written, while its hash is computed; a
        // hash that does not match must throw that parse away. A value spelled other than canonically shows it.
        Saved(out var file);
        var text = File.ReadAllText(file.Path);
        Assert.Contains("\"2001:db8::1\"", text, StringComparison.Ordinal);
        File.WriteAllText(file.Path, text.Replace("\"2001:db8::1\"", "\"2001:DB8:0:0::1\"", StringComparison.Ordinal));
        var loaded = new ConfigFile(file.Path, journaled: true).Load(Schema.Value);
        var printed = Print(loaded);
        Assert.Contains("<ip>2001:db8::1</ip>", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("DB8", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void A_seal_for_another_schema_is_not_trusted()
    {
        Saved(out var file);
        var seal = File.ReadAllLines(file.SealPath);
        Assert.Equal(Schema.Value.ContentId, seal[2]);
        // A snapshot with a bad value under a seal naming another schema: validated, so refused.
        var text = BadPrefix(File.ReadAllText(file.Path));
        File.WriteAllText(file.Path, text);
        File.WriteAllText(file.SealPath, $"mgmt-seal 1\n{ConfigJournal.HashOf(System.Text.Encoding.UTF8.GetBytes(text))}\nsomething-else\n{seal[3]}\n");
        Assert.Throws<InvalidDataException>(() => new ConfigFile(file.Path, journaled: true).Load(Schema.Value));
        // The same seal with the right content-id is believed: proof that the seal is what skips validation.
        File.WriteAllText(file.SealPath, $"mgmt-seal 1\n{ConfigJournal.HashOf(System.Text.Encoding.UTF8.GetBytes(text))}\n{Schema.Value.ContentId}\n{seal[3]}\n");
        new ConfigFile(file.Path, journaled: true).Load(Schema.Value);
    }

    [Fact]
    public void The_content_id_is_stable_for_the_same_schema_and_changes_with_a_feature()
    {
        var again = SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang);
        Assert.Equal(Schema.Value.ContentId, again.ContentId);
        var without = SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang, [("ietf-netconf", "url")]);
        Assert.NotEqual(Schema.Value.ContentId, without.ContentId);
    }
}
