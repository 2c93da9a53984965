using System.Text;
using System.Xml.Linq;
using Mgmt.Tests.Shared;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// kill -9 of the real daemon at random moments during the commit of a large edit: after every restart
/// running is wholly the old or wholly the new configuration, never a mix and never unreadable.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private const int Trials = 100;
    private const int Entries = 400;
    private static readonly XNamespace If = "urn:ietf:params:xml:ns:yang:ietf-interfaces";

    private readonly string _dir = Directory.CreateTempSubdirectory("crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Replace(int trial)
    {
        var b = new StringBuilder("""
            <edit-config><target><running/></target><default-operation>replace</default-operation><config>
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
            """);
        for (var i = 0; i < Entries; i++)
            b.Append($"<interface><name>t{trial}-{i}</name><type>ianaift:ethernetCsmacd</type><description>trial {trial} port {i}</description></interface>");
        b.Append("</interfaces></config></edit-config>");
        return b.ToString();
    }

    [Fact]
    public async Task Kill_9_during_commits_leaves_the_old_or_the_new_configuration()
    {
        var state = Path.Combine(_dir, "state");
        var args = $"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\"";
        var socket = Path.Combine(state, "netconf.sock");
        var random = new Random(8341);
        var committed = -1; // the trial whose configuration running holds (-1: none yet)
        var sawOld = 0;
        var sawNew = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            using (var d = new DaemonProcess(args, "crash-admin-pw"))
            {
                Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
                await using (var c = await NetconfTestClient.ConnectSocketAsync(socket))
                {
                    var names = (await c.RpcAsync("<get-config><source><running/></source></get-config>"))
                        .Descendants(If + "name").Select(n => n.Value).ToList();
                    // Wholly one trial's configuration (-1: the empty start): the one before the kill, or the one being committed.
                    var prefixes = names.Select(n => n[..n.IndexOf('-')]).Distinct().ToList();
                    var holder = names.Count == 0 ? -1 : int.Parse(Assert.Single(prefixes)[1..], System.Globalization.CultureInfo.InvariantCulture);
                    if (holder >= 0) Assert.Equal(Entries, names.Count);
                    if (trial == 0) Assert.Equal(-1, holder);
                    else
                    {
                        Assert.True(holder == committed || holder == trial - 1, $"trial {trial}: running holds t{holder}, expected t{committed} or t{trial - 1}");
                        if (holder == trial - 1) sawNew++;
                        else sawOld++;
                    }
                    committed = holder;
                    if (trial == Trials - 1) break;
                    await c.SendRpcAsync(Replace(trial));
                    await Task.Delay(random.Next(0, 120), TestContext.Current.CancellationToken);
                    d.Process.Kill(); // SIGKILL, mid-commit or around it
                    await d.Process.WaitForExitAsync(TestContext.Current.CancellationToken);
                }
            }
        }
        // The kills landed on both sides of the commit point, so both outcomes were really exercised.
        Assert.True(sawOld > 0 && sawNew > 0, $"old {sawOld}, new {sawNew}");
    }
}
