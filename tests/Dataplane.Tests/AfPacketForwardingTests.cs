using System.Diagnostics;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

using static Mgmt.Dataplane.Tests.HostCommands;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// Real packets between Linux network namespaces, routed by the dataplane over AF_PACKET: hosts A (10.77.1.2) and
/// B (10.77.2.2) in their own namespaces, each on a veth pair whose other end is in namespace R, where the
/// dataplane owns both ends (R's kernel has no addresses and does not forward). Needs root (CI runs as root).
/// </summary>
public sealed class AfPacketForwardingTests : IDisposable
{
    private readonly string _a, _b, _r, _h;
    private readonly string _tag = $"{Environment.ProcessId % 100000}";
    private Dataplane _dp = new();

    public AfPacketForwardingTests()
    {
        Assert.SkipUnless(Environment.UserName == "root" && (File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip")), "needs root and iproute2 (network namespaces)");
        _a = $"mgdp-a-{_tag}";
        _b = $"mgdp-b-{_tag}";
        _r = $"mgdp-r-{_tag}";
        _h = $"mgdp-h-{_tag}";
        Cleanup();
        foreach (var ns in new[] { _a, _b, _r }) Ip($"netns add {ns}");
        Link(_a, "va", "10.77.1.2/24", "10.77.1.1", "2001:db8:a::2/64", "2001:db8:a::1");
        Link(_b, "vb", "10.77.2.2/24", "10.77.2.1", "2001:db8:b::2/64", "2001:db8:b::1");
    }

    // A host namespace with interface "eth0" (address, default route via the dataplane), joined to R's "<name>".
    private void Link(string ns, string name, string address, string gateway, string address6, string gateway6)
    {
        Ip($"link add {name}{_tag} type veth peer name eth0 netns {ns}");
        Ip($"link set {name}{_tag} netns {_r}");
        Ip($"-n {_r} link set {name}{_tag} name {name}");
        // R's kernel stays out of IPv6 on the dataplane's links (it would answer for the same link-local address).
        Run("ip", $"netns exec {_r} sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
        Ip($"-n {_r} link set {name} up");
        Ip($"-n {ns} addr add {address6} dev eth0 nodad");
        Ip($"-n {ns} addr add {address} dev eth0");
        Ip($"-n {ns} link set eth0 up");
        Ip($"-n {ns} link set lo up");
        Ip($"-n {ns} route add default via {gateway}");
        Ip($"-n {ns} -6 route add default via {gateway6}");
    }

    public void Dispose()
    {
        _dp.Dispose();
        Cleanup();
    }

    private void Cleanup()
    {
        foreach (var ns in new[] { _a, _b, _r, _h }) Run("ip", $"netns del {ns}", check: false);
    }

    private void StartRouter(int workers = 1, int queues = 1)
    {
        if (workers > 1)
        {
            _dp.Dispose();
            _dp = new Dataplane(workers: workers);
        }
        var pa = new AfPacketPort("va", _r, queues);
        var pb = new AfPacketPort("vb", _r, queues);
        _dp.CreateInterface("a", pa, pa.Mac);
        _dp.CreateInterface("b", pb, pb.Mac);
        _dp.AddAddress("a", Ip4.Parse("10.77.1.1"), 24);
        _dp.AddAddress("b", Ip4.Parse("10.77.2.1"), 24);
        _dp.AddAddress6("a", Ip6.Parse("2001:db8:a::1"), 64);
        _dp.AddAddress6("b", Ip6.Parse("2001:db8:b::1"), 64);
        _dp.SetAdminUp("a", true);
        _dp.SetAdminUp("b", true);
        _dp.Start();
    }

    [Fact]
    public void Hosts_in_two_namespaces_ping_each_other_and_the_router_through_the_dataplane()
    {
        StartRouter();
        var (code, output) = Run("ip", $"netns exec {_a} ping -c 3 -i 0.2 -W 2 10.77.2.2", check: false);
        Assert.True(code == 0, output);
        Assert.Contains(" 0% packet loss", output); // the first packet waited for ARP instead of being lost
        (code, output) = Run("ip", $"netns exec {_b} ping -c 2 -i 0.2 -W 2 10.77.2.1", check: false);
        Assert.True(code == 0, output);
        // The replies crossed the router with one TTL less (64 -> 63).
        Assert.Contains("ttl=63", Run("ip", $"netns exec {_a} ping -c 1 -W 2 10.77.2.2").Output);
        Assert.True(_dp.Interface("a").Counters.InUnicast >= 4);
        Assert.True(_dp.Neighbors.Count >= 2); // both hosts learned from their ARP
    }

    [Fact]
    public void Hosts_ping_each_other_over_IPv6_through_the_dataplane()
    {
        StartRouter();
        var (code, output) = Run("ip", $"netns exec {_a} ping -6 -c 3 -i 0.2 -W 2 2001:db8:b::2", check: false);
        Assert.True(code == 0, output);
        Assert.Contains(" 0% packet loss", output); // the first packet waited for neighbor discovery
        Assert.Contains("ttl=63", Run("ip", $"netns exec {_a} ping -6 -c 1 -W 2 2001:db8:b::2").Output); // hop limit 64 - 1
        (code, output) = Run("ip", $"netns exec {_b} ping -6 -c 1 -W 2 2001:db8:b::1", check: false);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void The_host_stack_talks_through_the_dataplane_by_its_TAP()
    {
        StartRouter();
        // A host stack in namespace H (apart from R, whose kernel sees the veth ends) gets a TAP with interface a's
        // MAC and address: it can only send and receive through the dataplane.
        Ip($"netns add {_h}");
        _dp.SetPunt("a", new TapPort("tapa", _dp.Interface("a").Mac, _h));
        Ip($"-n {_h} addr add 10.77.1.1/24 dev tapa");
        var (code, output) = Run("ip", $"netns exec {_h} ping -c 2 -i 0.2 -W 2 10.77.1.2", check: false);
        Assert.True(code == 0, output); // out by the TAP and the dataplane; ARP and the echo replies punted back

        // A TCP server of the host stack answers host A through the punt path.
        var port = 19000 + Environment.ProcessId % 1000;
        using var server = HttpServer(_h, "10.77.1.1", port, "/usr/share");
        try
        {
            (code, output) = HttpGetLength(_a, $"http://10.77.1.1:{port}/");
            Assert.True(code == 0, output);
        }
        finally
        {
            server.Kill();
        }
        // The dataplane still answers pings of its address itself.
        Assert.Equal(0, Run("ip", $"netns exec {_a} ping -c 1 -W 2 10.77.1.1", check: false).Code);
    }

    [Fact]
    public void A_network_policy_lets_host_B_reach_only_host_As_web_port()
    {
        StartRouter();
        var web = 19100 + Environment.ProcessId % 400;
        var admin = web + 400;
        using var webServer = HttpServer(_a, "10.77.1.2", web, "/usr/share");
        using var adminServer = HttpServer(_a, "10.77.1.2", admin, "/usr/share");
        // One attempt, a short timeout: a dropped SYN fails it.
        int Get(int port) => Run("ip", $"netns exec {_b} python3 -c \"import urllib.request; urllib.request.urlopen('http://10.77.1.2:{port}/', timeout=2).read()\"", check: false).Code;
        try
        {
            Assert.Equal(0, HttpGetLength(_b, $"http://10.77.1.2:{web}/").Code); // both servers up, no policy yet
            Assert.Equal(0, HttpGetLength(_b, $"http://10.77.1.2:{admin}/").Code);

            // Pod "a" (host A behind interface a) takes TCP to its web port from host B only.
            _dp.ApplyNetworkPolicies([new Policy.Pod("a", "a"), new Policy.Pod("b", "b")],
            [
                new Policy.NetworkPolicy("web", ["a"], Ingress: true, Egress: false, IngressRules:
                    [new Policy.PolicyRule([new Policy.PolicyPeer([Policy.PolicyPrefix.V4(Ip4.Parse("10.77.2.2"), 32)])], [new Policy.PolicyPort(6, (ushort)web)])]),
            ]);
            Assert.Equal(0, Get(web));
            Assert.NotEqual(0, Get(admin));
            Assert.NotEqual(0, Run("ip", $"netns exec {_b} ping -c 1 -W 1 10.77.1.2", check: false).Code); // ICMP is not allowed in
            Assert.Equal(0, Run("ip", $"netns exec {_a} ping -c 1 -W 2 10.77.2.2", check: false).Code); // A's own traffic and its replies are

            // Without the policy, the admin port answers again.
            _dp.ApplyNetworkPolicies([new Policy.Pod("a", "a"), new Policy.Pod("b", "b")], []);
            Assert.Equal(0, Get(admin));
        }
        finally
        {
            webServer.Kill();
            adminServer.Kill();
        }
    }

    [Fact]
    public void Without_the_dataplane_nothing_crosses()
    {
        // The control for the test above: R's kernel alone does not route between the hosts.
        var (code, output) = Run("ip", $"netns exec {_a} ping -c 1 -W 1 10.77.2.2", check: false);
        Assert.NotEqual(0, code);
        Assert.Contains("0 received", output); // ping ran, and nothing came back
    }

    [Fact]
    public void A_TCP_connection_carries_data_through_the_dataplane()
    {
        StartRouter();
        var port = 18000 + Environment.ProcessId % 1000;
        using var server = HttpServer(_b, "10.77.2.2", port, "/usr/share");
        try
        {
            var (code, output) = HttpGetLength(_a, $"http://10.77.2.2:{port}/");
            Assert.True(code == 0, output);
            Assert.True(int.Parse(output.Trim().Split('\n')[^1]) > 1000, output);
        }
        finally
        {
            server.Kill();
        }
    }

    [Fact]
    public void Two_workers_share_the_interfaces_queues_and_every_flow_gets_its_answers()
    {
        StartRouter(workers: 2, queues: 2);
        var port = 17000 + Environment.ProcessId % 1000;
        var echo = $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.77.2.2',{port}))\nwhile True:\n  d,a=s.recvfrom(2048)\n  s.sendto(d,a)";
        using var server = Process.Start(new ProcessStartInfo("ip", $"netns exec {_b} python3 -c \"{echo}\"") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            // 64 flows (one socket each, so 64 source ports), 5 datagrams each, every one answered.
            var client = $"import socket,time\nsocks=[socket.socket(socket.AF_INET,socket.SOCK_DGRAM) for i in range(64)]\nfor s in socks: s.settimeout(2)\ntime.sleep(0.3)\nok=0\nfor r in range(5):\n  for i,s in enumerate(socks):\n    for t in range(5):\n      try:\n        s.sendto(b'flow %d round %d' % (i,r),('10.77.2.2',{port})); d=s.recv(2048); ok+= d==b'flow %d round %d' % (i,r); break\n      except socket.timeout: pass\nprint(ok)";
            var (code, output) = Run("ip", $"netns exec {_a} python3 -c \"{client}\"", check: false, timeoutMs: 120_000);
            Assert.True(code == 0, output);
            Assert.Equal("320", output.Trim());
        }
        finally
        {
            server.Kill();
        }
        var queues = ((AfPacketPort)_dp.Interface("a").Port).QueueFrames;
        Assert.All(queues, n => Assert.True(n > 0, $"a queue received nothing: {string.Join(", ", queues)}"));
        Assert.All(_dp.Workers, w => Assert.True(w.Nodes.Single(n => n.Name == "ip4-lookup").Packets > 0));
        Assert.Equal(0, _dp.DropCount(DropReason.HandoffQueueFull));
    }

    [Fact]
    public void With_nat44_on_two_workers_inside_flows_leave_from_the_outside_address_and_a_port_forward_reaches_host_A()
    {
        StartRouter(workers: 2, queues: 2);
        var web = 16000 + Environment.ProcessId % 1000;
        _dp.SetNat44(new Nat.Nat44Config
        {
            Inside = ["a"],
            Outside = ["b"],
            UseOutsideAddresses = true,
            StaticMappings = [new Nat.StaticMapping(Ip4.Parse("10.77.1.2"), Ip4.Parse("10.77.2.3"), 6, (ushort)web, 8080)],
        });
        var port = web + 1000;
        // B's UDP server answers every datagram with the address it came from.
        var echo = $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.77.2.2',{port}))\nwhile True:\n  d,a=s.recvfrom(2048)\n  s.sendto(a[0].encode(),a)";
        using var server = Process.Start(new ProcessStartInfo("ip", $"netns exec {_b} python3 -c \"{echo}\"") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var webServer = HttpServer(_a, "10.77.1.2", web, "/usr/share");
        try
        {
            // 64 flows from A: each gets its answers back, and B saw every one from the outside address.
            var client = $"import socket,time\nsocks=[socket.socket(socket.AF_INET,socket.SOCK_DGRAM) for i in range(64)]\nfor s in socks: s.settimeout(2)\ntime.sleep(0.3)\nseen=set()\nfor r in range(3):\n  for s in socks:\n    for t in range(5):\n      try:\n        s.sendto(b'x',('10.77.2.2',{port})); seen.add(s.recv(2048).decode()); break\n      except socket.timeout: pass\nprint(' '.join(sorted(seen)))";
            var (code, output) = Run("ip", $"netns exec {_a} python3 -c \"{client}\"", check: false, timeoutMs: 120_000);
            Assert.True(code == 0, output);
            Assert.Equal("10.77.2.1", output.Trim());
            Assert.Equal(64, _dp.NatCounters.Sessions);
            // The port forward: B reaches A's web server by 10.77.2.3:8080 (the dataplane answers ARP for it).
            var (getCode, got) = HttpGetLength(_b, "http://10.77.2.3:8080/");
            Assert.True(getCode == 0, got);
            Assert.True(_dp.Workers.All(w => w.NatSessions!.Table.Count > 0), "both workers hold sessions");
            Assert.Equal(0, _dp.DropCount(DropReason.NatNoSession));
        }
        finally
        {
            server.Kill();
            webServer.Kill();
        }
    }

    [Theory]
    [InlineData("10.77.2.2")]
    [InlineData("[2001:db8:b::2]")]
    public void A_large_TCP_transfer_crosses_the_dataplane_at_full_size_segments(string server)
    {
        StartRouter();
        var dir = Directory.CreateTempSubdirectory("mgdp-www-").FullName;
        var data = new byte[4 << 20];
        new Random(3).NextBytes(data);
        File.WriteAllBytes(Path.Combine(dir, "blob"), data);
        var port = 16000 + Environment.ProcessId % 1000;
        var bind = server.Trim('[', ']');
        // Host B's TCP sends with TSO/GSO (veth's default), so its frames reach the dataplane as superframes.
        using var http = Process.Start(new ProcessStartInfo("ip", $"netns exec {_b} python3 -m http.server {port} --bind {bind} --directory {dir}")
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            var script = $"import urllib.request,time,hashlib\nfor i in range(50):\n  try:\n    print(hashlib.sha256(urllib.request.urlopen('http://{server}:{port}/blob', timeout=20).read()).hexdigest()); break\n  except Exception as e:\n    time.sleep(0.1)\nelse:\n  raise SystemExit('no answer')";
            var started = DateTime.UtcNow;
            var (code, output) = Run("ip", $"netns exec {_a} python3 -c \"{script}\"", check: false, timeoutMs: 120_000);
            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            Assert.True(code == 0, output);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), output.Trim());
            var pb = (AfPacketPort)_dp.Interface("b").Port;
            Assert.True(pb.OversizeDropped == 0, $"{pb.OversizeDropped} oversize frames dropped in {seconds:F1} s");
            // The data came as superframes, cut in the port: the segments are most of what crossed.
            Assert.True(pb.Superframes > 0 && pb.Segments > 4 * pb.Superframes, $"{pb.Superframes} superframes, {pb.Segments} segments");
            Assert.True(seconds < 15, $"{seconds:F1} s for 4 MB");
        }
        finally
        {
            http.Kill();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void UDP_datagrams_sent_with_UDP_GSO_arrive_one_by_one()
    {
        StartRouter();
        var port = 15000 + Environment.ProcessId % 1000;
        // Host B counts datagrams of 1000 bytes each numbered in its first 4 bytes; host A sends 60 of them as 6
        // sends of 10 with UDP_SEGMENT (setsockopt SOL_UDP 103), which leave as superframes of gso_size 1000.
        var receiver = $"import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.77.2.2',{port}))\ns.settimeout(5)\nseen=set()\ntry:\n  while len(seen)<60:\n    d,a=s.recvfrom(4096)\n    if d==b'warm': continue\n    n=int.from_bytes(d[:4],'big')\n    assert len(d)==1000 and d[4:]==bytes([n%251])*996, (n,len(d))\n    seen.add(n)\nexcept socket.timeout: pass\nprint(len(seen))";
        using var rx = Process.Start(new ProcessStartInfo("ip", $"netns exec {_b} python3 -c \"{receiver}\"") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var sender = $"import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(17,103,1000)\ntime.sleep(0.5)\ns.sendto(b'warm',('10.77.2.2',{port}))\ntime.sleep(0.3)\nfor k in range(6):\n  s.sendto(b''.join((n).to_bytes(4,'big')+bytes([n%251])*996 for n in range(10*k,10*k+10)),('10.77.2.2',{port}))\n  time.sleep(0.05)";
        var (code, output) = Run("ip", $"netns exec {_a} python3 -c \"{sender}\"", check: false);
        Assert.True(code == 0, output);
        Assert.True(rx.WaitForExit(15_000));
        var received = rx.StandardOutput.ReadToEnd() + rx.StandardError.ReadToEnd();
        Assert.Equal("60", received.Trim());
        var pa = (AfPacketPort)_dp.Interface("a").Port;
        Assert.True(pa.Superframes >= 6, $"{pa.Superframes} superframes");
        Assert.Equal(0, pa.OversizeDropped);
    }

    [Fact]
    public void Superframes_come_out_of_the_port_as_segments_across_receive_calls_and_pool_shortages()
    {
        // A veth pair g0-g1 in R: frames sent on g0 by a packet socket with a virtio-net header, so that the kernel
        // makes GSO packets of the superframes (as a sender's TSO would); the port receives on g1.
        foreach (var name in new[] { "g0", "g1" })
        {
            if (name == "g0") Ip($"-n {_r} link add g0 type veth peer name g1");
            Run("ip", $"netns exec {_r} sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
            Ip($"-n {_r} link set {name} mtu 9000 up");
        }
        using var port = new AfPacketPort("g1", _r);
        var small1 = Frames.Udp(port.Mac, 0x02aa_0000_000a, "10.0.1.2", "10.0.2.2", payload: 40);
        var small2 = Frames.Udp(port.Mac, 0x02aa_0000_000a, "10.0.1.2", "10.0.2.2", payload: 50);
        var jumbo = Frames.Udp(port.Mac, 0x02aa_0000_000a, "10.0.1.2", "10.0.2.2", payload: 3000); // not GSO, too big for a buffer
        var tcp4 = SegmentationTests.Superframe(ip6: false, udp: false, payload: 3500, flags: 0x19); // 3 segments, by the receive queue
        var udp6 = SegmentationTests.Superframe(ip6: true, udp: true, payload: 2500); // 3 segments
        var inRing = SegmentationTests.Superframe(ip6: false, udp: false, payload: 1500, options: 0); // 2 segments, fits a ring frame
        // gso_type, gso_size, csum_start, csum_offset (NEEDS_CSUM for the superframes), the frame.
        (byte Type, int Size, int Start, int Offset, byte[] Frame)[] sent =
        [
            (0, 0, 0, 0, small1), (Segmentation.GsoTcp4, 1448, 34, 16, tcp4), (0, 0, 0, 0, jumbo), (Segmentation.GsoUdpL4, 1000, 54, 6, udp6),
            (Segmentation.GsoTcp4, 1000, 34, 16, inRing), (0, 0, 0, 0, small2),
        ];
        var file = Path.GetTempFileName();
        File.WriteAllLines(file, sent.Select(f => $"{f.Type} {f.Size} {f.Start} {f.Offset} {Convert.ToHexString(f.Frame)}"));
        var send = $"import socket,struct,time\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,0)\ns.setsockopt(263,15,1)\ns.bind(('g0',0))\nfor line in open('{file}'):\n  t,z,cs,co,h=line.split()\n  t,z,cs,co=int(t),int(z),int(cs),int(co)\n  f=bytes.fromhex(h)\n  s.send(struct.pack('<BBHHHH',1 if t else 0,t,0,z,cs,co)+f)\n  time.sleep(0.01)";
        var (code, output) = Run("ip", $"netns exec {_r} python3 -c \"{send}\"", check: false);
        File.Delete(file);
        Assert.True(code == 0, output);

        var expected = new List<byte[]> { small1 };
        foreach (var (type, size, _, _, frame) in sent.Where(f => f.Type != 0))
        {
            Assert.True(Segmentation.TryParse(frame, type, size, out var s));
            for (var k = 0; k < s.Count; k++)
            {
                var b = new byte[2048];
                expected.Add(b[..Segmentation.WriteSegment(frame, s, k, b)]);
            }
        }
        expected.Add(small2);
        Assert.Equal(10, expected.Count);

        // Four buffers in all: two frames (the vector's length) stop in the first superframe, two more and the pool
        // runs out, nothing while it is out; the rest once the buffers are back.
        var pool = new PacketPool(4);
        var got = new List<byte[]>();
        var held = new List<int>();
        int Receive(int length)
        {
            Span<int> into = stackalloc int[length];
            var n = port.Receive(0, pool, into);
            foreach (var p in into[..n])
            {
                got.Add(pool.Data(p).ToArray());
                held.Add(p);
            }
            return n;
        }
        Assert.Equal(2, Receive(2));
        Assert.Equal(2, Receive(8));
        Assert.Equal(0, Receive(8));
        held.ForEach(pool.Free);
        held.Clear();
        var deadline = Environment.TickCount64 + 5000;
        while (got.Count < expected.Count && Environment.TickCount64 < deadline)
        {
            Receive(3);
            held.ForEach(pool.Free);
            held.Clear();
        }
        Assert.Equal(expected.Count, got.Count);
        for (var i = 0; i < expected.Count; i++) Assert.True(expected[i].AsSpan().SequenceEqual(got[i]), $"frame {i}");
        Assert.Equal(3, port.Superframes);
        Assert.Equal(8, port.Segments);
        Assert.Equal(1, port.OversizeDropped); // the jumbo frame, taken off the receive queue in its turn
        Assert.Equal(0, port.RingDropped);
    }
}
