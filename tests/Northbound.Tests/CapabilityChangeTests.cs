using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// RFC 6470 netconf-capability-change and RFC 8525 yang-library-update: a server started over a state dir with
/// other modules than the run before begins its event stream with them, so replaying subscribers learn of it.
/// </summary>
public sealed class CapabilityChangeTests : IDisposable
{
    private static readonly XNamespace Nc = TestWorld.Nc;
    private static readonly XNamespace Ncn = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications";
    private static readonly XNamespace YangLib = "urn:ietf:params:xml:ns:yang:ietf-yang-library";

    private readonly string _dir = Directory.CreateTempSubdirectory("capability-change-").FullName;
    private readonly string _yang = Directory.CreateTempSubdirectory("capability-change-yang-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Directory.Delete(_yang, recursive: true);
    }

    private const string Subscribe = """
        <create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><filter type="subtree">
          <netconf-capability-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"/>
          <yang-library-update xmlns="urn:ietf:params:xml:ns:yang:ietf-yang-library"/>
        </filter><startTime>2000-01-01T00:00:00Z</startTime></create-subscription>
        """;

    /// <summary>The notifications replayed to a new subscriber, up to replayComplete.</summary>
    private static async Task<List<XElement>> ReplayedAsync(NetconfServer server)
    {
        await using var client = await NetconfTestClient.ConnectAsync(server, "alice");
        Assert.NotNull((await client.RpcAsync(Subscribe)).Element(Nc + "ok"));
        var events = new List<XElement>();
        while (await client.ReceiveAsync() is { } n && n.Elements().Last().Name.LocalName != "replayComplete")
            events.Add(n.Elements().Last());
        return events;
    }

    [Fact]
    public async Task A_restart_with_another_module_begins_the_stream_with_the_change()
    {
        var first = new NetconfServer(TestWorld.OpenDatastores(_dir, "alice"));
        Assert.Empty(await ReplayedAsync(first)); // a new state dir: nothing to compare with

        // The same modules again: nothing changed.
        Assert.Empty(await ReplayedAsync(new NetconfServer(Datastores.Open(TestWorld.Schema.Value, _dir))));

        // A YANG 1.0 module added to the YANG dir: a capability of its own, and a new YANG library content-id.
        foreach (var f in Directory.GetFiles(Mgmt.Tests.Shared.RepoPaths.Yang, "*.yang")) File.Copy(f, Path.Combine(_yang, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(_yang, "acme-extra.yang"), """
            module acme-extra { namespace "urn:acme:extra"; prefix ax; revision 2026-11-28; container extra { leaf note { type string; } } }
            """);
        var other = SchemaContextBuilder.FromDirectory(_yang, NetconfServer.UnsupportedFeatures);
        var second = new NetconfServer(Datastores.Open(other, _dir));
        var events = await ReplayedAsync(second);
        Assert.Equal(2, events.Count);

        var change = events[0];
        Assert.Equal(Ncn + "netconf-capability-change", change.Name);
        Assert.NotNull(change.Element(Ncn + "changed-by")!.Element(Ncn + "server"));
        Assert.Equal(["urn:acme:extra?module=acme-extra&revision=2026-11-28"], change.Elements(Ncn + "added-capability").Select(e => e.Value));
        Assert.Empty(change.Elements(Ncn + "deleted-capability"));
        var library = Assert.Single(change.Elements(Ncn + "modified-capability")).Value;
        Assert.Equal($"urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&content-id={other.ContentId}", library);
        Assert.Contains(library, second.Capabilities);

        Assert.Equal(YangLib + "yang-library-update", events[1].Name);
        Assert.Equal(other.ContentId, events[1].Element(YangLib + "content-id")!.Value);
        Assert.NotEqual(TestWorld.Schema.Value.ContentId, other.ContentId);

        // And back: the module's capability is deleted.
        var third = new NetconfServer(Datastores.Open(TestWorld.Schema.Value, _dir));
        var back = (await ReplayedAsync(third))[0];
        Assert.Equal(["urn:acme:extra?module=acme-extra&revision=2026-11-28"], back.Elements(Ncn + "deleted-capability").Select(e => e.Value));
        Assert.Empty(back.Elements(Ncn + "added-capability"));
    }

    [Fact]
    public void Capabilities_with_the_same_base_and_other_parameters_are_modified()
    {
        var time = DateTimeOffset.UtcNow;
        Assert.Null(CapabilityChanges.Compare(["urn:a?module=a&revision=1", "urn:b"], ["urn:b", "urn:a?module=a&revision=1"], time));
        var change = CapabilityChanges.Compare(
            ["urn:a?module=a&revision=1", "urn:b", "urn:c?module=c&features=f1,f2"],
            ["urn:a?module=a&revision=2", "urn:c?module=c&features=f1", "urn:d"], time)!;
        Assert.Equal(["urn:d"], change.Added);
        Assert.Equal(["urn:b"], change.Deleted);
        Assert.Equal(["urn:a?module=a&revision=2", "urn:c?module=c&features=f1"], change.Modified);
        Assert.Null(change.ChangedBy);
    }
}
