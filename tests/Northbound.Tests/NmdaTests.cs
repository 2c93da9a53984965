using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>RFC 8526 get-data and edit-data over NETCONF.</summary>
public sealed class NmdaTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = TestWorld.Schema;
    private static readonly XNamespace Nc = TestWorld.Nc;
    private static readonly XNamespace If = TestWorld.If;
    private static readonly XNamespace Nmda = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda";
    private const string Ds = "xmlns:ds=\"urn:ietf:params:xml:ns:yang:ietf-datastores\"";

    private readonly string _dir = Directory.CreateTempSubdirectory("nmda-").FullName;
    private readonly NetconfServer _server;

    public NmdaTests()
    {
        _server = new NetconfServer(TestWorld.OpenDatastores(_dir, "admin"));
        _server.Datastores.AddStateProvider(new UpState());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class UpState : Mgmt.Datastore.Operational.IStateProvider
    {
        public void AddState(Mgmt.Yang.Data.DataRoot operational)
        {
            foreach (var list in operational.Children.OfType<Mgmt.Yang.Data.DataInner>().Where(c => c.Name == "interfaces"))
                foreach (var entry in list.Children.OfType<Mgmt.Yang.Data.DataInner>())
                    entry.Add(Mgmt.Yang.Data.DataLeaf.Create(entry.Schema.FindDataChild(entry.Module, "oper-status")!, "up"));
        }
    }

    private static string Get(string body) => $"""<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" {Ds}>{body}</get-data>""";

    [Fact]
    public async Task Edit_data_and_get_data_with_filters_origins_and_depth()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server, "admin");
        var edit = await c.RpcAsync($"""
            <edit-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" {Ds}><datastore>ds:running</datastore><config>
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
                <interface><name>eth0</name><type>ianaift:ethernetCsmacd</type><description>uplink</description></interface></interfaces>
            </config></edit-data>
            """);
        Assert.True(edit.Element(Nc + "ok") is not null, edit.ToString());

        var running = await c.RpcAsync(Get("<datastore>ds:running</datastore>"));
        Assert.Equal("uplink", running.Element(Nmda + "data")!.Descendants(If + "description").Single().Value);
        Assert.Empty(running.Descendants(If + "oper-status"));

        var operational = await c.RpcAsync(Get("<datastore>ds:operational</datastore><with-origin/><with-defaults>report-all</with-defaults>"));
        Assert.Equal("up", operational.Descendants(If + "oper-status").Single().Value);
        XName origin = XName.Get("origin", "urn:ietf:params:xml:ns:yang:ietf-origin");
        Assert.Equal("or:intended", operational.Descendants(If + "interfaces").Single().Attribute(origin)!.Value);
        // enabled was not configured: its default is there, of origin default; what inherits says nothing.
        Assert.Equal("or:default", operational.Descendants(If + "enabled").Single().Attribute(origin)!.Value);
        Assert.Null(operational.Descendants(If + "description").Single().Attribute(origin));
        Assert.Null(operational.Descendants(If + "oper-status").Single().Attribute(origin));

        var defaultsOnly = await c.RpcAsync(Get("<datastore>ds:operational</datastore><origin-filter xmlns:or=\"urn:ietf:params:xml:ns:yang:ietf-origin\">or:default</origin-filter>"));
        Assert.Empty(defaultsOnly.Descendants(If + "description"));
        Assert.Empty(defaultsOnly.Descendants(If + "oper-status"));
        var noDefaults = await c.RpcAsync(Get("<datastore>ds:operational</datastore><negated-origin-filter xmlns:or=\"urn:ietf:params:xml:ns:yang:ietf-origin\">or:default</negated-origin-filter>"));
        Assert.Equal("uplink", noDefaults.Descendants(If + "description").Single().Value);
        Assert.Empty(noDefaults.Descendants(If + "enabled"));
        Assert.Equal("up", noDefaults.Descendants(If + "oper-status").Single().Value);

        var stateOnly = await c.RpcAsync(Get("<datastore>ds:operational</datastore><config-filter>false</config-filter>"));
        Assert.Equal("up", stateOnly.Descendants(If + "oper-status").Single().Value);
        Assert.Equal("eth0", stateOnly.Descendants(If + "name").Single().Value); // the key that leads to it
        Assert.Empty(stateOnly.Descendants(If + "description"));

        var configOnly = await c.RpcAsync(Get("<datastore>ds:operational</datastore><config-filter>true</config-filter>"));
        Assert.Empty(configOnly.Descendants(If + "oper-status"));

        // max-depth 2: the container and its list entries (keys identify them), nothing deeper.
        var shallow = await c.RpcAsync(Get("<datastore>ds:running</datastore><max-depth>2</max-depth>"));
        Assert.True(shallow.Descendants(If + "interface").Count() == 1, shallow.ToString());
        Assert.Equal("eth0", shallow.Descendants(If + "name").Single().Value);
        Assert.Empty(shallow.Descendants(If + "description"));

        var xpath = await c.RpcAsync(Get("<datastore>ds:running</datastore><xpath-filter xmlns:if=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\">/if:interfaces/if:interface/if:description</xpath-filter>"));
        Assert.Equal("uplink", xpath.Descendants(If + "description").Single().Value);
        Assert.Empty(xpath.Descendants(If + "type"));

        var subtree = await c.RpcAsync(Get("<datastore>ds:running</datastore><subtree-filter><interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\"><interface><type/></interface></interfaces></subtree-filter>"));
        Assert.Single(subtree.Descendants(If + "type"));
        Assert.Empty(subtree.Descendants(If + "description"));

        string Tag(XElement r) => r.Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value;
        Assert.Equal("invalid-value", Tag(await c.RpcAsync(Get("<datastore>ds:running</datastore><with-origin/>"))));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync(Get("<datastore>ds:nowhere</datastore>"))));
        Assert.Equal("invalid-value", Tag(await c.RpcAsync($"""<edit-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" {Ds}><datastore>ds:operational</datastore><config/></edit-data>""")));
    }

    [Fact]
    public async Task Lock_unlock_and_validate_name_datastores_by_identity()
    {
        await using var a = await NetconfTestClient.ConnectAsync(_server, "admin");
        const string Nmda = "xmlns:ncds=\"urn:ietf:params:xml:ns:yang:ietf-netconf-nmda\" xmlns:ds=\"urn:ietf:params:xml:ns:yang:ietf-datastores\"";
        Assert.NotNull((await a.RpcAsync($"<lock><target><ncds:datastore {Nmda}>ds:candidate</ncds:datastore></target></lock>")).Element(Nc + "ok"));
        // The candidate is locked now, whichever way the next session names it.
        await using var b = await NetconfTestClient.ConnectAsync(_server, "admin");
        Assert.Equal("lock-denied", (await b.RpcAsync("<lock><target><candidate/></target></lock>")).Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value);
        Assert.NotNull((await a.RpcAsync($"<validate><source><ncds:datastore {Nmda}>ds:running</ncds:datastore></source></validate>")).Element(Nc + "ok"));
        Assert.NotNull((await a.RpcAsync($"<unlock><target><ncds:datastore {Nmda}>ds:candidate</ncds:datastore></target></unlock>")).Element(Nc + "ok"));
        Assert.Equal("invalid-value", (await a.RpcAsync($"<lock><target><ncds:datastore {Nmda}>ds:operational</ncds:datastore></target></lock>"))
            .Element(Nc + "rpc-error")!.Element(Nc + "error-tag")!.Value);
    }
}
