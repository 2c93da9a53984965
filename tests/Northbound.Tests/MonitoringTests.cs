using System.Text;
using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Northbound.Netconf;
using Mgmt.Tests.Shared;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>ietf-netconf-monitoring (RFC 6022) state through &lt;get&gt;: sessions, locks, schemas, statistics.</summary>
public sealed class MonitoringTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = new(() =>
    {
        var b = new SchemaContextBuilder().AddSearchPath(RepoPaths.Yang);
        foreach (var f in Directory.GetFiles(RepoPaths.Yang, "*.yang").Where(f => !File.ReadAllText(f).TrimStart().StartsWith("submodule", StringComparison.Ordinal)))
            b.LoadFile(f);
        // The modules: ours once yang/ has them, otherwise the published ones.
        foreach (var m in new[] { "ietf-netconf-monitoring@2010-10-04", "ietf-yang-library@2019-01-04", "ietf-datastores@2018-02-14" })
            if (!File.Exists(Path.Combine(RepoPaths.Yang, m + ".yang")))
                b.LoadFile(Path.Combine(RepoPaths.Root, "..", "shared", "yang-corpus", m + ".yang"));
        return b.Build();
    });

    private static readonly XNamespace Nc = NetconfNames.BaseNs;
    private static readonly XNamespace Mon = NetconfNames.MonitoringNs;
    private readonly string _dir = Directory.CreateTempSubdirectory("monitoring-").FullName;
    private readonly NetconfServer _server;

    public MonitoringTests()
    {
        var users = UserStore.Open(_dir);
        foreach (var n in new[] { "alice", "bob" }) users.Add(new User(n, ["admin"], null, []));
        _server = new NetconfServer(Datastores.Open(Schema.Value, _dir));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string StateFilter = """<get><filter type="subtree"><netconf-state xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"/></filter></get>""";

    [Fact]
    public async Task Sessions_locks_schemas_and_statistics_are_state_data()
    {
        await using var alice = await NetconfTestClient.ConnectAsync(_server, "alice");
        await using var bob = await NetconfTestClient.ConnectAsync(_server, "bob");
        Assert.NotNull((await alice.RpcAsync("<lock><target><candidate/></target></lock>")).Element(Nc + "ok"));
        await bob.SendRawAsync(Encoding.UTF8.GetBytes("<not-an-rpc/>"));
        Assert.NotNull(await bob.ReceiveAsync());

        var state = (await bob.RpcAsync(StateFilter)).Descendants(Mon + "netconf-state").Single();
        var sessions = state.Element(Mon + "sessions")!.Elements(Mon + "session").ToList();
        Assert.Equal(["alice", "bob"], sessions.Select(s => s.Element(Mon + "username")!.Value).Order());
        var bobs = sessions.Single(s => s.Element(Mon + "username")!.Value == "bob");
        Assert.Equal("1", bobs.Element(Mon + "in-bad-rpcs")!.Value);
        Assert.EndsWith(":netconf-ssh", bobs.Element(Mon + "transport")!.Value);

        var candidate = state.Element(Mon + "datastores")!.Elements(Mon + "datastore").Single(d => d.Element(Mon + "name")!.Value == "candidate");
        Assert.Equal(alice.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            candidate.Descendants(Mon + "locked-by-session").Single().Value);

        Assert.Contains(state.Element(Mon + "schemas")!.Elements(Mon + "schema"),
            s => s.Element(Mon + "identifier")!.Value == "ietf-interfaces" && s.Element(Mon + "version")!.Value == "2018-02-20");
        Assert.Contains(NetconfNames.Candidate, state.Element(Mon + "capabilities")!.Elements(Mon + "capability").Select(c => c.Value));
        var stats = state.Element(Mon + "statistics")!;
        Assert.Equal("2", stats.Element(Mon + "in-sessions")!.Value);
        Assert.True(int.Parse(stats.Element(Mon + "in-rpcs")!.Value, System.Globalization.CultureInfo.InvariantCulture) >= 1); // the lock (this get counts once answered)
        Assert.Equal("1", stats.Element(Mon + "out-rpc-errors")!.Value);
    }

    [Fact]
    public async Task The_yang_library_lists_the_served_modules_and_its_content_id_is_in_the_capability()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server, "alice");
        XNamespace yl = "urn:ietf:params:xml:ns:yang:ietf-yang-library";
        var library = (await c.RpcAsync("""<get><filter type="subtree"><yang-library xmlns="urn:ietf:params:xml:ns:yang:ietf-yang-library"/></filter></get>"""))
            .Descendants(yl + "yang-library").Single();
        var contentId = library.Element(yl + "content-id")!.Value;
        Assert.Contains($"urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&content-id={contentId}",
            c.ServerHello.Root!.Descendants(Nc + "capability").Select(e => e.Value));
        var interfaces = library.Descendants(yl + "module").Single(m => m.Element(yl + "name")!.Value == "ietf-interfaces");
        Assert.Equal("2018-02-20", interfaces.Element(yl + "revision")!.Value);
        Assert.Contains("if-mib", interfaces.Elements(yl + "feature").Select(f => f.Value));
        var routing = library.Descendants(yl + "module").Single(m => m.Element(yl + "name")!.Value == "ietf-ipv6-unicast-routing");
        Assert.Equal("ietf-ipv6-router-advertisements", routing.Element(yl + "submodule")!.Element(yl + "name")!.Value);
        Assert.Equal(5, library.Elements(yl + "datastore").Count());
    }
}
