using System.Buffers.Binary;
using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;
using static Mgmt.Dataplane.Tests.L4Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// The service proxy on memory ports: ClusterIP with several ports, NodePort, external IPs, session affinity,
/// hairpinning (a pod reaching its own service), a service without backends, and the checks.
/// </summary>
/// <remarks>Clients on "front" (the node's address 10.0.0.1, the client 10.0.0.2); pods on "back" (10.1.0.1/24, pods 10.1.0.11-13).</remarks>
public sealed class ServiceProxyTests : IDisposable
{
    private const ulong MacFront = 0x02_00_00_00_00_01, MacBack = 0x02_00_00_00_00_02, MacClient = 0x02_aa_00_00_00_02;
    private static ulong MacPod(int n) => 0x02_bb_00_00_00_00UL + (ulong)n;
    private static uint Pod(int n) => Ip4.Parse($"10.1.0.{10 + n}");
    private static readonly uint ClusterIp = Ip4.Parse("10.96.0.10"), Node = Ip4.Parse("10.0.0.1");

    private readonly Dataplane _dp = new(buffers: 1024);
    private readonly MemoryPort _front = new(), _back = new();

    public ServiceProxyTests()
    {
        _dp.CreateInterface("front", _front, MacFront);
        _dp.CreateInterface("back", _back, MacBack);
        _dp.AddAddress("front", Node, 24);
        _dp.AddAddress("back", Ip4.Parse("10.1.0.1"), 24);
        _dp.SetAdminUp("front", true);
        _dp.SetAdminUp("back", true);
        _dp.AddNeighbor("front", Ip4.Parse("10.0.0.2"), MacClient);
        for (var n = 1; n <= 10; n++) _dp.AddNeighbor("back", Pod(n), MacPod(n));
        _dp.AddAddress6("front", Node6, 64);
        _dp.AddAddress6("back", Ip6.Parse("2001:db8:b::1"), 64);
        _dp.AddNeighbor6("front", Ip6.Parse("2001:db8:a::2"), MacClient);
        for (var n = 1; n <= 3; n++) _dp.AddNeighbor6("back", Pod6(n), MacPod(n));
    }

    private static UInt128 Pod6(int n) => Ip6.Parse($"2001:db8:b::1{n}");
    private static readonly UInt128 ClusterIp6 = Ip6.Parse("fd00:96::10"), Node6 = Ip6.Parse("2001:db8:a::1");

    public void Dispose() => _dp.Dispose();

    private static Service Web(params int[] pods) => new("web", ClusterIp,
        [new ServicePort(Tcp, 80, 8080, NodePort: 30080), new ServicePort(Udp, 53, 5353)],
        [.. pods.Select(n => new ServiceBackend(Pod(n)))], ExternalIps: [Ip4.Parse("198.51.100.7")]);

    private (List<Seen> Front, List<Seen> Back) Send(MemoryPort on, byte[] frame)
    {
        _front.Clear();
        _back.Clear();
        on.Inject(frame);
        _dp.PollOnce();
        return ([.. _front.Sent.Where(IsIp4).Select(Read)], [.. _back.Sent.Where(IsIp4).Select(Read)]);
    }

    private Seen ToPod(string dst, ushort dport, ushort sport, byte proto = Tcp, string client = "10.0.0.2")
    {
        var (front, back) = Send(_front, Packet(MacFront, MacClient, client, sport, dst, dport, proto));
        Assert.Empty(front);
        return Assert.Single(back);
    }

    private Seen Answer(Seen got, byte proto = Tcp)
    {
        var pod = (int)(got.Destination - Pod(0));
        var (front, back) = Send(_back, Packet(MacBack, MacPod(pod), Ip4.Format(got.Destination), got.DestinationPort, Ip4.Format(got.Source), got.SourcePort, proto, SynAck));
        Assert.Empty(back);
        return Assert.Single(front);
    }

    [Fact]
    public void Cluster_ip_node_port_and_external_ip_reach_the_backends_and_answer_from_where_they_were_asked()
    {
        _dp.SetServices([Web(1, 2, 3)], [Node]);
        ushort sport = 40000; // a port per connection: two flows to one backend endpoint from one client endpoint would clash
        foreach (var (dst, port, proto) in new[] { ("10.96.0.10", (ushort)80, Tcp), ("10.96.0.10", (ushort)53, Udp), ("10.0.0.1", (ushort)30080, Tcp), ("198.51.100.7", (ushort)80, Tcp) })
        {
            var got = ToPod(dst, port, ++sport, proto);
            Assert.Equal(proto == Udp ? 5353 : 8080, got.DestinationPort);
            Assert.Equal($"10.0.0.2:{sport}", got.From);
            Assert.Equal($"{dst}:{port}", Answer(got, proto).From);
        }
        // A port the service does not have: nothing reaches the pods.
        Assert.Empty(Send(_front, Packet(MacFront, MacClient, "10.0.0.2", 40100, "10.96.0.10", 81, Tcp)).Back);
    }

    [Fact]
    public void With_client_affinity_every_connection_of_a_client_goes_to_one_backend()
    {
        _dp.SetServices([Web(1, 2, 3) with { ClientAffinity = Service.DefaultAffinity }], [Node]);
        var pods = Enumerable.Range(0, 20).Select(i => ToPod("10.96.0.10", 80, (ushort)(41000 + i)).Destination).Distinct();
        Assert.Single(pods);
        // Without it, the same connections spread.
        _dp.SetServices([Web(1, 2, 3)], [Node]);
        Assert.True(Enumerable.Range(0, 20).Select(i => ToPod("10.96.0.10", 80, (ushort)(42000 + i)).Destination).Distinct().Count() > 1);
    }

    private static readonly string[] Clients = [.. Enumerable.Range(2, 12).Select(n => $"10.0.0.{n}")];

    // Each client's backend for a new connection to the cluster IP's TCP port.
    private uint[] Backends(ushort sport) => [.. Clients.Select(c => ToPod("10.96.0.10", 80, sport, client: c).Destination)];

    [Fact]
    public void Affinity_holds_across_the_service_addresses_and_backend_changes_and_ends_with_its_backend_or_its_timeout()
    {
        var affinity = TimeSpan.FromSeconds(1);
        _dp.SetServices([Web(1, 2, 3) with { ClientAffinity = affinity }], [Node]);
        var first = Backends(45000);
        // The node port and the external IP are the same service port: the client's backend there too.
        for (var c = 0; c < Clients.Length; c++)
        {
            Assert.Equal(first[c], ToPod("10.0.0.1", 30080, 45001, client: Clients[c]).Destination);
            Assert.Equal(first[c], ToPod("198.51.100.7", 80, 45002, client: Clients[c]).Destination);
        }
        Assert.Equal(Clients.Length, _dp.LbAffinityClients);
        // Seven more backends: every client keeps its own (without affinity most would move, see below).
        _dp.SetServices([Web(1, 2, 3, 4, 5, 6, 7, 8, 9, 10) with { ClientAffinity = affinity }], [Node]);
        Assert.Equal(first, Backends(45003));
        // Past the timeout since their last connection, clients get the backend their address picks among ten.
        Thread.Sleep(affinity + TimeSpan.FromMilliseconds(500));
        var fresh = Backends(45004);
        Assert.True(fresh.Zip(first).Count(x => x.First != x.Second) >= Clients.Length / 2, $"{string.Join(' ', fresh)} after {string.Join(' ', first)}");
        Assert.Equal(fresh, Backends(45005)); // and keep it
        // A client whose backend leaves goes to another one, and stays there.
        var gone = (int)(fresh[0] - Pod(0));
        _dp.SetServices([Web([.. Enumerable.Range(1, 10).Where(n => n != gone)]) with { ClientAffinity = affinity }], [Node]);
        var moved = ToPod("10.96.0.10", 80, 45006, client: Clients[0]).Destination;
        Assert.NotEqual(fresh[0], moved);
        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal(moved, ToPod("10.96.0.10", 80, (ushort)(45007 + i), client: Clients[0]).Destination));
        // The UDP port is a scope of its own, and checks: a timeout of 0 or over a day is refused.
        Assert.Throws<DataplaneException>(() => _dp.SetServices([Web(1) with { ClientAffinity = TimeSpan.Zero }], [Node]));
        Assert.Throws<DataplaneException>(() => _dp.SetServices([Web(1) with { ClientAffinity = TimeSpan.FromDays(2) }], [Node]));
    }

    [Fact]
    public void The_affinity_table_is_bounded_and_drops_expired_clients_when_full()
    {
        var vip = new LoadBalancer.Vip(LbVip.V4(ClusterIp, LbMode.Nat, [LbServer.V4(Pod(1)), LbServer.V4(Pod(2))], Tcp, 80) with { ClientAffinity = TimeSpan.FromSeconds(10) },
            serial: 1, table: [0, 1, 0, 1, 1], serverIds: [7, 8], affinityScope: 1);
        var table = new LbAffinity(capacity: 2);
        Assert.Equal(7, table.Choose(vip, 1, picked: 7, now: 0));
        Assert.Equal(7, table.Choose(vip, 1, picked: 8, now: 9_000)); // remembered, and now until 19 s
        Assert.Equal(7, table.Choose(vip, 1, picked: 8, now: 18_000));
        Assert.Equal(8, table.Choose(vip, 2, picked: 8, now: 18_000));
        // Full, nobody expired: a third client gets its pick and is not remembered.
        Assert.Equal(8, table.Choose(vip, 3, picked: 8, now: 18_500));
        Assert.Equal(7, table.Choose(vip, 3, picked: 7, now: 18_600));
        Assert.Equal((2, 2L), (table.Count, table.Unremembered));
        // Client 1 expires at 28 s, client 2 at 28 s: at 30 s both go and client 3 is remembered.
        Assert.Equal(8, table.Choose(vip, 3, picked: 8, now: 30_000));
        Assert.Equal(8, table.Choose(vip, 3, picked: 7, now: 30_001));
        Assert.Equal(1, table.Count);
        // A server that no longer takes new flows is not kept: client 3 (on 8) moves to its pick, and stays there.
        var drained = new LoadBalancer.Vip(vip.Config, 1, [0, 0, 0], [7, 8], 1);
        Assert.Equal(7, table.Choose(drained, 3, picked: 7, now: 30_002));
        Assert.Equal(7, table.Choose(vip, 3, picked: 8, now: 30_003));
        // No server at all: -1, and nothing remembered.
        Assert.Equal(-1, table.Choose(new LoadBalancer.Vip(vip.Config, 1, null, [7, 8], 1), 5, picked: -1, now: 30_004));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void A_pod_reaching_its_own_service_is_hairpinned_through_the_node_address()
    {
        _dp.SetServices([Web(1)], [Node]);
        var (front, back) = Send(_back, Packet(MacBack, MacPod(1), "10.1.0.11", 43000, "10.96.0.10", 80, Tcp));
        Assert.Empty(front);
        var got = Assert.Single(back);
        Assert.Equal("10.1.0.11:8080", got.To);
        Assert.Equal("10.1.0.1:43000", got.From); // from the node, so that the pod answers through the dataplane
        (front, back) = Send(_back, Packet(MacBack, MacPod(1), "10.1.0.11", 8080, "10.1.0.1", 43000, Tcp, SynAck));
        var answer = Assert.Single(back);
        Assert.Equal("10.96.0.10:80", answer.From);
        Assert.Equal("10.1.0.11:43000", answer.To);
        // Another pod reaching the service keeps its own address (its answer passes the dataplane anyway).
        _dp.SetServices([Web(2)], [Node]);
        (_, back) = Send(_back, Packet(MacBack, MacPod(1), "10.1.0.11", 43001, "10.96.0.10", 80, Tcp));
        Assert.Equal("10.1.0.11:43001", Assert.Single(back).From);
    }

    [Fact]
    public void A_service_without_backends_answers_a_reset_or_port_unreachable_and_bad_services_are_refused()
    {
        _dp.SetServices([Web()], [Node]);
        var (front, back) = Send(_front, Packet(MacFront, MacClient, "10.0.0.2", 44000, "10.96.0.10", 80, Tcp));
        Assert.Empty(back);
        var reset = Assert.Single(front);
        Assert.Equal((Tcp, (byte)0x14, "10.96.0.10:80"), (reset.Protocol, reset.Frame[14 + 20 + 13], reset.From));
        (front, back) = Send(_front, Packet(MacFront, MacClient, "10.0.0.2", 44000, "10.96.0.10", 53, Udp));
        Assert.Empty(back);
        var icmp = Assert.Single(front);
        Assert.Equal(Icmp, icmp.Protocol);
        Assert.Equal((byte)3, icmp.Frame[14 + 20]);
        Assert.Throws<DataplaneException>(() => _dp.SetServices([Web(1), Web(2)], [Node]));
        Assert.Throws<DataplaneException>(() => _dp.SetServices([Web(1) with { Ports = [new ServicePort(47, 80, 80)] }], [Node]));
        Assert.Throws<DataplaneException>(() => _dp.SetServices([Web(1) with { Ports = [] }], [Node]));
        // Two services on one cluster IP and port: the load balancer refuses the VIP twice, nothing changes.
        Assert.Throws<DataplaneException>(() => _dp.SetServices([Web(1), Web(2) with { Name = "web2" }], [Node]));
        Assert.Equal(5, _dp.LoadBalancer!.Vips.Count);
        // The load balancer's own VIPs and the services' stand side by side.
        _dp.SetLoadBalancer(new LbConfig { Vips = [LbVip.V4(Ip4.Parse("10.96.0.99"), LbMode.Nat, [LbServer.V4(Pod(3))], Tcp, 443)] });
        Assert.Equal(6, _dp.LoadBalancer!.Vips.Count);
        Assert.Equal("10.1.0.13:443", ToPod("10.96.0.99", 443, 44001).To);
    }

    [Fact]
    public void A_dual_stack_service_answers_on_both_families_with_each_familys_backends()
    {
        var web = Web(1, 2) with { ClusterIp6 = ClusterIp6, Backends6 = [new ServiceBackend6(Pod6(3))], ExternalIps6 = [Ip6.Parse("2001:db8:e::7")] };
        _dp.SetServices([web], [Node], [Node6]);
        // IPv4 as before.
        Assert.Contains(ToPod("10.96.0.10", 80, 46000).Destination, new[] { Pod(1), Pod(2) });
        // IPv6: the cluster IP, the external IP and the node port reach the IPv6 pod on the target port, and its
        // answers come from the address asked.
        ushort sport = 46100;
        foreach (var (dst, port) in new[] { ("fd00:96::10", (ushort)80), ("2001:db8:e::7", (ushort)80), ("2001:db8:a::1", (ushort)30080) })
        {
            var (front, back) = Send6(_front, Packet6(MacFront, MacClient, "2001:db8:a::2", ++sport, dst, port, Tcp));
            Assert.Empty(front);
            var got = Assert.Single(back).AsSpan(14);
            AssertChecksum6(got);
            Assert.Equal((Pod6(3), (ushort)8080), (Ip6.Destination(got), BinaryPrimitives.ReadUInt16BigEndian(got[42..])));
            (front, _) = Send6(_back, Packet6(MacBack, MacPod(3), "2001:db8:b::13", 8080, "2001:db8:a::2", sport, Tcp, SynAck));
            var answer = Assert.Single(front).AsSpan(14);
            AssertChecksum6(answer);
            Assert.Equal((Ip6.Parse(dst), port), (Ip6.Source(answer), BinaryPrimitives.ReadUInt16BigEndian(answer[40..])));
        }
        // An IPv6-only service, and one without any cluster IP (refused, nothing changes).
        _dp.SetServices([web with { ClusterIp = 0 }], [Node], [Node6]);
        Assert.Empty(Send(_front, Packet(MacFront, MacClient, "10.0.0.2", 46200, "10.96.0.10", 80, Tcp)).Back);
        Assert.Single(Send6(_front, Packet6(MacFront, MacClient, "2001:db8:a::2", 46201, "fd00:96::10", 80, Tcp)).Back);
        Assert.Contains("no cluster IP", Assert.Throws<DataplaneException>(() => _dp.SetServices([web with { ClusterIp = 0, ClusterIp6 = 0 }], [Node])).Message);
    }

    private (List<byte[]> Front, List<byte[]> Back) Send6(MemoryPort on, byte[] frame)
    {
        _front.Clear();
        _back.Clear();
        on.Inject(frame);
        _dp.PollOnce();
        return ([.. _front.Sent.Where(f => Ethernet.Type(f) == Ethernet.TypeIp6)], [.. _back.Sent.Where(f => Ethernet.Type(f) == Ethernet.TypeIp6)]);
    }

    [Fact]
    public void A_backend_with_a_port_of_its_own_gets_its_flows_there_and_answers_from_the_service()
    {
        // Pod 1's named port is 9090 for the service's TCP port; pod 2 listens on the target port (8080).
        _dp.SetServices([Web(2) with { Backends = [new ServiceBackend(Pod(1)) { Ports = new Dictionary<ushort, ushort> { [80] = 9090 } }, new ServiceBackend(Pod(2))] }], [Node]);
        var seen = new HashSet<string>();
        for (ushort sport = 47000; sport < 47030; sport++)
        {
            var got = ToPod("10.96.0.10", 80, sport);
            Assert.Equal(got.Destination == Pod(1) ? 9090 : 8080, got.DestinationPort);
            seen.Add(got.To);
            Assert.Equal("10.96.0.10:80", Answer(got).From);
        }
        Assert.Equal(["10.1.0.11:9090", "10.1.0.12:8080"], seen.Order());
        // The UDP port has no port of its own for pod 1: the target port.
        Assert.Equal(5353, ToPod("10.96.0.10", 53, 47100, Udp).DestinationPort);
        // Only NAT mode rewrites ports: a server's own port elsewhere is refused.
        Assert.Contains("own port is for NAT mode", Assert.Throws<DataplaneException>(() => _dp.SetLoadBalancer(new LbConfig
        {
            Ip4Source = Node,
            Vips = [LbVip.V4(Ip4.Parse("192.0.2.1"), LbMode.Gre4, [LbServer.V4(Pod(1), port: 9090)])],
        })).Message);
    }
}
