using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

using static Mgmt.Dataplane.Tests.HostCommands;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// An IPv6 VIP in NAT mode with real servers, over Linux network namespaces: a client namespace (fd78:1::2) and
/// three server namespaces (fd78:1N::2, each running <c>python3 -m http.server</c> on port 8080 serving a file "who"
/// that names it), on veth pairs whose other ends the dataplane owns. The VIP [fd78:100::100]:80 is only the
/// dataplane's; its addresses are fd78:N::1 on each link (found by neighbor discovery both ways). Needs root
/// (<see cref="LbNamespaceFixture"/>).
/// </summary>
public sealed class LoadBalancer6NamespaceTests : LbNamespaceFixture
{
    public LoadBalancer6NamespaceTests() : base("mglb6")
    {
        Link(C, "c", "fd78:1::2/64", "fd78:1::1");
        for (var n = 1; n <= 3; n++)
        {
            Link(S[n - 1], $"s{n}", $"fd78:1{n}::2/64", $"fd78:1{n}::1");
            var dir = Directory.CreateDirectory(Path.Combine(Root, $"s{n}")).FullName;
            File.WriteAllText(Path.Combine(dir, "who"), $"s{n}");
            ServerProcesses.Add(HttpServer(S[n - 1], $"fd78:1{n}::2", 8080, dir));
        }
        foreach (var (name, net) in new[] { ("c", "fd78:1") }.Concat(Enumerable.Range(1, 3).Select(n => ($"s{n}", $"fd78:1{n}"))))
        {
            var port = new AfPacketPort(name, R);
            Dp.CreateInterface(name, port, port.Mac);
            Dp.AddAddress6(name, Ip6.Parse($"{net}::1"), 64);
            Dp.SetAdminUp(name, true);
        }
        Dp.Start();
        for (var n = 1; n <= 3; n++) Assert.Equal(0, HttpGetLength(C, $"http://[fd78:1{n}::2]:8080/who").Code);
    }

    private const string Url = "http://[fd78:100::100]/who";

    private static LbConfig Servers(params int[] servers) => new()
    {
        Vips = [new LbVip(Ip6.Parse("fd78:100::100"), 128, LbMode.Nat, [.. servers.Select(n => new LbServer(Ip6.Parse($"fd78:1{n}::2")))], 6, 80, TargetPort: 8080)],
    };

    [Fact]
    public void Connections_to_an_ipv6_vip_spread_over_the_servers_answer_from_the_vip_and_are_refused_without_servers()
    {
        Dp.SetLoadBalancer(Servers(1, 2, 3));
        var answers = Who(24, Url);
        Assert.All(answers, a => Assert.Matches("^s[123]$", a)); // every answer came back (the return path is translated)
        Assert.True(answers.Distinct().Count() >= 2, string.Join(' ', answers));
        Assert.Equal(24, Dp.LbCounters.Flows);
        // s2 removed: new connections go to s1 and s3 only.
        Dp.SetLoadBalancer(Servers(1, 3));
        Assert.All(Who(10, Url), a => Assert.Matches("^s[13]$", a));
        // No server takes new flows: refused at once (ICMPv6 port unreachable: ECONNREFUSED).
        Dp.SetLoadBalancer(Servers(1) with { Vips = [Servers(1).Vips[0] with { Servers = [new LbServer(Ip6.Parse("fd78:11::2"), 0)] }] });
        var refused = Assert.Single(Who(1, Url));
        Assert.Contains("refused", refused);
    }
}
