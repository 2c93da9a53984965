using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// RPCs and actions of any loaded module reach their registered handlers (RFC 7950 §7.14, §7.15; the action
/// element of §7.15.2): input and output validated, the action's node must exist, access control on the
/// action's path.
/// </summary>
public sealed class ActionTests : IDisposable
{
    private const string ExampleNs = "urn:mgmt:test:example-ops";

    private static readonly Lazy<SchemaContext> Schema = new(() =>
    {
        var b = new SchemaContextBuilder().AddSearchPath(Mgmt.Tests.Shared.RepoPaths.Yang);
        foreach (var f in Directory.GetFiles(Mgmt.Tests.Shared.RepoPaths.Yang, "*.yang"))
            if (!File.ReadLines(f).Take(5).Any(l => l.StartsWith("submodule ", StringComparison.Ordinal))) b.LoadFile(f);
        b.LoadText("""
            module example-ops {
              yang-version 1.1;
              namespace "urn:mgmt:test:example-ops";
              prefix ex;
              import ietf-interfaces { prefix if; }
              augment "/if:interfaces/if:interface" {
                action reset {
                  input { leaf delay { type uint8 { range "0..60"; } default 0; } }
                  output { leaf finished-at { type string; mandatory true; } }
                }
              }
              rpc add { input { leaf a { type int32; mandatory true; } leaf b { type int32; mandatory true; } } output { leaf sum { type int32; mandatory true; } } }
            }
            """, "example-ops.yang");
        return b.Build();
    });

    private static readonly XNamespace Nc = TestWorld.Nc;
    private readonly string _dir = Directory.CreateTempSubdirectory("actions-").FullName;
    private readonly NetconfServer _server;
    private readonly List<string> _resets = [];

    public ActionTests()
    {
        var users = UserStore.Open(_dir);
        users.Add(new User("admin", ["admin"], null, []));
        users.Add(new User("guest", ["guests"], null, []));
        var ds = Datastores.Open(Schema.Value, _dir);
        ds.Rpcs.RegisterAction("/ietf-interfaces:interfaces/interface/example-ops:reset", call =>
        {
            _resets.Add($"{call.Target!.LeafValue("name")} after {call.Input.LeafValue("delay")}");
            var leaf = call.Operation.Output.FindDataChild(call.Operation.Module, "finished-at")!;
            if (call.Target!.LeafValue("name") != "broken") call.Output.Add(DataLeaf.Create(leaf, "now"));
        });
        ds.Rpcs.Register("example-ops", "add", call =>
        {
            var sum = int.Parse(call.Input.LeafValue("a")!, System.Globalization.CultureInfo.InvariantCulture) + int.Parse(call.Input.LeafValue("b")!, System.Globalization.CultureInfo.InvariantCulture);
            call.Output.Add(DataLeaf.Create(call.Operation.Output.FindDataChild(call.Operation.Module, "sum")!, sum.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });
        _server = new NetconfServer(ds);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Reset(string name, string input = "") => $"""
        <action xmlns="urn:ietf:params:xml:ns:yang:1">
          <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>{name}</name>
            <reset xmlns="{ExampleNs}">{input}</reset></interface></interfaces>
        </action>
        """;

    private static string Tag(XElement reply) => reply.Element(Nc + "rpc-error")?.Element(Nc + "error-tag")?.Value ?? "(ok)";

    [Fact]
    public async Task An_action_runs_on_an_existing_node_with_its_input_defaults_and_answers_its_output()
    {
        await using var c = await NetconfTestClient.ConnectAsync(_server, "admin");
        foreach (var name in new[] { "eth0", "broken" })
            Assert.NotNull((await c.RpcAsync($"""
                <edit-config><target><running/></target><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
                <interface><name>{name}</name><type>ianaift:ethernetCsmacd</type></interface></interfaces></config></edit-config>
                """)).Element(Nc + "ok"));

        var reply = await c.RpcAsync(Reset("eth0", "<delay>5</delay>"));
        Assert.Equal("now", reply.Element(XName.Get("finished-at", ExampleNs))?.Value);
        Assert.NotNull(await c.RpcAsync(Reset("eth0")));
        Assert.Equal(["eth0 after 5", "eth0 after 0"], _resets);

        var missing = await c.RpcAsync(Reset("eth9"));
        Assert.Equal("data-missing", Tag(missing));
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='eth9']", missing.Element(Nc + "rpc-error")!.Element(Nc + "error-path")!.Value);
        Assert.Equal("invalid-value", Tag(await c.RpcAsync(Reset("eth0", "<delay>99</delay>"))));
        // The handler's output lacks a mandatory leaf: the server says so instead of sending it.
        Assert.Equal("operation-failed", Tag(await c.RpcAsync(Reset("broken"))));
        Assert.Equal(3, _resets.Count);
    }

    [Fact]
    public async Task An_rpc_of_a_loaded_module_answers_a_validated_output_and_actions_obey_access_control()
    {
        await using var admin = await NetconfTestClient.ConnectAsync(_server, "admin");
        var sum = await admin.RpcAsync($"""<add xmlns="{ExampleNs}"><a>2</a><b>40</b></add>""");
        Assert.Equal("42", sum.Element(XName.Get("sum", ExampleNs))?.Value);
        Assert.Equal("missing-element", Tag(await admin.RpcAsync($"""<add xmlns="{ExampleNs}"><a>2</a></add>""")));
        Assert.NotNull((await admin.RpcAsync("""
            <edit-config><target><running/></target><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
            <interface><name>eth0</name><type>ianaift:ethernetCsmacd</type></interface></interfaces></config></edit-config>
            """)).Element(Nc + "ok"));
        // A rule-list for group guests that denies exec of the action's path.
        Assert.NotNull((await admin.RpcAsync("""
            <edit-config><target><running/></target><config><nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm">
              <rule-list><name>guests</name><group>guests</group>
                <rule><name>no-reset</name><path xmlns:if="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ex="urn:mgmt:test:example-ops">/if:interfaces/if:interface/ex:reset</path>
                  <access-operations>exec</access-operations><action>deny</action></rule>
              </rule-list></nacm></config></edit-config>
            """)).Element(Nc + "ok"));
        await using var guest = await NetconfTestClient.ConnectAsync(_server, "guest");
        Assert.Equal("access-denied", Tag(await guest.RpcAsync(Reset("eth0"))));
        Assert.Empty(_resets);
        Assert.Equal("(ok)", Tag(await admin.RpcAsync(Reset("eth0"))));
    }
}
