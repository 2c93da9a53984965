using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Tests.Shared;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Tests;

/// <summary>RFC 8341 access control enforced by the core: rules from running's /nacm, groups, defaults, extensions.</summary>
public sealed class NacmTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = new(() =>
    {
        var b = new SchemaContextBuilder().AddSearchPath(RepoPaths.Yang);
        foreach (var f in Directory.GetFiles(RepoPaths.Yang, "*.yang").Where(f => !File.ReadAllText(f).TrimStart().StartsWith("submodule", StringComparison.Ordinal)))
            b.LoadFile(f);
        // The NACM module: ours once yang/ has it, otherwise the published one from the shared corpus.
        if (!File.Exists(Path.Combine(RepoPaths.Yang, "ietf-netconf-acm@2018-02-14.yang")))
            b.LoadFile(Path.Combine(RepoPaths.Root, "..", "shared", "yang-corpus", "ietf-netconf-acm@2018-02-14.yang"));
        return b.Build();
    });

    private readonly string _dir = Directory.CreateTempSubdirectory("nacm-test-").FullName;
    private readonly Session _admin = new(Session.NextId(), "admin", "netconf");
    private readonly Session _carol = new(Session.NextId(), "carol", "netconf");
    private readonly Session _dave = new(Session.NextId(), "dave", "netconf");

    public NacmTests()
    {
        var users = UserStore.Open(_dir);
        users.Add(new User("admin", ["admin"], null, []));
        users.Add(new User("carol", [], null, []));
        users.Add(new User("dave", ["guests"], null, []));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DataRoot Doc(string xml, DataContent content = DataContent.Edit) => XmlDataReader.Parse(Schema.Value, xml, new DataParseOptions(content));

    private static string Interface(string name, string? description = null) => $"""
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>{name}</name><type>ianaift:ethernetCsmacd</type>{(description is null ? "" : $"<description>{description}</description>")}</interface>
        </interfaces>
        """;

    private static string Xml(DataRoot t) => XmlDataWriter.ToString(t);

    [Fact]
    public void A_new_state_dir_gives_group_admin_everything_and_others_only_the_defaults()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        Assert.Contains("permit-all", ds.Read(DatastoreName.Running, Xml));
        ds.Edit(_admin, DatastoreName.Running, Doc(Interface("eth0", "uplink")));

        // write-default is deny: carol (no groups) may read (read-default permit) but not write.
        var before = ds.Read(DatastoreName.Running, Xml);
        var e = Assert.Throws<DataException>(() => ds.Edit(_carol, DatastoreName.Running, Doc(Interface("eth1"))));
        Assert.Equal(ErrorTag.AccessDenied, e.Errors[0].Tag);
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='eth1']", e.Errors[0].Path);
        Assert.Equal(before, ds.Read(DatastoreName.Running, Xml));
        Assert.Equal(1, ds.Nacm.DeniedDataWrites);
        var seen = Xml(ds.ReadFor(_carol, DatastoreName.Running, t => t.DeepClone()));
        Assert.Contains("eth0", seen);
        // /nacm is default-deny-all: not even visible to carol.
        Assert.DoesNotContain("rule-list", seen);

        Assert.True(ds.Nacm.MayExec(_carol, "ietf-netconf", "get-config"));
        Assert.False(ds.Nacm.MayExec(_carol, "ietf-netconf", "kill-session", defaultDenyAll: true));
        Assert.True(ds.Nacm.MayExec(_carol, "ietf-netconf", "close-session", defaultDenyAll: true));
        Assert.True(ds.Nacm.MayExec(_admin, "ietf-netconf", "kill-session", defaultDenyAll: true));
        Assert.Equal(1, ds.Nacm.DeniedOperations);
    }

    [Fact]
    public void Rules_written_by_the_admin_take_effect_with_the_commit_first_match_wins()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        ds.Edit(_admin, DatastoreName.Running, Doc(Interface("eth0", "secret uplink")));
        ds.Edit(_admin, DatastoreName.Running, Doc("""
            <nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm">
              <groups><group><name>ops</name><user-name>carol</user-name></group></groups>
              <rule-list><name>ops</name><group>ops</group>
                <rule><name>hide-descriptions</name><module-name>ietf-interfaces</module-name>
                  <path xmlns:if="urn:ietf:params:xml:ns:yang:ietf-interfaces">/if:interfaces/if:interface/if:description</path>
                  <access-operations>read</access-operations><action>deny</action></rule>
                <rule><name>lab-ports</name><module-name>ietf-interfaces</module-name>
                  <path>/ietf-interfaces:interfaces/interface[name='lab1']</path>
                  <access-operations>create update delete</access-operations><action>permit</action></rule>
              </rule-list>
            </nacm>
            """));

        // carol is in group ops through /nacm/groups: lab1 yes, lab2 no.
        ds.Edit(_carol, DatastoreName.Running, Doc(Interface("lab1")));
        Assert.Equal(ErrorTag.AccessDenied, Assert.Throws<DataException>(() => ds.Edit(_carol, DatastoreName.Running, Doc(Interface("lab2")))).Errors[0].Tag);
        // Descriptions are pruned from what carol reads, silently; the rest stays.
        var seen = Xml(ds.ReadFor(_carol, DatastoreName.Running, t => t.DeepClone()));
        Assert.Contains("lab1", seen);
        Assert.Contains("eth0", seen);
        Assert.DoesNotContain("secret uplink", seen);
        // dave is in no rule-list's group: defaults only.
        Assert.Contains("secret uplink", Xml(ds.ReadFor(_dave, DatastoreName.Running, t => t.DeepClone())));
        Assert.Throws<DataException>(() => ds.Edit(_dave, DatastoreName.Running, Doc(Interface("lab1", "dave was here"))));

        // Turning NACM off lets everyone write; the recovery session never is restricted.
        ds.Edit(Session.Daemon, DatastoreName.Running, Doc("""<nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm"><enable-nacm>false</enable-nacm></nacm>"""));
        ds.Edit(_dave, DatastoreName.Running, Doc(Interface("dave1")));
    }

    [Fact]
    public void Deleting_needs_delete_access_and_a_denied_delete_changes_nothing()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        ds.Edit(_admin, DatastoreName.Running, Doc(Interface("eth0")));
        ds.Edit(_admin, DatastoreName.Running, Doc("""
            <nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm">
              <rule-list><name>all-users</name><group>*</group>
                <rule><name>update-only</name><module-name>ietf-interfaces</module-name><access-operations>update create</access-operations><action>permit</action></rule>
              </rule-list>
            </nacm>
            """));
        var before = ds.Read(DatastoreName.Running, Xml);
        var delete = Doc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
              <interface nc:operation="delete"><name>eth0</name></interface></interfaces>
            """);
        Assert.Equal(ErrorTag.AccessDenied, Assert.Throws<DataException>(() => ds.Edit(_dave, DatastoreName.Running, delete)).Errors[0].Tag);
        Assert.Equal(before, ds.Read(DatastoreName.Running, Xml));
        ds.Edit(_dave, DatastoreName.Running, Doc(Interface("eth0", "changed by dave")));
        Assert.Contains("changed by dave", ds.Read(DatastoreName.Running, Xml));
    }

    [Fact]
    public void Notification_rules_filter_what_a_group_receives()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        Assert.True(ds.Nacm.MayNotify(_carol, "ietf-netconf-notifications", "netconf-config-change"));
        ds.Edit(_admin, DatastoreName.Running, Doc("""
            <nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm">
              <rule-list><name>everyone</name><group>*</group>
                <rule><name>no-config-events</name><module-name>ietf-netconf-notifications</module-name>
                  <notification-name>netconf-config-change</notification-name><access-operations>read</access-operations><action>deny</action></rule>
              </rule-list>
            </nacm>
            """));
        Assert.False(ds.Nacm.MayNotify(_carol, "ietf-netconf-notifications", "netconf-config-change"));
        Assert.True(ds.Nacm.MayNotify(_carol, "ietf-netconf-notifications", "netconf-session-start"));
        Assert.Equal(1, ds.Nacm.DeniedNotifications);
        // The admin's rule-list comes first and permits everything.
        Assert.True(ds.Nacm.MayNotify(_admin, "ietf-netconf-notifications", "netconf-config-change"));
    }

    [Fact]
    public void The_denied_counters_are_state_under_nacm()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        Assert.Throws<DataException>(() => ds.Edit(_carol, DatastoreName.Running, Doc(Interface("x"))));
        var state = Xml(ds.ReadOperational(_admin, t => t.DeepClone()));
        Assert.Contains("<denied-data-writes>1</denied-data-writes>", state);
        Assert.Contains("<denied-operations>0</denied-operations>", state);
        // carol cannot read /nacm at all (default-deny-all), counters included.
        Assert.DoesNotContain("denied-data-writes", Xml(ds.ReadOperational(_carol, t => t.DeepClone())));
    }
}
