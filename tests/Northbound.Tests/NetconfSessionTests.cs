using System.Text;
using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>The NETCONF session layer in memory: hello, framing, rpc/rpc-reply, operations, errors, locks.</summary>
public sealed class NetconfSessionTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = TestWorld.Schema;
    private static readonly XNamespace Nc = TestWorld.Nc;
    private static readonly XNamespace If = TestWorld.If;

    private readonly string _dir = Directory.CreateTempSubdirectory("netconf-test-").FullName;
    private readonly NetconfServer _server;

    public NetconfSessionTests()
    {
        _server = new NetconfServer(TestWorld.OpenDatastores(_dir, "alice", "bob", "admin"), new NetconfOptions { MaxMessageBytes = 1 << 20 });
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string EditInterface(string name, string target = "running", string? op = null) => $"""
        <edit-config><target><{target}/></target><config>
          <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
            <interface{(op is null ? "" : $" xmlns:nc=\"{NetconfNames.BaseNs}\" nc:operation=\"{op}\"")}><name>{name}</name><type>ianaift:ethernetCsmacd</type><description>port {name}</description></interface>
          </interfaces></config></edit-config>
        """;

    private static void AssertOk(XElement reply) => Assert.True(reply.Element(Nc + "ok") is not null, reply.ToString());

    private static XElement Error(XElement reply) => reply.Element(Nc + "rpc-error") ?? throw new Xunit.Sdk.XunitException("no rpc-error in " + reply);

    private static string Tag(XElement reply) => Error(reply).Element(Nc + "error-tag")!.Value;

    private static string[] InterfaceNames(XElement reply) =>
        reply.Descendants(If + "interface").Select(i => i.Element(If + "name")!.Value).Order().ToArray();

    [Fact]
    public async Task Hello_announces_capabilities_and_a_session_id_and_base11_switches_to_chunked_framing()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        var caps = c.ServerHello.Root!.Element(Nc + "capabilities")!.Elements(Nc + "capability").Select(e => e.Value).ToList();
        Assert.Contains(NetconfNames.Base10, caps);
        Assert.Contains(NetconfNames.Base11, caps);
        Assert.Contains(NetconfNames.Candidate, caps);
        Assert.Contains(NetconfNames.WritableRunning, caps);
        // A module capability per YANG 1.0 module (RFC 6020 §5.6.4); YANG 1.1 modules only through the yang library.
        Assert.Contains("urn:ietf:params:xml:ns:yang:ietf-inet-types?module=ietf-inet-types&revision=2025-12-22", caps);
        Assert.DoesNotContain(caps, cap => cap.Contains("module=ietf-interfaces", StringComparison.Ordinal));
        // ietf-netconf is announced with the features served: all but url, which is not implemented.
        Assert.Contains("urn:ietf:params:xml:ns:netconf:base:1.0?module=ietf-netconf&revision=2011-06-01&features=candidate,confirmed-commit,rollback-on-error,startup,validate,writable-running,xpath", caps);
        // RFC 5277's create-subscription, as the YANG module "notifications" (a YANG 1.0 module: a capability of its own).
        Assert.Contains("urn:ietf:params:xml:ns:netconf:notification:1.0?module=notifications&revision=2008-07-14", caps);
        Assert.True(c.SessionId > 0);
        AssertOk(await c.RpcAsync("<lock><target><running/></target></lock>")); // a chunked reply parsed by the chunked reader
    }

    [Fact]
    public async Task A_base10_client_keeps_end_of_message_framing()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server, base11: false);
        AssertOk(await c.RpcAsync(EditInterface("eth0")));
        Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
    }

    [Fact]
    public async Task A_client_hello_with_a_session_id_or_without_base_capability_ends_the_session()
    {
        await using (var c = await NetconfTestClient.OpenAsync(_server))
        {
            await c.SendRawAsync(Encoding.UTF8.GetBytes($"<hello xmlns=\"{NetconfNames.BaseNs}\"><capabilities><capability>{NetconfNames.Base10}</capability></capabilities><session-id>4</session-id></hello>"));
            Assert.Null(await c.ReceiveRawAsync());
        }
        await using (var c = await NetconfTestClient.OpenAsync(_server))
        {
            await c.SendRawAsync(Encoding.UTF8.GetBytes($"<hello xmlns=\"{NetconfNames.BaseNs}\"><capabilities><capability>urn:example</capability></capabilities></hello>"));
            Assert.Null(await c.ReceiveRawAsync());
        }
    }

    [Fact]
    public async Task Every_rpc_attribute_is_echoed_and_a_missing_message_id_is_a_missing_attribute_error()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        // RFC 6241 §4.2's example: an extra attribute in its own namespace comes back unchanged.
        await c.SendRawAsync(Encoding.UTF8.GetBytes($"""<rpc message-id="101" xmlns="{NetconfNames.BaseNs}" xmlns:ex="http://example.net/content/1.0" ex:user-id="fred"><get/></rpc>"""));
        var reply = (await c.ReceiveAsync())!;
        Assert.Equal("101", reply.Attribute("message-id")!.Value);
        Assert.Equal("fred", reply.Attribute(XName.Get("user-id", "http://example.net/content/1.0"))!.Value);
        Assert.NotNull(reply.Element(Nc + "data"));

        await c.SendRawAsync(Encoding.UTF8.GetBytes($"<rpc xmlns=\"{NetconfNames.BaseNs}\"><get/></rpc>"));
        reply = (await c.ReceiveAsync())!;
        Assert.Equal("missing-attribute", Tag(reply));
        Assert.Equal("message-id", Error(reply).Element(Nc + "error-info")!.Element(Nc + "bad-attribute")!.Value);
        Assert.Equal("rpc", Error(reply).Element(Nc + "error-info")!.Element(Nc + "bad-element")!.Value);
    }

    [Fact]
    public async Task Edits_are_validated_with_the_error_path_and_leave_running_unchanged_on_error()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        AssertOk(await c.RpcAsync(EditInterface("eth0")));
        var reply = await c.RpcAsync("""
            <edit-config><target><running/></target><config>
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth1</name></interface></interfaces>
            </config></edit-config>
            """);
        Assert.Equal("missing-element", Tag(reply));
        Assert.Equal("application", Error(reply).Element(Nc + "error-type")!.Value);
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='eth1']/type", Error(reply).Element(Nc + "error-path")!.Value);

        Assert.Equal("data-exists", Tag(await c.RpcAsync(EditInterface("eth0", op: "create"))));
        Assert.Equal("data-missing", Tag(await c.RpcAsync(EditInterface("eth7", op: "delete"))));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync("<edit-config><target><running/></target><default-operation>fuse</default-operation><config/></edit-config>")));
        Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
    }

    [Fact]
    public async Task Continue_on_error_applies_the_good_parts_and_reports_each_bad_one_while_the_other_options_apply_nothing()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        AssertOk(await c.RpcAsync(EditInterface("eth0")));
        string Edit(string option) => $"""
            <edit-config><target><running/></target><error-option>{option}</error-option><config>
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type"
                          xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
                <interface><name>good1</name><type>ianaift:ethernetCsmacd</type></interface>
                <interface><name>untyped</name></interface>
                <interface nc:operation="create"><name>eth0</name><type>ianaift:ethernetCsmacd</type></interface>
                <interface><name>good2</name><type>ianaift:softwareLoopback</type></interface>
              </interfaces>
            </config></edit-config>
            """;
        foreach (var allOrNothing in new[] { "stop-on-error", "rollback-on-error" })
        {
            Assert.NotNull(Error(await c.RpcAsync(Edit(allOrNothing))));
            Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
        }

        var reply = await c.RpcAsync(Edit("continue-on-error"));
        Assert.Null(reply.Element(Nc + "ok"));
        var errors = reply.Elements(Nc + "rpc-error").ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Element(Nc + "error-tag")!.Value == "missing-element"
            && e.Element(Nc + "error-path")!.Value == "/ietf-interfaces:interfaces/interface[name='untyped']/type");
        Assert.Contains(errors, e => e.Element(Nc + "error-tag")!.Value == "data-exists");
        Assert.Equal(["eth0", "good1", "good2"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")).Order());

        // Parts that do not even read (an unknown element, a bad value) are reported too, and the rest goes on.
        var unreadable = await c.RpcAsync("""
            <edit-config><target><running/></target><error-option>continue-on-error</error-option><config>
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
                <interface><name>good3</name><type>ianaift:ethernetCsmacd</type></interface>
                <interface><name>odd</name><type>ianaift:ethernetCsmacd</type><colour>red</colour></interface>
                <interface><name>bad-value</name><type>ianaift:ethernetCsmacd</type><enabled>maybe</enabled></interface>
                <interface><name>good4</name><type>ianaift:ethernetCsmacd</type></interface>
              </interfaces>
            </config></edit-config>
            """);
        var parseErrors = unreadable.Elements(Nc + "rpc-error").ToList();
        Assert.Equal(["invalid-value", "unknown-element"], parseErrors.Select(e => e.Element(Nc + "error-tag")!.Value).Order());
        Assert.Equal(["eth0", "good1", "good2", "good3", "good4"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")).Order());
    }

    [Fact]
    public async Task Locks_contend_between_sessions_and_die_with_their_session()
    {
        await using var a = await NetconfTestClient.ConnectAsync(_server, "alice");
        await using var b = await NetconfTestClient.ConnectAsync(_server, "bob");
        AssertOk(await a.RpcAsync("<lock><target><running/></target></lock>"));
        var denied = await b.RpcAsync("<lock><target><running/></target></lock>");
        Assert.Equal("lock-denied", Tag(denied));
        Assert.Equal(a.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture), Error(denied).Element(Nc + "error-info")!.Element(Nc + "session-id")!.Value);
        Assert.Equal("in-use", Tag(await b.RpcAsync(EditInterface("eth0"))));
        AssertOk(await a.RpcAsync(EditInterface("eth0")));

        AssertOk(await a.RpcAsync("<close-session/>"));
        Assert.Null(await a.ReceiveRawAsync()); // the server closed the session
        await a.ServerTask.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        AssertOk(await b.RpcAsync("<lock><target><running/></target></lock>"));
    }

    [Fact]
    public async Task Kill_session_ends_another_session_and_releases_its_locks()
    {
        await using var a = await NetconfTestClient.ConnectAsync(_server, "alice");
        await using var b = await NetconfTestClient.ConnectAsync(_server, "admin");
        AssertOk(await a.RpcAsync("<lock><target><candidate/></target></lock>"));
        Assert.Equal("invalid-value", Tag(await b.RpcAsync($"<kill-session><session-id>{b.SessionId}</session-id></kill-session>")));
        Assert.Equal("invalid-value", Tag(await b.RpcAsync("<kill-session><session-id>999999</session-id></kill-session>")));
        AssertOk(await b.RpcAsync($"<kill-session><session-id>{a.SessionId}</session-id></kill-session>"));
        Assert.Null(await a.ReceiveRawAsync());
        AssertOk(await b.RpcAsync("<lock><target><candidate/></target></lock>"));
    }

    [Fact]
    public async Task The_controller_workflow_lock_edit_candidate_validate_commit_unlock()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        AssertOk(await c.RpcAsync("<lock><target><running/></target></lock>"));
        AssertOk(await c.RpcAsync("<lock><target><candidate/></target></lock>"));
        AssertOk(await c.RpcAsync(EditInterface("eth0", "candidate")));
        Assert.Empty(InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
        AssertOk(await c.RpcAsync("<validate><source><candidate/></source></validate>"));
        AssertOk(await c.RpcAsync("<commit/>"));
        Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
        AssertOk(await c.RpcAsync(EditInterface("eth1", "candidate")));
        AssertOk(await c.RpcAsync("<discard-changes/>"));
        Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><candidate/></source></get-config>")));
        AssertOk(await c.RpcAsync("<unlock><target><candidate/></target></unlock>"));
        AssertOk(await c.RpcAsync("<unlock><target><running/></target></unlock>"));
        Assert.Equal("operation-failed", Tag(await c.RpcAsync("<unlock><target><running/></target></unlock>")));
    }

    [Fact]
    public async Task Copy_config_saves_startup_and_delete_config_refuses_running()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        AssertOk(await c.RpcAsync(EditInterface("eth0")));
        AssertOk(await c.RpcAsync("<copy-config><target><startup/></target><source><running/></source></copy-config>"));
        Assert.True(File.Exists(Path.Combine(_dir, Datastores.StartupFile)));
        Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><startup/></source></get-config>")));
        Assert.Equal("operation-not-supported", Tag(await c.RpcAsync("<delete-config><target><running/></target></delete-config>")));
        AssertOk(await c.RpcAsync("<delete-config><target><startup/></target></delete-config>"));
        Assert.Empty(InterfaceNames(await c.RpcAsync("<get-config><source><startup/></source></get-config>")));
    }

    [Fact]
    public async Task Subtree_filters_select_by_containment_content_match_and_selection_nodes()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        foreach (var n in new[] { "eth0", "eth1", "eth2" }) AssertOk(await c.RpcAsync(EditInterface(n)));

        // Content match on the key: that entry, whole.
        var one = await c.RpcAsync("""
            <get-config><source><running/></source><filter type="subtree">
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth1</name></interface></interfaces>
            </filter></get-config>
            """);
        Assert.Equal(["eth1"], InterfaceNames(one));
        Assert.Equal("port eth1", one.Descendants(If + "description").Single().Value);

        // Selection nodes: only the named leaves of every entry (keys always included).
        var names = await c.RpcAsync("""
            <get-config><source><running/></source><filter type="subtree">
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><type/></interface></interfaces>
            </filter></get-config>
            """);
        Assert.Equal(["eth0", "eth1", "eth2"], InterfaceNames(names));
        Assert.Empty(names.Descendants(If + "description"));
        Assert.Equal(3, names.Descendants(If + "type").Count());

        // A selection of the key alone: every entry with just its key.
        var keys = await c.RpcAsync("""
            <get-config><source><running/></source><filter type="subtree">
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name/></interface></interfaces>
            </filter></get-config>
            """);
        Assert.Equal(["eth0", "eth1", "eth2"], InterfaceNames(keys));
        Assert.Empty(keys.Descendants(If + "type"));

        // A content match that holds for no entry selects nothing; an empty filter selects nothing.
        Assert.Empty(InterfaceNames(await c.RpcAsync("""
            <get-config><source><running/></source><filter type="subtree">
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth9</name></interface></interfaces>
            </filter></get-config>
            """)));
        Assert.False((await c.RpcAsync("<get><filter type=\"subtree\"/></get>")).Element(Nc + "data")!.HasElements);
        // A namespace that is not the node's does not match.
        Assert.Empty(InterfaceNames(await c.RpcAsync("""<get><filter type="subtree"><interfaces xmlns="urn:example:other"/></filter></get>""")));
        Assert.Equal("bad-attribute", Tag(await c.RpcAsync("""<get><filter type="regex"/></get>""")));
    }

    [Fact]
    public async Task Hostile_input_gets_an_error_or_a_closed_session_and_the_datastore_stays_as_it_was()
    {
        await using (var c = await NetconfTestClient.ConnectAsync(_server))
        {
            AssertOk(await c.RpcAsync(EditInterface("eth0")));
            // A DTD with entity expansion is refused, the session stays usable.
            await c.SendRawAsync(Encoding.UTF8.GetBytes($"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rpc message-id="1" xmlns="{NetconfNames.BaseNs}"><get/></rpc>"""));
            Assert.Equal("malformed-message", Tag((await c.ReceiveAsync())!));
            // Deep nesting.
            var deep = string.Concat(Enumerable.Repeat("<a>", 2000)) + string.Concat(Enumerable.Repeat("</a>", 2000));
            await c.SendRawAsync(Encoding.UTF8.GetBytes($"<rpc message-id=\"2\" xmlns=\"{NetconfNames.BaseNs}\"><get>{deep}</get></rpc>"));
            Assert.Equal("malformed-message", Tag((await c.ReceiveAsync())!));
            Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
            // A message over the limit: too-big, then the session ends.
            await c.SendBytesAsync(Encoding.ASCII.GetBytes($"\n#{2 << 20}\n"));
            var tooBig = (await c.ReceiveAsync())!;
            Assert.Equal("too-big", Tag(tooBig));
            Assert.Null(await c.ReceiveRawAsync());
        }
        await using (var c = await NetconfTestClient.ConnectAsync(_server))
        {
            // A broken chunk header ends the session.
            await c.SendBytesAsync("\n#x\nabc"u8.ToArray());
            Assert.Null(await c.ReceiveRawAsync());
        }
        await using (var c = await NetconfTestClient.ConnectAsync(_server))
        {
            // An unterminated chunk: the peer goes away mid-message, the server just ends the session.
            await c.SendBytesAsync("\n#100\n<rpc"u8.ToArray());
        }
        await using (var c = await NetconfTestClient.ConnectAsync(_server))
            Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
        Assert.Equal(0, _server.SessionCount);
    }

    [Fact]
    public async Task Access_control_denies_writes_and_default_deny_operations_with_access_denied()
    {
        Mgmt.Datastore.Users.UserStore.Open(_dir).Add(new Mgmt.Datastore.Users.User("carol", [], null, []));
        await using var admin = await NetconfTestClient.ConnectAsync(_server, "admin");
        await using var carol = await NetconfTestClient.ConnectAsync(_server, "carol");
        AssertOk(await admin.RpcAsync(EditInterface("eth0")));
        var denied = await carol.RpcAsync(EditInterface("eth1"));
        Assert.Equal("access-denied", Tag(denied));
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='eth1']", Error(denied).Element(Nc + "error-path")!.Value);
        Assert.Equal("access-denied", Tag(await carol.RpcAsync($"<kill-session><session-id>{admin.SessionId}</session-id></kill-session>")));
        Assert.Equal("access-denied", Tag(await carol.RpcAsync("<delete-config><target><startup/></target></delete-config>")));
        Assert.Equal(["eth0"], InterfaceNames(await carol.RpcAsync("<get-config><source><running/></source></get-config>")));
        AssertOk(await carol.RpcAsync("<close-session/>"));
    }

    [Fact]
    public async Task XPath_filters_select_nodes_with_their_ancestors_and_keys()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        foreach (var n in new[] { "eth0", "eth1", "eth2" }) AssertOk(await c.RpcAsync(EditInterface(n)));
        var one = await c.RpcAsync("""
            <get-config><source><running/></source>
              <filter type="xpath" xmlns:if="urn:ietf:params:xml:ns:yang:ietf-interfaces" select="/if:interfaces/if:interface[if:name='eth1']/if:description"/>
            </get-config>
            """);
        Assert.Equal(["eth1"], InterfaceNames(one));
        Assert.Equal("port eth1", one.Descendants(If + "description").Single().Value);
        Assert.Empty(one.Descendants(If + "type"));
        var all = await c.RpcAsync("""<get-config><source><running/></source><filter type="xpath" xmlns:if="urn:ietf:params:xml:ns:yang:ietf-interfaces" select="/if:interfaces/if:interface[starts-with(if:name, 'eth')]"/></get-config>""");
        Assert.Equal(["eth0", "eth1", "eth2"], InterfaceNames(all));
        Assert.Equal(3, all.Descendants(If + "type").Count());
        Assert.Equal("invalid-value", Tag(await c.RpcAsync("""<get><filter type="xpath" select="count(/*)"/></get>""")));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync("""<get><filter type="xpath" select="/if:interfaces["/></get>""")));
    }

    [Fact]
    public async Task Module_rpcs_are_dispatched_with_validated_input_and_their_output_in_the_reply()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server, "admin");
        AssertOk(await c.RpcAsync(EditInterface("eth0")));
        var first = _server.Datastores.History.List()[^1].Id;
        AssertOk(await c.RpcAsync(EditInterface("eth1")));
        var reply = await c.RpcAsync($"""<rollback xmlns="urn:mgmt:yang:mgmt-commits"><commit-id>{first}</commit-id><comment>undo eth1</comment></rollback>""");
        XNamespace mc = "urn:mgmt:yang:mgmt-commits";
        Assert.Equal(_server.Datastores.History.List()[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture), reply.Element(mc + "commit-id")?.Value);
        Assert.Equal(["eth0"], InterfaceNames(await c.RpcAsync("<get-config><source><running/></source></get-config>")));
        Assert.Equal("missing-element", Tag(await c.RpcAsync("""<rollback xmlns="urn:mgmt:yang:mgmt-commits"/>""")));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync("""<rollback xmlns="urn:mgmt:yang:mgmt-commits"><commit-id>not-a-number</commit-id></rollback>""")));
        Assert.Equal("operation-not-supported", Tag(await c.RpcAsync("""<reboot xmlns="urn:example:system"/>""")));
    }

    [Fact]
    public async Task With_defaults_modes_report_defaults_as_RFC_6243_says()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        AssertOk(await c.RpcAsync(EditInterface("eth0")));
        XNamespace wd = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults";
        async Task<XElement> Get(string mode) => (await c.RpcAsync($"""
            <get-config><source><running/></source><with-defaults xmlns="{wd.NamespaceName}">{mode}</with-defaults></get-config>
            """)).Descendants(If + "interface").Single();
        // enabled has the default true (RFC 8343) and was not set.
        Assert.Null((await Get("explicit")).Element(If + "enabled"));
        Assert.Equal("true", (await Get("report-all")).Element(If + "enabled")!.Value);
        var tagged = (await Get("report-all-tagged")).Element(If + "enabled")!;
        Assert.Equal("true", tagged.Attribute(XName.Get("default", "urn:ietf:params:xml:ns:netconf:default:1.0"))?.Value);
        Assert.Null((await Get("trim")).Element(If + "enabled"));
        // Running does not store this default (no constraint reads it): report-all adds it before filtering, so a
        // subtree filter selecting it and get-data of running find it too.
        var selected = (await c.RpcAsync($"""
            <get-config><source><running/></source><filter><interfaces xmlns="{If.NamespaceName}"><interface><enabled/></interface></interfaces></filter>
            <with-defaults xmlns="{wd.NamespaceName}">report-all</with-defaults></get-config>
            """)).Descendants(If + "interface").Single();
        Assert.Equal(["name", "enabled"], selected.Elements().Select(e => e.Name.LocalName));
        XNamespace nmda = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda";
        var data = await c.RpcAsync($"""
            <get-data xmlns="{nmda.NamespaceName}" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores"><datastore>ds:running</datastore><with-defaults>report-all</with-defaults></get-data>
            """);
        Assert.Equal("true", data.Descendants(If + "interface").Single().Element(If + "enabled")!.Value);
        // A value set explicitly to the default: shown by explicit, hidden by trim.
        AssertOk(await c.RpcAsync(EditInterface("eth0").Replace("</description>", "</description><enabled>true</enabled>")));
        Assert.NotNull((await Get("explicit")).Element(If + "enabled"));
        Assert.Null((await Get("trim")).Element(If + "enabled"));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync($"""<get><with-defaults xmlns="{wd.NamespaceName}">everything</with-defaults></get>""")));
    }

    [Fact]
    public async Task Get_schema_returns_the_text_of_a_served_module()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        XNamespace mon = NetconfNames.MonitoringNs;
        var reply = await c.RpcAsync($"""<get-schema xmlns="{mon.NamespaceName}"><identifier>ietf-interfaces</identifier><version>2018-02-20</version><format>yang</format></get-schema>""");
        var text = reply.Element(mon + "data")!.Value;
        Assert.Equal(File.ReadAllText(Path.Combine(Mgmt.Tests.Shared.RepoPaths.Yang, "ietf-interfaces@2018-02-20.yang")), text);
        var sub = await c.RpcAsync($"""<get-schema xmlns="{mon.NamespaceName}"><identifier>ietf-ipv6-router-advertisements</identifier></get-schema>""");
        Assert.StartsWith("submodule ietf-ipv6-router-advertisements", sub.Element(mon + "data")!.Value.TrimStart().Split('\n').First(l => l.StartsWith("submodule", StringComparison.Ordinal)));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync($"""<get-schema xmlns="{mon.NamespaceName}"><identifier>no-such-module</identifier></get-schema>""")));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync($"""<get-schema xmlns="{mon.NamespaceName}"><identifier>ietf-interfaces</identifier><format>xsd</format></get-schema>""")));
    }

    private sealed class OperStatus : Mgmt.Datastore.Operational.IStateProvider
    {
        public void AddState(Mgmt.Yang.Data.DataRoot operational)
        {
            foreach (var list in operational.Children.OfType<Mgmt.Yang.Data.DataInner>().Where(c => c.Name == "interfaces"))
                foreach (var entry in list.Children.OfType<Mgmt.Yang.Data.DataInner>())
                    entry.Add(Mgmt.Yang.Data.DataLeaf.Create(entry.Schema.FindDataChild(entry.Module, "oper-status")!, "up"));
        }
    }

    [Fact]
    public async Task Get_merges_state_from_providers_and_get_config_does_not()
    {
        _server.Datastores.AddStateProvider(new OperStatus());
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        AssertOk(await c.RpcAsync(EditInterface("eth0")));
        Assert.Equal("up", (await c.RpcAsync("<get/>")).Descendants(If + "oper-status").Single().Value);
        Assert.Empty((await c.RpcAsync("<get-config><source><running/></source></get-config>")).Descendants(If + "oper-status"));
        // Filters apply to state too.
        var filtered = await c.RpcAsync("""<get><filter type="subtree"><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><oper-status/></interface></interfaces></filter></get>""");
        Assert.Equal("up", filtered.Descendants(If + "oper-status").Single().Value);
        Assert.Empty(filtered.Descendants(If + "type"));
    }
}
