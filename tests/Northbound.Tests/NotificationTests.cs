using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>RFC 5277 subscriptions with RFC 6470 config-change events: live, replayed, interleaved with rpcs.</summary>
public sealed class NotificationTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = TestWorld.Schema;
    private static readonly XNamespace Nc = TestWorld.Nc;
    private static readonly XNamespace Notif = "urn:ietf:params:xml:ns:netconf:notification:1.0";
    private static readonly XNamespace Ncn = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications";

    private readonly string _dir = Directory.CreateTempSubdirectory("notifications-").FullName;
    private readonly NetconfServer _server;

    public NotificationTests()
    {
        _server = new NetconfServer(TestWorld.OpenDatastores(_dir, "alice", "bob"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Edit = """
        <edit-config><target><running/></target><config>
          <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
            <interface><name>eth7</name><type>ianaift:ethernetCsmacd</type></interface></interfaces></config></edit-config>
        """;

    [Fact]
    public async Task A_subscriber_receives_the_config_change_of_another_session_and_keeps_sending_rpcs()
    {
        await using var watcher = await NetconfTestClient.ConnectAsync(_server, "alice");
        await using var editor = await NetconfTestClient.ConnectAsync(_server, "bob");
        var caps = watcher.ServerHello.Root!.Descendants(Nc + "capability").Select(c => c.Value).ToList();
        Assert.Contains(NetconfNames.Notification, caps);
        Assert.Contains(NetconfNames.Interleave, caps);
        Assert.NotNull((await editor.RpcAsync(Edit.Replace("eth7", "eth0"))).Element(Nc + "ok")); // the interfaces container exists
        Assert.NotNull((await watcher.RpcAsync("""<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/>""")).Element(Nc + "ok"));
        Assert.NotNull((await editor.RpcAsync(Edit)).Element(Nc + "ok"));

        var n = (await watcher.ReceiveAsync())!;
        Assert.Equal(Notif + "notification", n.Name);
        Assert.NotNull(n.Element(Notif + "eventTime"));
        var change = n.Element(Ncn + "netconf-config-change")!;
        Assert.Equal("bob", change.Element(Ncn + "changed-by")!.Element(Ncn + "username")!.Value);
        Assert.Equal(editor.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture), change.Element(Ncn + "changed-by")!.Element(Ncn + "session-id")!.Value);
        Assert.Equal("running", change.Element(Ncn + "datastore")!.Value);
        var target = change.Elements(Ncn + "edit").Select(e => e.Element(Ncn + "target")!).First();
        Assert.Equal("/ietf-interfaces:interfaces/ietf-interfaces:interface[ietf-interfaces:name='eth7']", target.Value);
        Assert.Equal("urn:ietf:params:xml:ns:yang:ietf-interfaces", target.GetNamespaceOfPrefix("ietf-interfaces")!.NamespaceName);

        // Interleave: the subscribed session still runs operations; a second subscription is refused.
        Assert.NotNull((await watcher.RpcAsync("<get/>")).Element(Nc + "data"));
        Assert.Equal("operation-failed", (await watcher.RpcAsync("""<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/>"""))
            .Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value);
    }

    [Fact]
    public async Task Replay_sends_past_events_then_replay_complete_and_stop_time_ends_the_subscription()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await using (var editor = await NetconfTestClient.ConnectAsync(_server, "bob"))
            Assert.NotNull((await editor.RpcAsync(Edit)).Element(Nc + "ok"));
        await using var late = await NetconfTestClient.ConnectAsync(_server, "alice");
        var start = before.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var stop = DateTimeOffset.UtcNow.AddSeconds(1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        // Only config-change events: the sessions' start and end events are in the log too.
        Assert.NotNull((await late.RpcAsync($"""<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><filter type="subtree"><netconf-config-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"/></filter><startTime>{start}</startTime><stopTime>{stop}</stopTime></create-subscription>""")).Element(Nc + "ok"));
        Assert.NotNull((await late.ReceiveAsync())!.Element(Ncn + "netconf-config-change"));
        Assert.Equal("replayComplete", (await late.ReceiveAsync())!.Elements().Last().Name.LocalName);
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        await using (var editor = await NetconfTestClient.ConnectAsync(_server, "bob"))
            Assert.NotNull((await editor.RpcAsync(Edit.Replace("eth7", "eth8"))).Element(Nc + "ok"));
        Assert.Equal("notificationComplete", (await late.ReceiveAsync())!.Elements().Last().Name.LocalName);

        await using var bad = await NetconfTestClient.ConnectAsync(_server, "alice");
        Assert.Equal("missing-element", (await bad.RpcAsync($"""<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><stopTime>{stop}</stopTime></create-subscription>"""))
            .Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value);
        Assert.Equal("invalid-value", (await bad.RpcAsync("""<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><stream>SYSLOG</stream></create-subscription>"""))
            .Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value);
    }

    [Fact]
    public async Task Session_start_end_kill_and_confirmed_commit_events_are_sent_as_RFC_6470_defines()
    {
        await using var watcher = await NetconfTestClient.ConnectAsync(_server, "alice");
        Assert.NotNull((await watcher.RpcAsync("""<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/>""")).Element(Nc + "ok"));

        var bob = await NetconfTestClient.ConnectAsync(_server, "bob");
        var started = await NextAsync(watcher, "netconf-session-start");
        Assert.Equal(("bob", bob.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (started.Element(Ncn + "username")!.Value, started.Element(Ncn + "session-id")!.Value));

        // A confirmed commit: start with its timeout, then the confirming commit completes it.
        Assert.NotNull((await bob.RpcAsync(Edit.Replace("<running/>", "<candidate/>"))).Element(Nc + "ok"));
        Assert.NotNull((await bob.RpcAsync("<commit><confirmed/><confirm-timeout>120</confirm-timeout></commit>")).Element(Nc + "ok"));
        var begun = await NextAsync(watcher, "netconf-confirmed-commit");
        Assert.Equal(("start", "120", "bob"), (begun.Element(Ncn + "confirm-event")!.Value, begun.Element(Ncn + "timeout")!.Value, begun.Element(Ncn + "username")!.Value));
        Assert.NotNull((await bob.RpcAsync("<commit/>")).Element(Nc + "ok"));
        var done = await NextAsync(watcher, "netconf-confirmed-commit");
        Assert.Equal("complete", done.Element(Ncn + "confirm-event")!.Value);
        Assert.Null(done.Element(Ncn + "timeout"));

        // A timeout carries no session.
        Assert.NotNull((await bob.RpcAsync(Edit.Replace("<running/>", "<candidate/>").Replace("eth7", "eth9"))).Element(Nc + "ok"));
        Assert.NotNull((await bob.RpcAsync("<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>")).Element(Nc + "ok"));
        Assert.Equal("start", (await NextAsync(watcher, "netconf-confirmed-commit")).Element(Ncn + "confirm-event")!.Value);
        var expired = await NextAsync(watcher, "netconf-confirmed-commit");
        Assert.Equal("timeout", expired.Element(Ncn + "confirm-event")!.Value);
        Assert.Null(expired.Element(Ncn + "username"));

        // kill-session: the end names the killer; close-session ends as closed.
        var carol = await NetconfTestClient.ConnectAsync(_server, "alice");
        await NextAsync(watcher, "netconf-session-start");
        Assert.NotNull((await carol.RpcAsync($"<kill-session><session-id>{bob.SessionId}</session-id></kill-session>")).Element(Nc + "ok"));
        var killed = await NextAsync(watcher, "netconf-session-end");
        Assert.Equal((bob.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture), "killed", carol.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (killed.Element(Ncn + "session-id")!.Value, killed.Element(Ncn + "termination-reason")!.Value, killed.Element(Ncn + "killed-by")!.Value));
        Assert.NotNull((await carol.RpcAsync("<close-session/>")).Element(Nc + "ok"));
        var closed = await NextAsync(watcher, "netconf-session-end");
        Assert.Equal(("closed", null), (closed.Element(Ncn + "termination-reason")!.Value, closed.Element(Ncn + "killed-by")));
        await bob.DisposeAsync();
        await carol.DisposeAsync();
    }

    [Fact]
    public async Task Subtree_and_xpath_filters_select_events_by_their_content()
    {
        await using var killedOnly = await NetconfTestClient.ConnectAsync(_server, "alice");
        Assert.NotNull((await killedOnly.RpcAsync("""
            <create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><filter type="subtree">
              <netconf-session-end xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"><termination-reason>killed</termination-reason></netconf-session-end>
            </filter></create-subscription>
            """)).Element(Nc + "ok"));
        await using var bobsOnly = await NetconfTestClient.ConnectAsync(_server, "alice");
        Assert.NotNull((await bobsOnly.RpcAsync("""
            <create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
              <filter type="xpath" xmlns:ncn="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications" select="/ncn:netconf-session-start[ncn:username='bob']"/>
            </create-subscription>
            """)).Element(Nc + "ok"));

        var carol = await NetconfTestClient.ConnectAsync(_server, "alice");
        Assert.NotNull((await carol.RpcAsync("<close-session/>")).Element(Nc + "ok"));
        await carol.DisposeAsync();
        var bob = await NetconfTestClient.ConnectAsync(_server, "bob");
        Assert.NotNull((await killedOnly.RpcAsync($"<kill-session><session-id>{bob.SessionId}</session-id></kill-session>")).Element(Nc + "ok"));
        await bob.DisposeAsync();

        // Only the killed session's end passes the first filter (the closed one and every start do not) ...
        var end = (await killedOnly.ReceiveAsync())!.Element(Ncn + "netconf-session-end")!;
        Assert.Equal(("killed", bob.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture)), (end.Element(Ncn + "termination-reason")!.Value, end.Element(Ncn + "session-id")!.Value));
        // ... and only bob's start the second.
        var start = (await bobsOnly.ReceiveAsync())!.Element(Ncn + "netconf-session-start")!;
        Assert.Equal("bob", start.Element(Ncn + "username")!.Value);
        Assert.NotNull((await bobsOnly.RpcAsync("<get/>")).Element(Nc + "data")); // nothing else was queued before the reply

        await using var fresh = await NetconfTestClient.ConnectAsync(_server, "alice");
        Assert.Equal("invalid-value", (await fresh.RpcAsync("""<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><filter type="xpath" select="/[["/></create-subscription>"""))
            .Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value);
    }

    /// <summary>The next notification of this kind (others, such as config-change, are skipped).</summary>
    private static async Task<XElement> NextAsync(NetconfTestClient client, string name)
    {
        while (true)
        {
            var n = await client.ReceiveAsync() ?? throw new InvalidOperationException($"the session ended before {name}");
            if (n.Element(Ncn + name) is { } e) return e;
        }
    }
}
