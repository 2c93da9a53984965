using System.Diagnostics;
using System.Xml.Linq;
using Mgmt.Northbound.Netconf;
using Mgmt.Tests.Shared;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// The real daemon and the real forwarder (<c>mgmt netconf-forward</c>, what sshd's netconf subsystem runs):
/// NETCONF through the daemon's Unix socket, identities from the kernel's peer credentials.
/// </summary>
public sealed class NetconfForwarderTests : IDisposable
{
    private static readonly XNamespace Nc = NetconfNames.BaseNs;
    private readonly string _dir = Directory.CreateTempSubdirectory("netconf-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string State => Path.Combine(_dir, "state");

    private string Socket => Path.Combine(State, "netconf.sock");

    private DaemonProcess StartDaemon()
    {
        var d = new DaemonProcess($"--state-dir \"{State}\" --yang-dir \"{RepoPaths.Yang}\"", "s3cret-admin-pw");
        Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
        Assert.True(File.Exists(Socket), d.Out + d.Err);
        return d;
    }

    private Process Forwarder(string? user)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "mgmt.dll")}\" netconf-forward --socket \"{Socket}\"" + (user is null ? "" : $" --user {user}"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task The_daemons_own_account_gets_a_recovery_session_and_can_name_a_mgmt_user()
    {
        using var d = StartDaemon();
        using (var p = Forwarder(null))
        await using (var c = await NetconfTestClient.ConnectProcessAsync(p))
        {
            Assert.True(c.SessionId > 0);
            var reply = await c.RpcAsync("""
                <edit-config><target><running/></target><config>
                  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
                    <interface><name>eth0</name><type>ianaift:ethernetCsmacd</type></interface></interfaces>
                </config></edit-config>
                """);
            Assert.NotNull(reply.Element(Nc + "ok"));
            Assert.Contains("NETCONF session for root (recovery)", d.Out);
        }
        using (var p = Forwarder("admin"))
        await using (var c = await NetconfTestClient.ConnectProcessAsync(p))
        {
            var data = await c.RpcAsync("<get-config><source><running/></source></get-config>");
            Assert.Equal("eth0", data.Descendants(XName.Get("name", "urn:ietf:params:xml:ns:yang:ietf-interfaces")).Single().Value);
            Assert.Contains("NETCONF session for admin (uid 0)", d.Out);
        }
    }

    [Fact]
    public async Task A_forwarder_naming_an_unknown_user_gets_no_session()
    {
        using var d = StartDaemon();
        using var p = Forwarder("mallory");
        var hello = await p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.Equal("", hello);
        Assert.True(d.WaitForOutput("refused uid"), d.Out);
    }

    [Fact]
    public async Task A_plain_NETCONF_client_on_the_socket_needs_no_header()
    {
        using var d = StartDaemon();
        await using var c = await NetconfTestClient.ConnectSocketAsync(Socket, header: false);
        Assert.True(c.SessionId > 0);
        Assert.NotNull((await c.RpcAsync("<get-config><source><running/></source></get-config>")).Element(Nc + "data"));
        Assert.True(d.WaitForOutput("(recovery)"), d.Out);
    }
}
