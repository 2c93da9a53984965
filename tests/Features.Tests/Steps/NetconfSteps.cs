using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Features.Tests.Runner;
using Mgmt.Northbound.Netconf;
using Mgmt.Northbound.Tests;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Features.Tests.Steps;

/// <summary>Controller workflows against the NETCONF server (in memory, the real session layer and datastores).</summary>
[Binding]
public sealed class NetconfSteps(ScenarioContext ctx) : IAsyncDisposable
{
    private static readonly Lazy<SchemaContext> Served = new(() => SchemaContextBuilder.FromDirectory(Path.Combine(FeatureTests.RepoRoot, "yang")));
    private static readonly XNamespace Nc = NetconfNames.BaseNs;
    private static readonly XNamespace If = "urn:ietf:params:xml:ns:yang:ietf-interfaces";

    private readonly Dictionary<string, NetconfTestClient> _sessions = new(StringComparer.Ordinal);
    private NetconfServer? _server;
    private XElement? _reply;

    private NetconfServer Server => _server ?? throw new InvalidOperationException("no NETCONF server: use 'Given a NETCONF server with the served modules'");

    [Given("a NETCONF server with the served modules")]
    public void ServerWithServedModules() => _server = new NetconfServer(Datastores.Open(Served.Value, Path.Combine(ctx.WorkDir, "state")));

    [Given("user {string} in group {string}")]
    public void User(string name, string group) =>
        UserStore.Open(Path.Combine(ctx.WorkDir, "state")).Add(new User(name, [group], null, []));

    [Given("session {string} of user {string}")]
    public async Task Session(string session, string user) => _sessions[session] = await NetconfTestClient.ConnectAsync(Server, user);

    [When("{string} sends:")]
    public async Task Sends(string session, string rpc) => _reply = await _sessions[session].RpcAsync(rpc);

    [When("{string} sends {string}")]
    public async Task SendsShort(string session, string rpc) => _reply = await _sessions[session].RpcAsync(rpc);

    [When("{string} closes its session")]
    public async Task Closes(string session)
    {
        await _sessions[session].DisposeAsync();
        _sessions.Remove(session);
    }

    [When("{int} seconds pass")]
    public Task Wait(int seconds) => Task.Delay(TimeSpan.FromSeconds(seconds));

    [Then("the reply is ok")]
    public void ReplyOk() => Assert.True(_reply?.Element(Nc + "ok") is not null, _reply?.ToString());

    [Then("the reply is an rpc-error with error-tag {string}")]
    public void ReplyError(string tag) =>
        Assert.Equal(tag, _reply?.Element(Nc + "rpc-error")?.Element(Nc + "error-tag")?.Value);

    [Then("the rpc-error has error-path {string}")]
    public void ErrorPath(string path) =>
        Assert.Equal(path, _reply?.Element(Nc + "rpc-error")?.Element(Nc + "error-path")?.Value);

    [Then("{word} holds the interfaces {string}")]
    public void Holds(string datastore, string names)
    {
        var ds = Server.Datastores;
        Assert.True(Mgmt.Datastore.DatastoreNames.TryParse(datastore, out var name), datastore);
        var actual = ds.Read(name, t => t.Children.Where(c => c.Name == "interfaces").SelectMany(c => c is Mgmt.Yang.Data.DataInner i ? i.Children.OfType<Mgmt.Yang.Data.DataInner>() : [])
            .Select(e => e.LeafValue("name")!).Order().ToArray());
        var expected = names.Length == 0 ? [] : names.Split(',', StringSplitOptions.TrimEntries).Order().ToArray();
        Assert.Equal(expected, actual);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _sessions.Values) await s.DisposeAsync();
    }
}
