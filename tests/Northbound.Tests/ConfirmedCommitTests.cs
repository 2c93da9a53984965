using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>RFC 6241 §8.4 confirmed commit over NETCONF sessions: timeout, confirmation, session loss, persist, cancel.</summary>
public sealed class ConfirmedCommitTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = TestWorld.Schema;
    private static readonly XNamespace Nc = TestWorld.Nc;
    private static readonly XNamespace If = TestWorld.If;

    private readonly string _dir = Directory.CreateTempSubdirectory("confirmed-commit-").FullName;
    private readonly Datastores _ds;
    private readonly NetconfServer _server;

    public ConfirmedCommitTests()
    {
        _ds = TestWorld.OpenDatastores(_dir, "alice", "bob", "admin");
        _server = new NetconfServer(_ds);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string EditCandidate(string name) => $"""
        <edit-config><target><candidate/></target><config>
          <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
            <interface><name>{name}</name><type>ianaift:ethernetCsmacd</type></interface></interfaces></config></edit-config>
        """;

    private static void AssertOk(XElement reply) => Assert.True(reply.Element(Nc + "ok") is not null, reply.ToString());

    private static string Tag(XElement reply) => reply.Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value;

    private string[] Running() => _ds.Read(Mgmt.Datastore.DatastoreName.Running, t =>
        t.Children.Where(c => c.Name == "interfaces").SelectMany(c => c is Mgmt.Yang.Data.DataInner i ? i.Children.OfType<Mgmt.Yang.Data.DataInner>() : [])
            .Select(e => e.LeafValue("name")!).Order().ToArray());

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.True(condition());
    }

    [Fact]
    public async Task Without_a_confirming_commit_running_goes_back_after_the_timeout()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        Assert.Contains(NetconfNames.ConfirmedCommit11, c.ServerHello.Root!.Descendants(Nc + "capability").Select(e => e.Value));
        AssertOk(await c.RpcAsync(EditCandidate("keep")));
        AssertOk(await c.RpcAsync("<commit/>"));
        AssertOk(await c.RpcAsync(EditCandidate("trial")));
        AssertOk(await c.RpcAsync("<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>"));
        Assert.Equal(["keep", "trial"], Running());
        Assert.True(_ds.ConfirmedCommitPending);
        await Eventually(() => !_ds.ConfirmedCommitPending);
        Assert.Equal(["keep"], Running());
    }

    [Fact]
    public async Task A_confirming_commit_keeps_the_change()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        AssertOk(await c.RpcAsync(EditCandidate("trial")));
        AssertOk(await c.RpcAsync("<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>"));
        AssertOk(await c.RpcAsync("<commit/>"));
        Assert.False(_ds.ConfirmedCommitPending);
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        Assert.Equal(["trial"], Running());
    }

    [Fact]
    public async Task Losing_the_session_rolls_back_and_another_session_cannot_confirm()
    {
        await using var other = await NetconfTestClient.ConnectAsync(_server, "bob");
        await using (var c = await NetconfTestClient.ConnectAsync(_server))
        {
            AssertOk(await c.RpcAsync(EditCandidate("trial")));
            AssertOk(await c.RpcAsync("<commit><confirmed/></commit>"));
            Assert.Equal("invalid-value", Tag(await other.RpcAsync("<commit/>")));
            Assert.Equal(["trial"], Running());
        }
        await Eventually(() => !_ds.ConfirmedCommitPending);
        Assert.Empty(Running());
    }

    [Fact]
    public async Task With_persist_the_session_may_end_and_any_session_confirms_with_the_persist_id()
    {
        await using (var c = await NetconfTestClient.ConnectAsync(_server))
        {
            AssertOk(await c.RpcAsync(EditCandidate("trial")));
            AssertOk(await c.RpcAsync("<commit><confirmed/><persist>change-42</persist></commit>"));
        }
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.True(_ds.ConfirmedCommitPending);
        await using var other = await NetconfTestClient.ConnectAsync(_server, "bob");
        Assert.Equal("invalid-value", Tag(await other.RpcAsync("<commit><persist-id>wrong</persist-id></commit>")));
        AssertOk(await other.RpcAsync("<commit><persist-id>change-42</persist-id></commit>"));
        Assert.False(_ds.ConfirmedCommitPending);
        Assert.Equal(["trial"], Running());
    }

    [Fact]
    public async Task Cancel_commit_rolls_back_at_once()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server);
        Assert.Equal("operation-failed", Tag(await c.RpcAsync("<cancel-commit/>")));
        AssertOk(await c.RpcAsync(EditCandidate("trial")));
        AssertOk(await c.RpcAsync("<commit><confirmed/><confirm-timeout>300</confirm-timeout></commit>"));
        AssertOk(await c.RpcAsync("<cancel-commit/>"));
        Assert.False(_ds.ConfirmedCommitPending);
        Assert.Empty(Running());
        Assert.Equal("invalid-value", Tag(await c.RpcAsync("<commit><confirmed/><confirm-timeout>0</confirm-timeout></commit>")));
    }
}
