using System.Diagnostics;
using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

using static Mgmt.Dataplane.Tests.HostCommands;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// The load balancer in NAT mode with real servers, over Linux network namespaces: a client namespace (10.78.1.2)
/// and three server namespaces (10.78.1N.2, each running <c>python3 -m http.server</c> on port 8080 serving a file
/// "who" that names it), each on a veth pair whose other end the dataplane owns in namespace R. The VIP
/// 10.78.100.100 TCP 80 is only the dataplane's. Needs root (CI runs as root).
/// </summary>
public sealed class LoadBalancerNamespaceTests : LbNamespaceFixture
{
    private const int ServerPort = 8080;
    private static readonly uint Vip = Ip4.Parse("10.78.100.100");

    public LoadBalancerNamespaceTests() : base("mglb")
    {
        Link(C, "c", "10.78.1.2/24", "10.78.1.1");
        for (var n = 1; n <= 3; n++)
        {
            Link(S[n - 1], $"s{n}", $"10.78.1{n}.2/24", $"10.78.1{n}.1");
            var dir = Directory.CreateDirectory(Path.Combine(Root, $"s{n}")).FullName;
            File.WriteAllText(Path.Combine(dir, "who"), $"s{n}");
            ServerProcesses.Add(KeepAliveServer(S[n - 1], $"10.78.1{n}.2", dir));
        }
        foreach (var (name, net) in new[] { ("c", "10.78.1") }.Concat(Enumerable.Range(1, 3).Select(n => ($"s{n}", $"10.78.1{n}"))))
        {
            var port = new AfPacketPort(name, R);
            Dp.CreateInterface(name, port, port.Mac);
            Dp.AddAddress(name, Ip4.Parse($"{net}.1"), 24);
            Dp.SetAdminUp(name, true);
        }
        Dp.Start();
        // Every server answers directly through the dataplane before the VIP exists.
        for (var n = 1; n <= 3; n++) Assert.Equal(0, HttpGetLength(C, $"http://10.78.1{n}.2:{ServerPort}/who").Code);
    }

    // python3's http.server speaking HTTP/1.1, so that a connection carries several requests (its default, HTTP/1.0,
    // closes each after one answer).
    private static Process KeepAliveServer(string ns, string address, string directory)
    {
        var script = "import functools,http.server\n"
            + "class H(http.server.SimpleHTTPRequestHandler): protocol_version = 'HTTP/1.1'\n"
            + $"http.server.ThreadingHTTPServer(('{address}', {ServerPort}), functools.partial(H, directory='{directory}')).serve_forever()";
        return Process.Start(new ProcessStartInfo("ip", $"netns exec {ns} python3 -c \"{script}\"") { RedirectStandardOutput = true, RedirectStandardError = true })!;
    }

    private const string Url = "http://10.78.100.100/who";

    private static LbConfig Servers(params int[] servers) => new()
    {
        Vips = [LbVip.V4(Vip, LbMode.Nat, [.. servers.Select(n => LbServer.V4(Ip4.Parse($"10.78.1{n}.2")))], 6, 80, targetPort: ServerPort)],
    };

    [Fact]
    public void Connections_to_the_vip_spread_over_every_server_and_the_answers_come_back_from_the_vip()
    {
        Dp.SetLoadBalancer(Servers(1, 2, 3));
        var answers = Who(30, Url);
        Assert.All(answers, a => Assert.Matches("^s[123]$", a)); // the client got every answer (the return path is translated)
        Assert.Equal(3, answers.Distinct().Count());
        Assert.Equal(30, Dp.LbCounters.Flows);
        // Server s2 removed: new connections go to s1 and s3 only.
        Dp.SetLoadBalancer(Servers(1, 3));
        Assert.All(Who(15, Url), a => Assert.Matches("^s[13]$", a));
    }

    [Fact]
    public void An_established_connection_keeps_its_server_when_servers_are_added_and_removed()
    {
        Dp.SetLoadBalancer(Servers(1, 2));
        // One keep-alive connection asks three times; between its requests the server set changes.
        var go = Path.Combine(Root, "go");
        var script = $"import http.client,os,time\nc = http.client.HTTPConnection('10.78.100.100', 80, timeout=5)\nfor i in range(3):\n  c.request('GET', '/who'); r = c.getresponse(); print(r.read().decode(), c.sock.getsockname()[1], flush=True)\n  while i < 2 and not os.path.exists('{go}{{}}'.format(i)): time.sleep(0.05)";
        using var client = Process.Start(new ProcessStartInfo("ip", $"netns exec {C} python3 -c \"{script}\"") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string? first;
        int other;
        try
        {
            first = client.StandardOutput.ReadLine();
            Assert.Matches(@"^s[12] \d+$", first); // the server, and the connection's local port
            Dp.SetLoadBalancer(Servers(1, 2, 3)); // a server added: established connections stay where they are
            File.WriteAllText(go + "0", "");
            Assert.Equal(first, client.StandardOutput.ReadLine());
            other = first!.StartsWith("s1") ? 2 : 1;
            Dp.SetLoadBalancer(Servers(other, 3)); // its server removed: it keeps its flows until they end
            File.WriteAllText(go + "1", "");
            Assert.Equal(first, client.StandardOutput.ReadLine());
            Assert.True(client.WaitForExit(10_000));
            Assert.True(client.ExitCode == 0, client.StandardError.ReadToEnd());
        }
        finally
        {
            if (!client.HasExited) client.Kill(entireProcessTree: true);
        }
        // New connections see only the servers configured now.
        Assert.All(Who(12, Url), a => Assert.Contains(a, new[] { $"s{other}", "s3" }));
    }

    [Fact]
    public void A_service_answers_on_its_cluster_ip_and_on_the_node_port()
    {
        Dp.SetServices([new Service("who", Ip4.Parse("10.96.0.10"), [new ServicePort(6, 80, ServerPort, NodePort: 30080)],
            [.. Enumerable.Range(1, 3).Select(n => new ServiceBackend(Ip4.Parse($"10.78.1{n}.2")))])], [Ip4.Parse("10.78.1.1")]);
        var cluster = Who(12, "http://10.96.0.10/who");
        Assert.All(cluster, a => Assert.Matches("^s[123]$", a));
        Assert.True(cluster.Distinct().Count() > 1, string.Join(' ', cluster));
        Assert.All(Who(6, "http://10.78.1.1:30080/who"), a => Assert.Matches("^s[123]$", a));
    }

    [Fact]
    public void With_two_level_dsr_the_servers_answer_the_client_directly()
    {
        // Each server holds the VIP 10.78.100.101 on its loopback and serves on it; the load balancer sends the
        // client's packets to the servers in IP in IPv4, which the dataplane takes off on the servers' links.
        var dsr = new List<Process>();
        try
        {
            for (var n = 1; n <= 3; n++)
            {
                Ip($"-n {S[n - 1]} addr add 10.78.100.101/32 dev lo");
                dsr.Add(KeepAliveServer(S[n - 1], "10.78.100.101", Path.Combine(Root, $"s{n}")));
                Dp.SetDsrDecap($"s{n}", true);
            }
            Dp.SetLoadBalancer(new LbConfig
            {
                Ip4Source = Ip4.Parse("10.78.11.1"),
                Vips = [LbVip.V4(Ip4.Parse("10.78.100.101"), LbMode.IpIp4, [.. Enumerable.Range(1, 3).Select(n => LbServer.V4(Ip4.Parse($"10.78.1{n}.2")))], 6, ServerPort)],
            });
            Thread.Sleep(300); // the servers bind
            var answers = Who(12, $"http://10.78.100.101:{ServerPort}/who");
            Assert.All(answers, a => Assert.Matches("^s[123]$", a));
            Assert.True(answers.Distinct().Count() > 1, string.Join(' ', answers));
            var c = Dp.LbCounters;
            Assert.Equal(0, c.Returned); // the answers went by the load balancer, not through it
            Assert.True(c.Forwarded >= 12 * 3, $"{c}"); // each connection's packets from the client went to its server
        }
        finally
        {
            foreach (var p in dsr) p.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void A_vip_without_servers_refuses_connections_at_once()
    {
        Dp.SetLoadBalancer(Servers(1) with { Vips = [Servers(1).Vips[0] with { Servers = [LbServer.V4(Ip4.Parse("10.78.11.2"), 0)] }] });
        var clock = Stopwatch.StartNew();
        var answer = Assert.Single(Who(1, Url));
        Assert.StartsWith("error URLError", answer);
        Assert.Contains("refused", answer); // a TCP reset: ECONNREFUSED, not a timeout
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{clock.Elapsed}");
    }
}
