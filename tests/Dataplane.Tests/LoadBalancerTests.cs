using System.Buffers.Binary;
using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;
using static Mgmt.Dataplane.Tests.L4Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// The load balancer on memory ports: Maglev spreading and sticky flows in NAT mode (replies from the VIP), servers
/// removed and drained, a VIP without servers, the tunnel modes (GRE and IP in IPv4 and IPv6), L3 DSR, an IPv6 VIP,
/// the configuration checks, and two workers.
/// </summary>
/// <remarks>
/// Clients on "front" (10.0.0.1/24, 2001:db8:a::1/64; the client 10.0.0.2 and 2001:db8:a::2); servers on "back"
/// (10.1.0.1/24 with 10.1.0.11-13, 2001:db8:b::1/64 with 2001:db8:b::11-13). The VIP is 192.0.2.100, TCP 80.
/// </remarks>
public sealed class LoadBalancerTests : IDisposable
{
    private const ulong MacFront = 0x02_00_00_00_00_01, MacBack = 0x02_00_00_00_00_02, MacClient = 0x02_aa_00_00_00_02;
    private static ulong MacServer(int n) => 0x02_bb_00_00_00_00UL + (ulong)n;
    private static readonly uint Vip = Ip4.Parse("192.0.2.100");
    private static uint Server(int n) => Ip4.Parse($"10.1.0.{10 + n}");

    private readonly Dataplane _dp;
    private readonly MemoryPort _front = new(), _back = new();

    public LoadBalancerTests() : this(1) { }

    private LoadBalancerTests(int workers)
    {
        _dp = new Dataplane(buffers: 2048, workers: workers);
        _dp.CreateInterface("front", _front, MacFront);
        _dp.CreateInterface("back", _back, MacBack);
        _dp.AddAddress("front", Ip4.Parse("10.0.0.1"), 24);
        _dp.AddAddress("back", Ip4.Parse("10.1.0.1"), 24);
        _dp.AddAddress6("front", Ip6.Parse("2001:db8:a::1"), 64);
        _dp.AddAddress6("back", Ip6.Parse("2001:db8:b::1"), 64);
        _dp.SetAdminUp("front", true);
        _dp.SetAdminUp("back", true);
        _dp.AddNeighbor("front", Ip4.Parse("10.0.0.2"), MacClient);
        _dp.AddNeighbor6("front", Ip6.Parse("2001:db8:a::2"), MacClient);
        for (var n = 1; n <= 3; n++)
        {
            _dp.AddNeighbor("back", Server(n), MacServer(n));
            _dp.AddNeighbor6("back", Ip6.Parse($"2001:db8:b::1{n}"), MacServer(n));
        }
    }

    public void Dispose() => _dp.Dispose();

    private static LbConfig Nat(params int[] servers) => new()
    {
        Vips = [LbVip.V4(Vip, LbMode.Nat, [.. servers.Select(n => LbServer.V4(Server(n)))], Tcp, 80, targetPort: 8080)],
    };

    private static byte[] FromClient(ushort sport, byte flags = Syn, string dst = "192.0.2.100") => Packet(MacFront, MacClient, "10.0.0.2", sport, dst, 80, Tcp, flags);

    // Sends frames in on one side; returns the IPv4 and IPv6 frames that left by each.
    private (List<byte[]> Front, List<byte[]> Back) Send(MemoryPort on, params byte[][] frames)
    {
        _front.Clear();
        _back.Clear();
        foreach (var f in frames) on.Inject(f);
        _dp.PollOnce();
        return ([.. _front.Sent.Where(f => Ethernet.Type(f) != Ethernet.TypeArp)], [.. _back.Sent.Where(f => Ethernet.Type(f) != Ethernet.TypeArp)]);
    }

    private Seen ToServer(byte[] frame)
    {
        var (front, back) = Send(_front, frame);
        Assert.Empty(front);
        return Read(Assert.Single(back));
    }

    private static int ServerOf(Seen s) => (int)(s.Destination - Server(0));

    [Fact]
    public void Nat_mode_spreads_flows_over_the_servers_and_the_replies_come_from_the_vip()
    {
        _dp.SetLoadBalancer(Nat(1, 2, 3));
        var perServer = new int[4];
        for (ushort port = 20000; port < 20300; port++)
        {
            var s = ToServer(FromClient(port));
            Assert.Equal(8080, s.DestinationPort);
            Assert.Equal($"10.0.0.2:{port}", s.From);
            Assert.Equal(MacServer(ServerOf(s)), Ethernet.Destination(s.Frame));
            perServer[ServerOf(s)]++;
            // The server's answer leaves towards the client from the VIP.
            var (front, back) = Send(_back, Packet(MacBack, MacServer(ServerOf(s)), Ip4.Format(s.Destination), 8080, "10.0.0.2", port, Tcp, SynAck));
            Assert.Empty(back);
            var r = Read(Assert.Single(front));
            Assert.Equal("192.0.2.100:80", r.From);
            Assert.Equal($"10.0.0.2:{port}", r.To);
        }
        Assert.All(perServer[1..], c => Assert.InRange(c, 60, 140)); // Maglev: even shares, give or take
        var c = _dp.LbCounters;
        Assert.Equal((300, 300, 300), (c.Flows, c.Forwarded, c.Returned));
    }

    [Fact]
    public void Flows_keep_their_server_when_servers_are_removed_added_or_drained()
    {
        _dp.SetLoadBalancer(Nat(1, 2, 3));
        var before = new Dictionary<ushort, int>();
        for (ushort port = 30000; port < 30090; port++) before[port] = ServerOf(ToServer(FromClient(port)));
        // Server 3 removed, server 2 drained (weight 0): open flows go on as they were (established TCP survives) ...
        _dp.SetLoadBalancer(new LbConfig { Vips = [LbVip.V4(Vip, LbMode.Nat, [LbServer.V4(Server(1)), LbServer.V4(Server(2), 0)], Tcp, 80, targetPort: 8080)] });
        foreach (var (port, server) in before) Assert.Equal(server, ServerOf(ToServer(FromClient(port, Ack))));
        // ... and new ones all go to server 1.
        for (ushort port = 31000; port < 31030; port++) Assert.Equal(1, ServerOf(ToServer(FromClient(port))));
        // A server added: open flows still stay.
        _dp.SetLoadBalancer(Nat(1, 2, 3));
        foreach (var (port, server) in before) Assert.Equal(server, ServerOf(ToServer(FromClient(port, Ack))));
        var flows = _dp.LbFlowsByServer();
        Assert.Equal(before.Values.Count(s => s == 3), flows[Ip6.Mapped(Server(3))]);
    }

    [Fact]
    public void Maglev_remaps_about_a_third_of_new_flows_when_one_of_three_servers_goes()
    {
        // Without the sticky table (flows that ended), the same client ports land where Maglev now points.
        _dp.SetLoadBalancer(Nat(1, 2, 3) with { Timeouts = new Acl.SessionTimeouts { TcpTransitory = TimeSpan.FromMilliseconds(1) } });
        var first = new Dictionary<ushort, int>();
        for (ushort port = 40000; port < 40600; port++) first[port] = ServerOf(ToServer(FromClient(port)));
        Thread.Sleep(20);
        _dp.SetLoadBalancer(Nat(1, 2) with { Timeouts = new Acl.SessionTimeouts { TcpTransitory = TimeSpan.FromMilliseconds(1) } });
        var moved = 0;
        foreach (var (port, server) in first)
        {
            var now = ServerOf(ToServer(FromClient(port)));
            if (server != 3 && now != server) moved++;
            Thread.SpinWait(1);
        }
        // Only server 3's flows had to move; Maglev moves few others (well under 10% of all).
        Assert.True(moved < 60, $"{moved} flows of servers 1 and 2 moved");
    }

    [Fact]
    public void A_vip_without_servers_refuses_nat_flows_with_a_reset_or_port_unreachable_and_drops_tunnel_flows()
    {
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip4Source = Ip4.Parse("10.1.0.1"),
            Vips =
            [
                LbVip.V4(Vip, LbMode.Nat, [LbServer.V4(Server(1), 0)], Tcp, 80),
                LbVip.V4(Vip, LbMode.Nat, [LbServer.V4(Server(1), 0)], Udp, 53),
                LbVip.V4(Ip4.Parse("192.0.2.101"), LbMode.Gre4, []),
            ],
        });
        // A SYN (sequence 1000, 12 bytes of data, no ACK): RST+ACK acknowledging the SYN and its data, from the VIP (RFC 9293 3.10.7.1).
        var (front, back) = Send(_front, FromClient(50000));
        Assert.Empty(back);
        var reset = Read(Assert.Single(front));
        Assert.Equal(("10.0.0.2:50000", "192.0.2.100:80", Tcp), (reset.To, reset.From, reset.Protocol));
        var t = reset.Frame.AsSpan(14 + 20);
        Assert.Equal((0u, 1013u, (byte)0x14), (BinaryPrimitives.ReadUInt32BigEndian(t[4..]), BinaryPrimitives.ReadUInt32BigEndian(t[8..]), t[13]));
        Assert.Equal(40, Ip4.TotalLength(reset.Frame.AsSpan(14)));
        // A segment with an ACK (acknowledging 1000 + 12 of data): RST with that sequence number, no ACK.
        var withAck = FromClient(50001, flags: Ack);
        BinaryPrimitives.WriteUInt32BigEndian(withAck.AsSpan(14 + 20 + 8), 777);
        BinaryPrimitives.WriteUInt16BigEndian(withAck.AsSpan(14 + 20 + 16), 0);
        BinaryPrimitives.WriteUInt16BigEndian(withAck.AsSpan(14 + 20 + 16), TransportSum(withAck.AsSpan(14)));
        t = Read(Assert.Single(Send(_front, withAck).Front)).Frame.AsSpan(14 + 20);
        Assert.Equal((777u, 0u, (byte)0x04), (BinaryPrimitives.ReadUInt32BigEndian(t[4..]), BinaryPrimitives.ReadUInt32BigEndian(t[8..]), t[13]));
        // A reset is not answered; UDP gets port unreachable.
        Assert.Empty(Send(_front, FromClient(50002, flags: 0x04)).Front);
        (front, _) = Send(_front, Packet(MacFront, MacClient, "10.0.0.2", 50003, "192.0.2.100", 53, Udp));
        var icmp = Frames.IpOf(Assert.Single(front));
        Assert.Equal((Icmp, (byte)3, (byte)3), (icmp[9], icmp[20], icmp[21]));
        // Tunnel modes drop.
        (front, back) = Send(_front, FromClient(50004, dst: "192.0.2.101"));
        Assert.Empty(front);
        Assert.Empty(back);
        Assert.Equal(5, _dp.LbCounters.NoServer);
        Assert.Equal(3, _dp.DropCount(DropReason.LbNoServer)); // the reset, the UDP packet (answered by the ICMP error) and the tunnel flow's
    }

    [Theory]
    [InlineData(LbMode.Gre4)]
    [InlineData(LbMode.IpIp4)]
    [InlineData(LbMode.Gre6)]
    [InlineData(LbMode.IpIp6)]
    public void Tunnel_modes_carry_the_packet_as_it_came_to_the_server(LbMode mode)
    {
        var v6 = mode is LbMode.Gre6 or LbMode.IpIp6;
        UInt128 S(int n) => v6 ? Ip6.Parse($"2001:db8:b::1{n}") : Ip6.Mapped(Server(n));
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip4Source = Ip4.Parse("10.1.0.1"),
            Ip6Source = Ip6.Parse("2001:db8:b::1"),
            Vips = [LbVip.V4(Vip, mode, [new LbServer(S(1)), new LbServer(S(2)), new LbServer(S(3))])],
        });
        var sent = FromClient(12345);
        sent[14 + 1] = 46 << 2 | 1; // DSCP EF, ECN ECT(1): the outer header copies them (RFC 2003, RFC 2473)
        sent[14 + 6] |= 0x40; // DF: an outer IPv4 header copies it
        BinaryPrimitives.WriteUInt16BigEndian(sent.AsSpan(14 + 10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(sent.AsSpan(14 + 10), (ushort)~Sum(sent.AsSpan(14, 20), 0));
        var (_, back) = Send(_front, sent);
        var f = Assert.Single(back);
        var outer = f.AsSpan(14);
        var innerAt = v6 ? 40 : 20;
        Assert.Equal(46 << 2 | 1, v6 ? (outer[0] << 4 | outer[1] >> 4) & 0xff : outer[1]);
        if (!v6) Assert.True(Ip4.DontFragment(outer));
        byte protocol;
        if (v6)
        {
            Assert.Equal(Ethernet.TypeIp6, Ethernet.Type(f));
            Assert.Equal(Ip6.Parse("2001:db8:b::1"), Ip6.Source(outer));
            Assert.Contains(Ip6.Destination(outer), new[] { S(1), S(2), S(3) });
            Assert.Equal(64, Ip6.HopLimit(outer));
            protocol = Ip6.NextHeader(outer);
        }
        else
        {
            Assert.Equal("10.1.0.1", Ip4.Format(Ip4.Source(outer)));
            Assert.Contains(Ip6.Mapped(Ip4.Destination(outer)), new[] { S(1), S(2), S(3) });
            Assert.Equal(0xffff, (int)Sum(outer[..20], 0));
            Assert.Equal(64, Ip4.Ttl(outer));
            protocol = Ip4.Protocol(outer);
        }
        if (mode is LbMode.Gre4 or LbMode.Gre6)
        {
            Assert.Equal(47, protocol);
            Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(outer[innerAt..]));
            Assert.Equal(Ethernet.TypeIp4, BinaryPrimitives.ReadUInt16BigEndian(outer[(innerAt + 2)..]));
            innerAt += 4;
        }
        else Assert.Equal(4, protocol);
        // The inner packet is the client's, untouched (its TTL too: the load balancer is not a hop of the inner packet).
        Assert.Equal(sent.AsSpan(14).ToArray(), outer[innerAt..].ToArray());
        Assert.Equal(1, _dp.LbCounters.Flows);
        // The flow's next packets (established: the flow's own path) are carried the same way, to the same server;
        // only an IPv4 outer header's identification (and so its checksum) differs.
        for (var again = 0; again < 3; again++)
        {
            var next = Assert.Single(Send(_front, sent).Back);
            if (!v6)
            {
                Assert.Equal(0xffff, (int)Sum(next.AsSpan(14, 20), 0));
                f.AsSpan(14 + 4, 2).CopyTo(next.AsSpan(14 + 4));
                f.AsSpan(14 + 10, 2).CopyTo(next.AsSpan(14 + 10));
            }
            Assert.Equal(f, next);
        }
        Assert.Equal((1L, 4L), (_dp.LbCounters.Flows, _dp.LbCounters.Forwarded));
    }

    private const ulong RouterA = 0x02_cc_00_00_00_0a, RouterB = 0x02_cc_00_00_00_0b;

    // Routers A (10.1.0.250) and B (10.1.0.251) on "back"; 10.9.0.0/24 through A; returns a server there (10.9.0.7).
    private uint ServerBehindRouterA()
    {
        _dp.AddNeighbor("back", Ip4.Parse("10.1.0.250"), RouterA);
        _dp.AddNeighbor("back", Ip4.Parse("10.1.0.251"), RouterB);
        _dp.AddRoute(Ip4.Parse("10.9.0.0"), 24, Fib.RouteKind.NextHop, Ip4.Parse("10.1.0.250"));
        return Ip4.Parse("10.9.0.7");
    }

    [Fact]
    public void An_established_nat_flow_passes_the_output_acl_and_follows_route_changes_to_its_server()
    {
        // A server behind a router: the flow's packets go by the server's kept route, through the egress ACL.
        var remote = ServerBehindRouterA();
        _dp.SetLoadBalancer(new LbConfig { Vips = [LbVip.V4(Vip, LbMode.Nat, [LbServer.V4(remote)], Tcp, 80, targetPort: 8080)] });
        var first = ToServer(FromClient(32000));
        Assert.Equal(("10.9.0.7:8080", RouterA), (first.To, Ethernet.Destination(first.Frame)));
        var next = FromClient(32000, Ack);
        Assert.Equal(RouterA, Ethernet.Destination(ToServer(next).Frame));
        _dp.AddRoute(remote, 32, Fib.RouteKind.NextHop, Ip4.Parse("10.1.0.251"));
        Assert.Equal(RouterB, Ethernet.Destination(ToServer(next).Frame));
        _dp.DeleteRoute(remote, 32);
        Assert.Equal(RouterA, Ethernet.Destination(ToServer(next).Frame));
        // An output ACL on the servers' side sees the flow's translated packets.
        _dp.SetAcl("no-8080", [AclRule.Ip4(AclAction.Deny, destination: "10.9.0.7", destinationLength: 32) with { Protocol = Tcp }, new AclRule(AclAction.Permit)]);
        _dp.AttachAcls("back", [], ["no-8080"]);
        Assert.Empty(Send(_front, next).Back);
        _dp.AttachAcls("back", [], []);
        Assert.Equal("10.9.0.7:8080", ToServer(next).To);
        Assert.Equal(1, _dp.DropCount(DropReason.AclDeny));
        Assert.Equal((1L, 6L), (_dp.LbCounters.Flows, _dp.LbCounters.Forwarded)); // the denied packet too: the ACL dropped it after
    }

    [Fact]
    public void An_ipv6_vips_established_flow_follows_route_changes_to_its_server()
    {
        _dp.AddNeighbor6("back", Ip6.Parse("2001:db8:b::250"), RouterA);
        _dp.AddNeighbor6("back", Ip6.Parse("2001:db8:b::251"), RouterB);
        _dp.AddRoute6(Ip6.Parse("2001:db8:9::"), 64, Fib.RouteKind.NextHop, Ip6.Parse("2001:db8:b::250"));
        var remote = Ip6.Parse("2001:db8:9::7");
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip6Source = Ip6.Parse("2001:db8:b::1"),
            Vips = [new LbVip(Ip6.Parse("2001:db8:f::80"), 128, LbMode.IpIp6, [new LbServer(remote)], Tcp, 443)],
        });
        var f = Tcp6ToVip(6000, Ack);
        ulong Hop()
        {
            var got = Assert.Single(Send(_front, f).Back);
            Assert.Equal(remote, Ip6.Destination(got.AsSpan(14)));
            return Ethernet.Destination(got);
        }
        Assert.Equal(RouterA, Hop());
        Assert.Equal(RouterA, Hop());
        _dp.AddRoute6(remote, 128, Fib.RouteKind.NextHop, Ip6.Parse("2001:db8:b::251"));
        Assert.Equal(RouterB, Hop());
        _dp.DeleteRoute6(remote, 128);
        Assert.Equal(RouterA, Hop());
        Assert.Equal(1L, _dp.LbCounters.Flows);
    }

    [Theory]
    [InlineData(LbMode.Nat)]
    [InlineData(LbMode.Gre4)]
    public void A_new_flows_packets_that_arrive_together_go_to_one_server_as_one_flow(LbMode mode)
    {
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip4Source = Ip4.Parse("10.1.0.1"),
            Vips = [LbVip.V4(Vip, mode, [LbServer.V4(Server(1)), LbServer.V4(Server(2)), LbServer.V4(Server(3))], Tcp, 80)],
        });
        var frames = Enumerable.Range(0, 6).Select(i => FromClient((ushort)(42000 + i % 2), i < 2 ? Syn : Ack)).ToArray();
        var (_, back) = Send(_front, frames);
        Assert.Equal(6, back.Count);
        // Each flow's packets all went to its server.
        for (var flow = 0; flow < 2; flow++)
            Assert.Single(back.Where((_, i) => i % 2 == flow).Select(f => Ethernet.Destination(f)).Distinct());
        Assert.Equal((2L, 6L), (_dp.LbCounters.Flows, _dp.LbCounters.Forwarded));
        Assert.Equal(0, _dp.DropCount(DropReason.LbNoFlow));
    }

    [Fact]
    public void An_established_tunnel_flow_follows_changes_of_the_route_to_its_server_and_of_its_interface()
    {
        // Servers behind a router on "back"; the load balancer keeps each server's route between packets.
        var remote = ServerBehindRouterA();
        _dp.SetLoadBalancer(new LbConfig { Ip4Source = Ip4.Parse("10.1.0.1"), Vips = [LbVip.V4(Vip, LbMode.IpIp4, [LbServer.V4(remote)])] });
        var sent = FromClient(31000, Ack);
        ulong Hop() => Ethernet.Destination(Assert.Single(Send(_front, sent).Back));
        Assert.Equal(RouterA, Hop());
        Assert.Equal(RouterA, Hop()); // established
        _dp.AddRoute(remote, 32, Fib.RouteKind.NextHop, Ip4.Parse("10.1.0.251"));
        Assert.Equal(RouterB, Hop());
        _dp.DeleteRoute(remote, 32);
        Assert.Equal(RouterA, Hop());
        _dp.AddRoute(remote, 32, Fib.RouteKind.Blackhole);
        Assert.Empty(Send(_front, sent).Back);
        Assert.Equal(1, _dp.DropCount(DropReason.BlackholeRoute));
        _dp.DeleteRoute(remote, 32);
        Assert.Equal(RouterA, Hop());
        Assert.Equal(1L, _dp.LbCounters.Flows);
    }

    [Theory]
    [InlineData(LbMode.IpIp4)]
    [InlineData(LbMode.Gre4)]
    public void Two_level_dsr_takes_the_tunnel_off_towards_the_pod_which_gets_the_clients_packet(LbMode mode)
    {
        _dp.SetLoadBalancer(new LbConfig { Ip4Source = Ip4.Parse("10.1.0.1"), Vips = [LbVip.V4(Vip, mode, [LbServer.V4(Server(1)), LbServer.V4(Server(2))])] });
        _dp.SetDsrDecap("back", true);
        var sent = FromClient(24680);
        var (_, back) = Send(_front, sent);
        var got = Assert.Single(back);
        var pod = Ethernet.Destination(got);
        Assert.Contains(pod, new[] { MacServer(1), MacServer(2) });
        // The client's packet itself, to the VIP, one hop further (TTL 63, checksum updated).
        var ip = got.AsSpan(14);
        Assert.Equal(Ip4.Parse("10.0.0.2"), Ip4.Source(ip));
        Assert.Equal(Vip, Ip4.Destination(ip));
        Assert.Equal(63, Ip4.Ttl(ip));
        Assert.Equal(0xffff, (int)Sum(ip[..20], 0));
        Assert.Equal(sent.AsSpan(34).ToArray(), ip[20..].ToArray());
        // The pod answers from the VIP straight to the client: the load balancer passes it as any routed packet.
        var (front, _) = Send(_back, Packet(MacBack, pod, "192.0.2.100", 80, "10.0.0.2", 24680, Tcp, SynAck));
        Assert.Equal("192.0.2.100:80", Read(Assert.Single(front)).From);
        Assert.Equal(0, _dp.LbCounters.Returned);
        // Not marked: the tunnel reaches the pod as it is (a new flow's and the established flow's packets).
        _dp.SetDsrDecap("back", false);
        (_, back) = Send(_front, FromClient(24681));
        Assert.Equal(mode == LbMode.IpIp4 ? 4 : 47, Assert.Single(back)[14 + 9]);
        (_, back) = Send(_front, FromClient(24680, Ack));
        Assert.Equal(mode == LbMode.IpIp4 ? 4 : 47, Assert.Single(back)[14 + 9]);
    }

    [Fact]
    public void L3_dsr_rewrites_the_destination_and_dscp_with_checksums_kept()
    {
        _dp.SetLoadBalancer(new LbConfig { Vips = [LbVip.V4(Vip, LbMode.L3Dsr, [LbServer.V4(Server(1)), LbServer.V4(Server(2))]) with { Dscp = 46 }] });
        var s = ToServer(FromClient(23456));
        Assert.Contains(ServerOf(s), new[] { 1, 2 });
        Assert.Equal(80, s.DestinationPort);
        Assert.Equal(46 << 2, s.Frame[15]);
        // The flow's next packets (established: the lean path) go the same way, checksums kept.
        for (var again = 0; again < 2; again++)
        {
            var next = ToServer(FromClient(23456, Ack));
            Assert.Equal((s.To, s.From, 46 << 2, MacServer(ServerOf(s))), (next.To, next.From, (int)next.Frame[15], Ethernet.Destination(next.Frame)));
            AssertChecksums(next.Frame.AsSpan(14));
        }
        Assert.Equal((1L, 3L), (_dp.LbCounters.Flows, _dp.LbCounters.Forwarded));
    }

    // A TCP segment (no checksum: nothing on the way checks it) from the client 2001:db8:a::2 to 2001:db8:f::80 port 443.
    private static byte[] Tcp6ToVip(ushort sport, byte flags)
    {
        var f = new byte[14 + 40 + 20];
        Ethernet.WriteHeader(f, MacFront, MacClient, Ethernet.TypeIp6);
        Ip6.WriteHeader(f.AsSpan(14), 20, Tcp, 64, Ip6.Parse("2001:db8:a::2"), Ip6.Parse("2001:db8:f::80"));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(54), sport);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(56), 443);
        f[66] = 0x50;
        f[67] = flags;
        return f;
    }

    [Fact]
    public void An_ipv6_vip_goes_to_its_servers_in_ip_in_ipv6()
    {
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip6Source = Ip6.Parse("2001:db8:b::1"),
            Vips = [new LbVip(Ip6.Parse("2001:db8:f::80"), 128, LbMode.IpIp6, [new LbServer(Ip6.Parse("2001:db8:b::11")), new LbServer(Ip6.Parse("2001:db8:b::12"))], Tcp, 443)],
        });
        var f = Tcp6ToVip(5555, Syn);
        var (_, back) = Send(_front, f);
        var outer = Assert.Single(back).AsSpan(14);
        Assert.Equal(41, Ip6.NextHeader(outer));
        Assert.Contains(Ip6.Destination(outer), new[] { Ip6.Parse("2001:db8:b::11"), Ip6.Parse("2001:db8:b::12") });
        Assert.Equal(f.AsSpan(14).ToArray(), outer[40..].ToArray());
        // The flow's next packets go to the same server: one sticky entry (no session: no reply comes through here).
        f[67] = Ack;
        for (var again = 0; again < 3; again++)
            Assert.Equal(Ip6.Destination(outer), Ip6.Destination(Assert.Single(Send(_front, f).Back).AsSpan(14)));
        Assert.Equal((1L, 1L, 4L), (_dp.LbCounters.Flows, _dp.LbCounters.Created, _dp.LbCounters.Forwarded));
        Assert.True(_dp.Workers[0].LbFlows is { HasSticky6: true, HasSix: false });
        // Another port of the address is not the VIP's: routed as usual (no route: dropped, nothing to the servers).
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(56), 22);
        Assert.Empty(Send(_front, f).Back);
    }

    [Fact]
    public void Every_mode_and_the_nat_answers_decode_correctly_in_scapy()
    {
        UInt128 server4 = Ip6.Mapped(Server(1)), server6 = Ip6.Parse("2001:db8:b::11");
        LbVip Vip4(string vip, LbMode mode, UInt128 server) => LbVip.V4(Ip4.Parse(vip), mode, [new LbServer(server)]);
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip4Source = Ip4.Parse("10.1.0.1"),
            Ip6Source = Ip6.Parse("2001:db8:b::1"),
            LocalAddresses = [Ip4.Parse("10.1.0.200")],
            LocalAddresses6 = [Ip6.Parse("2001:db8:b::200")],
            Vips =
            [
                Vip4("192.0.2.101", LbMode.Gre4, server4), Vip4("192.0.2.102", LbMode.IpIp4, server4),
                Vip4("192.0.2.103", LbMode.Gre6, server6), Vip4("192.0.2.104", LbMode.IpIp6, server6),
                Vip4("192.0.2.105", LbMode.L3Dsr, server4) with { Dscp = 46 },
                LbVip.V4(Ip4.Parse("192.0.2.106"), LbMode.Nat, [new LbServer(server4)], Tcp, 80, targetPort: 8080),
                new LbVip(Ip6.Parse("2001:db8:f::80"), 128, LbMode.IpIp6, [new LbServer(server6)], Tcp, 443),
                LbVip.V4(Ip4.Parse("192.0.2.107"), LbMode.FullNat, [new LbServer(server4)], Tcp, 80, targetPort: 8080),
                new LbVip(Ip6.Parse("2001:db8:f::81"), 128, LbMode.FullNat, [new LbServer(server6)], Tcp, 80, TargetPort: 8080),
                new LbVip(Ip6.Parse("2001:db8:f::82"), 128, LbMode.Nat, [new LbServer(server6)], Tcp, 80, TargetPort: 8080),
            ],
        });
        var dir = Directory.CreateTempSubdirectory("dataplane-lb-").FullName;
        try
        {
            foreach (var (step, input, on, output, sent) in new[] { ("step1", "", _front, "", _back), ("step2", "1-front.pcap", _front, "1-back-sent.pcap", _back), ("check", "2-back.pcap", _back, "2-front-sent.pcap", _front) })
            {
                if (input != "")
                {
                    _front.Clear();
                    _back.Clear();
                    foreach (var f in PcapFile.Read(Path.Combine(dir, input))) on.Inject(f);
                    _dp.PollOnce();
                    PcapFile.Write(Path.Combine(dir, output), sent.Sent.Where(f => Ethernet.Type(f) != Ethernet.TypeArp));
                }
                var (code, text) = GoldenScript.Run("lb.py", $"{step} {dir}");
                Assert.True(code == 0, text);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bad_configurations_are_refused_whole()
    {
        _dp.SetLoadBalancer(Nat(1, 2));
        void Refused(LbConfig c, string words) => Assert.Contains(words, Assert.Throws<DataplaneException>(() => _dp.SetLoadBalancer(c)).Message);
        var ok = Nat(1, 2).Vips[0];
        Refused(new LbConfig { Vips = [ok, ok] }, "defined twice");
        Refused(new LbConfig { Vips = [ok with { TableSize = 65536 }] }, "not a prime");
        Refused(new LbConfig { Vips = [ok with { Mode = LbMode.Gre4, TargetPort = 0 }] }, "needs the IPv4 tunnel source");
        Refused(new LbConfig { Ip6Source = Ip6.Parse("2001:db8:b::1"), Vips = [ok with { Mode = LbMode.Gre6, TargetPort = 0 }] }, "not an IPv6 address");
        Refused(new LbConfig { Vips = [ok with { Protocol = 0, Port = 0 }] }, "NAT mode needs");
        Refused(new LbConfig { Vips = [ok with { Port = 0 }] }, "a port needs a protocol");
        Refused(new LbConfig { Vips = [ok with { Servers = [LbServer.V4(Server(1)), LbServer.V4(Server(1))] }] }, "named twice");
        Refused(new LbConfig { Vips = [ok with { Servers = [LbServer.V4(Server(1), -1)] }] }, "weight");
        Refused(new LbConfig { Vips = [ok with { Length = 120 }] }, "not a prefix");
        Refused(new LbConfig { Vips = [ok with { Mode = LbMode.L3Dsr }] }, "target port is for NAT mode");
        var fullNat6 = new LbVip(Ip6.Parse("2001:db8:f::80"), 128, LbMode.FullNat, [new LbServer(Ip6.Parse("2001:db8:b::11"))], Tcp, 80);
        Refused(new LbConfig { LocalAddresses = [Ip4.Parse("10.1.0.200")], Vips = [fullNat6] }, "full NAT needs local IPv6 addresses");
        Refused(new LbConfig { LocalAddresses6 = [Ip6.Parse("ff02::1")], Vips = [fullNat6] }, "not a unicast IPv6 address");
        Refused(new LbConfig { LocalAddresses6 = [Ip6.Mapped(Ip4.Parse("10.1.0.200"))], Vips = [fullNat6] }, "not a unicast IPv6 address");
        Refused(new LbConfig { LocalAddresses6 = [Ip6.Parse("2001:db8:b::200")], Vips = [fullNat6 with { Mode = LbMode.L3Dsr }] }, "for IPv4 VIPs");
        Refused(Nat(1) with { FlowsPerWorker = 0 }, "flows per worker");
        Assert.Equal([Ip6.Mapped(Server(1)), Ip6.Mapped(Server(2))], _dp.LoadBalancer!.Vips.Single().Servers.Select(x => x.Address));
        // Off: the VIP is nobody's, its packets are routed as any (here: no route, nothing reaches the servers).
        _dp.SetLoadBalancer(null);
        Assert.Empty(Send(_front, FromClient(60000)).Back);
    }

    private static LbConfig FullNat(params int[] servers) => new()
    {
        LocalAddresses = [Ip4.Parse("10.1.0.200"), Ip4.Parse("10.1.0.201")],
        Vips = [LbVip.V4(Vip, LbMode.FullNat, [.. servers.Select(n => LbServer.V4(Server(n)))], Tcp, 80, targetPort: 8080)],
    };

    [Fact]
    public void Full_nat_sends_from_a_local_address_and_the_servers_answer_reaches_the_client_from_the_vip()
    {
        _dp.SetLoadBalancer(FullNat(1, 2, 3));
        var used = new HashSet<string>();
        for (ushort port = 21000; port < 21050; port++)
        {
            var s = ToServer(FromClient(port));
            Assert.Matches(@"^10\.1\.0\.20[01]:\d+$", s.From); // the server sees the load balancer, not the client
            Assert.Equal(8080, s.DestinationPort);
            used.Add($"{s.From} -> {s.To}");
            var (front, back) = Send(_back, Packet(MacBack, MacServer(ServerOf(s)), Ip4.Format(s.Destination), 8080, Ip4.Format(s.Source), s.SourcePort, Tcp, SynAck));
            Assert.Empty(back);
            var r = Read(Assert.Single(front));
            Assert.Equal("192.0.2.100:80", r.From);
            Assert.Equal($"10.0.0.2:{port}", r.To);
        }
        Assert.Equal(50, used.Count); // a local endpoint per flow towards each server (two servers may see the same one)
        // The server side asks for the local addresses by ARP: the load balancer answers.
        Send(_back, Frames.ArpRequest(MacServer(1), "10.1.0.11", "10.1.0.200"));
        Assert.Single(_back.Sent);
        Assert.Contains("full NAT needs local IPv4 addresses", Assert.Throws<DataplaneException>(() => _dp.SetLoadBalancer(FullNat(1) with { LocalAddresses = [] })).Message);
    }

    [Fact]
    public void With_two_workers_full_nat_answers_reach_the_worker_of_their_flow()
    {
        using var t = new LoadBalancerTests(workers: 2);
        t._dp.SetLoadBalancer(FullNat(1, 2, 3));
        for (ushort port = 22000; port < 22100; port++)
        {
            var s = t.ToServer(FromClient(port));
            var (front, _) = t.Send(t._back, Packet(MacBack, MacServer(ServerOf(s)), Ip4.Format(s.Destination), 8080, Ip4.Format(s.Source), s.SourcePort, Tcp, SynAck));
            Assert.Equal($"10.0.0.2:{port}", Read(Assert.Single(front)).To);
        }
        Assert.True(t._dp.Workers.All(w => w.LbFlows!.Four!.Count > 0), "both workers hold flows");
    }

    [Fact]
    public void With_two_workers_nat_replies_meet_their_flows_also_from_a_server_on_a_port_of_its_own()
    {
        using var t = new LoadBalancerTests(workers: 2);
        t._dp.SetLoadBalancer(Nat(1, 2, 3) with
        {
            Vips = [Nat(1, 2, 3).Vips[0] with { Servers = [LbServer.V4(Server(1), port: 9090), LbServer.V4(Server(2)), LbServer.V4(Server(3))] }],
        });
        for (ushort port = 20000; port < 20100; port++)
        {
            var s = t.ToServer(FromClient(port));
            Assert.Equal(ServerOf(s) == 1 ? 9090 : 8080, s.DestinationPort);
            var (front, _) = t.Send(t._back, Packet(MacBack, MacServer(ServerOf(s)), Ip4.Format(s.Destination), s.DestinationPort, "10.0.0.2", port, Tcp, SynAck));
            Assert.Equal("192.0.2.100:80", Read(Assert.Single(front)).From);
        }
        Assert.True(t._dp.Workers.All(w => w.LbFlows!.Four!.Count > 0), "both workers hold flows");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_client_port_used_towards_two_vips_of_one_server_gets_a_port_of_its_own_for_the_second(int workers)
    {
        using var t = new LoadBalancerTests(workers);
        t._dp.SetLoadBalancer(new LbConfig
        {
            Vips =
            [
                LbVip.V4(Vip, LbMode.Nat, [LbServer.V4(Server(1))], Tcp, 80, targetPort: 8080),
                LbVip.V4(Ip4.Parse("192.0.2.101"), LbMode.Nat, [LbServer.V4(Server(1))], Tcp, 80, targetPort: 8080),
            ],
        });
        // Client ports below the range ports of their own come from (1024 and up): an earlier second flow's port
        // cannot be a later client's, whose first flow would then rightly get a port of its own too.
        for (ushort port = 600; port < 620; port++)
        {
            var first = t.ToServer(FromClient(port));
            var second = t.ToServer(FromClient(port, dst: "192.0.2.101"));
            Assert.Equal(($"10.0.0.2:{port}", "10.1.0.11:8080"), (first.From, first.To));
            Assert.Equal(("10.0.0.2", "10.1.0.11:8080"), (Ip4.Format(second.Source), second.To));
            Assert.NotEqual(port, second.SourcePort); // the server could not tell the two flows' answers apart otherwise
            // Each answer comes back from its own VIP to the client's own port, on whichever worker holds its flow.
            foreach (var (got, vip) in new[] { (first, "192.0.2.100:80"), (second, "192.0.2.101:80") })
            {
                var (front, _) = t.Send(t._back, Packet(MacBack, MacServer(1), "10.1.0.11", 8080, "10.0.0.2", got.SourcePort, Tcp, SynAck));
                var answer = Read(Assert.Single(front));
                Assert.Equal((vip, $"10.0.0.2:{port}"), (answer.From, answer.To));
            }
            // The second flow keeps its port.
            Assert.Equal(second.SourcePort, t.ToServer(FromClient(port, Ack, dst: "192.0.2.101")).SourcePort);
        }
        Assert.Equal(0, t._dp.DropCount(DropReason.LbNoFlow));
    }

    [Fact]
    public void Later_fragments_follow_their_first_in_tunnel_dsr_and_nat_modes_and_without_it_are_dropped()
    {
        LbServer[] three = [LbServer.V4(Server(1)), LbServer.V4(Server(2)), LbServer.V4(Server(3))];
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip4Source = Ip4.Parse("10.1.0.1"),
            Vips =
            [
                LbVip.V4(Ip4.Parse("192.0.2.101"), LbMode.Gre4, three),
                LbVip.V4(Ip4.Parse("192.0.2.105"), LbMode.L3Dsr, three) with { Dscp = 46 },
                LbVip.V4(Vip, LbMode.Nat, three, Udp, 53, targetPort: 5353),
            ],
        });
        for (ushort i = 0; i < 12; i++)
        {
            // GRE: both fragments to one server, each carried as it came (the second on the lean path's record too,
            // from the second datagram on: its flow is established).
            var (first, second) = Fragmented(MacFront, MacClient, "10.0.0.2", (ushort)(9000 + i % 3), "192.0.2.101", 53, (ushort)(0x4000 + i));
            var a = Assert.Single(Send(_front, first).Back);
            var b = Assert.Single(Send(_front, second).Back);
            Assert.Equal(Ip4.Destination(a.AsSpan(14)), Ip4.Destination(b.AsSpan(14)));
            Assert.Equal(second.AsSpan(14).ToArray(), b.AsSpan(14 + 24).ToArray());
            // L3 DSR: the second gets the first's server and the VIP's DSCP, its data untouched.
            (first, second) = Fragmented(MacFront, MacClient, "10.0.0.2", (ushort)(9100 + i), "192.0.2.105", 53, (ushort)(0x5000 + i));
            var c = Read(Assert.Single(Send(_front, first).Back));
            var d = Assert.Single(Send(_front, second).Back);
            AssertChecksums(d.AsSpan(14));
            Assert.Equal((c.Destination, (byte)(46 << 2)), (Ip4.Destination(d.AsSpan(14)), d[15]));
            Assert.Equal(second.AsSpan(34).ToArray(), d.AsSpan(34).ToArray());
        }
        // NAT: the second fragment goes to the first's server, and the server's fragmented answer comes back from
        // the VIP in both its fragments.
        var (f1, f2) = Fragmented(MacFront, MacClient, "10.0.0.2", 9200, "192.0.2.100", 53, 0x6000);
        var toServer = Read(Assert.Single(Send(_front, f1).Back));
        Assert.Equal(5353, toServer.DestinationPort);
        var rest = Assert.Single(Send(_front, f2).Back).AsSpan(14);
        AssertChecksums(rest);
        Assert.Equal((toServer.Source, toServer.Destination), (Ip4.Source(rest), Ip4.Destination(rest)));
        var server = Ip4.Format(toServer.Destination);
        var (r1, r2) = Fragmented(MacBack, MacServer((int)(toServer.Destination - Server(0))), server, 5353, "10.0.0.2", 9200, 0x7000);
        var back1 = Read(Assert.Single(Send(_back, r1).Front));
        Assert.Equal(("192.0.2.100:53", "10.0.0.2:9200"), (back1.From, back1.To));
        var back2 = Assert.Single(Send(_back, r2).Front).AsSpan(14);
        AssertChecksums(back2);
        Assert.Equal(("192.0.2.100", "10.0.0.2"), (Ip4.Format(Ip4.Source(back2)), Ip4.Format(Ip4.Destination(back2))));
        // The answer put back together sums right (the first fragment's UDP checksum covers the whole datagram).
        var datagram = back1.Frame.AsSpan(14).ToArray().Concat(back2[20..].ToArray()).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)datagram.Length);
        datagram[6] = datagram[7] = datagram[10] = datagram[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(10), (ushort)~Sum(datagram.AsSpan(0, 20), 0));
        AssertChecksums(datagram);
        Assert.Equal(0, _dp.DropCount(DropReason.LbFragment));
        // A later fragment whose first was not seen: dropped, to a VIP with a port too.
        var (_, orphan) = Fragmented(MacFront, MacClient, "10.0.0.2", 9300, "192.0.2.100", 53, 0x6001);
        Assert.Empty(Send(_front, orphan).Back);
        (_, orphan) = Fragmented(MacFront, MacClient, "10.0.0.2", 9300, "192.0.2.101", 53, 0x6002);
        Assert.Empty(Send(_front, orphan).Back);
        Assert.Equal(2, _dp.DropCount(DropReason.LbFragment));
    }

    [Theory]
    [InlineData(1, Tcp)]
    [InlineData(2, Tcp)]
    [InlineData(2, Udp)]
    public void An_ipv6_nat_vip_spreads_flows_and_its_servers_answer_from_the_vip(int workers, byte proto)
    {
        using var t = new LoadBalancerTests(workers);
        const string vip = "2001:db8:f::80", client = "2001:db8:a::2";
        UInt128[] servers = [Ip6.Parse("2001:db8:b::11"), Ip6.Parse("2001:db8:b::12"), Ip6.Parse("2001:db8:b::13")];
        t._dp.SetLoadBalancer(new LbConfig { Vips = [new LbVip(Ip6.Parse(vip), 128, LbMode.Nat, [.. servers.Select(a => new LbServer(a))], proto, 80, TargetPort: 8080)] });
        var used = new HashSet<UInt128>();
        for (ushort port = 33000; port < 33040; port++)
        {
            var got = Assert.Single(t.Send(t._front, Packet6(MacFront, MacClient, client, port, vip, 80, proto)).Back).AsSpan(14);
            AssertChecksum6(got);
            Assert.Contains(Ip6.Destination(got), servers);
            Assert.Equal((Ip6.Parse(client), port, (ushort)8080), (Ip6.Source(got), BinaryPrimitives.ReadUInt16BigEndian(got[40..]), BinaryPrimitives.ReadUInt16BigEndian(got[42..])));
            var data = 40 + (proto == Tcp ? 20 : 8);
            Assert.Equal(Packet6(0, 0, client, port, vip, 80, proto).AsSpan(14 + data).ToArray(), got[data..].ToArray()); // the data untouched
            used.Add(Ip6.Destination(got));
            // The server's answer, on whichever worker: from the VIP's address and port, to the client's.
            var answer = Assert.Single(t.Send(t._back, Packet6(MacBack, MacServer(1), Ip6.Format(Ip6.Destination(got)), 8080, client, port, proto, SynAck)).Front).AsSpan(14);
            AssertChecksum6(answer);
            Assert.Equal((Ip6.Parse(vip), (ushort)80, Ip6.Parse(client), port),
                (Ip6.Source(answer), BinaryPrimitives.ReadUInt16BigEndian(answer[40..]), Ip6.Destination(answer), BinaryPrimitives.ReadUInt16BigEndian(answer[42..])));
        }
        Assert.True(used.Count > 1, "Maglev spreads the flows");
        var c = t._dp.LbCounters;
        Assert.Equal((40L, 40L, 40L), (c.Flows, c.Forwarded, c.Returned));
        if (workers > 1) Assert.True(t._dp.Workers.All(x => x.LbFlows!.Six.Count > 0), "both workers hold flows");
        // Without a server that takes new flows: a TCP reset from the VIP (acknowledging the SYN and its 12 bytes),
        // ICMPv6 port unreachable (type 1 code 4) for UDP.
        t._dp.SetLoadBalancer(new LbConfig { Vips = [new LbVip(Ip6.Parse(vip), 128, LbMode.Nat, [new LbServer(servers[0], 0)], proto, 80, TargetPort: 8080)] });
        var refusal = Assert.Single(t.Send(t._front, Packet6(MacFront, MacClient, client, 34000, vip, 80, proto)).Front).AsSpan(14);
        if (proto == Udp) Assert.Equal((58, 1, 4), (refusal[6], refusal[40], refusal[41]));
        else
        {
            AssertChecksum6(refusal);
            Assert.Equal((Ip6.Parse(vip), Ip6.Parse(client), (ushort)80, (ushort)34000), (Ip6.Source(refusal), Ip6.Destination(refusal),
                BinaryPrimitives.ReadUInt16BigEndian(refusal[40..]), BinaryPrimitives.ReadUInt16BigEndian(refusal[42..])));
            Assert.Equal((0u, 1013u, (byte)0x14), (BinaryPrimitives.ReadUInt32BigEndian(refusal[44..]), BinaryPrimitives.ReadUInt32BigEndian(refusal[48..]), refusal[53]));
        }
    }

    // An IPv6 UDP datagram (32 bytes of data) in two fragments (RFC 8200 4.5): the UDP header and 16 bytes, then the last 16.
    private static (byte[] First, byte[] Second) Fragmented6(ulong dstMac, ulong srcMac, string src, ushort sport, string dst, ushort dport, uint id)
    {
        var whole = Packet6(dstMac, srcMac, src, sport, dst, dport, Udp); // 12 bytes of data; rebuilt with 32 below
        var udp = new byte[8 + 32];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        for (var i = 0; i < 32; i++) udp[8 + i] = (byte)(0x60 + i);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), (ushort)~Sum(udp, Sum(whole.AsSpan(14 + 8, 32), 0) + Udp + (uint)udp.Length));
        byte[] Part(int from, int length, bool more)
        {
            var f = new byte[14 + 40 + 8 + length];
            whole.AsSpan(0, 14 + 40).CopyTo(f);
            var ip = f.AsSpan(14);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(8 + length));
            ip[6] = 44;
            ip[40] = Udp;
            BinaryPrimitives.WriteUInt16BigEndian(ip[42..], (ushort)(from / 8 << 3 | (more ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(ip[44..], id);
            udp.AsSpan(from, length).CopyTo(ip[48..]);
            return f;
        }
        return (Part(0, 24, more: true), Part(24, 16, more: false));
    }

    [Fact]
    public void Ipv6_later_fragments_follow_their_first_in_nat_and_tunnel_modes()
    {
        const string client = "2001:db8:a::2";
        UInt128[] servers = [Ip6.Parse("2001:db8:b::11"), Ip6.Parse("2001:db8:b::12"), Ip6.Parse("2001:db8:b::13")];
        _dp.SetLoadBalancer(new LbConfig
        {
            Ip6Source = Ip6.Parse("2001:db8:b::1"),
            Vips =
            [
                new LbVip(Ip6.Parse("2001:db8:f::53"), 128, LbMode.Nat, [.. servers.Select(a => new LbServer(a))], Udp, 53, TargetPort: 5353),
                new LbVip(Ip6.Parse("2001:db8:f::54"), 128, LbMode.IpIp6, [.. servers.Select(a => new LbServer(a))]),
            ],
        });
        for (uint i = 0; i < 8; i++)
        {
            // NAT: the first fragment to a server's port 5353 (its checksum, over the whole datagram, updated); the
            // second to the same server, its data untouched.
            var (first, second) = Fragmented6(MacFront, MacClient, client, (ushort)(7000 + i), "2001:db8:f::53", 53, 0x100 + i);
            var a = Assert.Single(Send(_front, first).Back).AsSpan(14);
            var b = Assert.Single(Send(_front, second).Back).AsSpan(14);
            Assert.Contains(Ip6.Destination(a), servers);
            Assert.Equal((Ip6.Parse(client), Ip6.Destination(a), (ushort)5353), (Ip6.Source(b), Ip6.Destination(b), BinaryPrimitives.ReadUInt16BigEndian(a[50..])));
            Assert.Equal(second.AsSpan(14 + 40).ToArray(), b[40..].ToArray());
            // The datagram put back together sums right under its new addresses.
            var udp = a[48..].ToArray().Concat(b[48..].ToArray()).ToArray();
            Assert.Equal(0xffff, (int)Sum(udp, Sum(a.Slice(8, 32), 0) + Udp + (uint)udp.Length));
            // IP in IPv6: both fragments to one server, as they came.
            (first, second) = Fragmented6(MacFront, MacClient, client, (ushort)(7100 + i), "2001:db8:f::54", 53, 0x200 + i);
            var c = Assert.Single(Send(_front, first).Back).AsSpan(14);
            var d = Assert.Single(Send(_front, second).Back).AsSpan(14);
            Assert.Equal(Ip6.Destination(c), Ip6.Destination(d));
            Assert.Equal(second.AsSpan(14).ToArray(), d[40..].ToArray());
        }
        // A later fragment whose first was not seen: dropped.
        var (_, orphan) = Fragmented6(MacFront, MacClient, client, 7200, "2001:db8:f::53", 53, 0x300);
        Assert.Empty(Send(_front, orphan).Back);
        Assert.Equal(1, _dp.DropCount(DropReason.LbFragment));
    }

    // An ICMPv6 error (type, code, 32-bit parameter) quoting a packet, its checksum summed here.
    private static byte[] Icmp6Error(ulong dstMac, ulong srcMac, UInt128 src, UInt128 dst, byte type, uint parameter, ReadOnlySpan<byte> quoted)
    {
        var f = new byte[14 + 40 + 8 + quoted.Length];
        Ethernet.WriteHeader(f, dstMac, srcMac, Ethernet.TypeIp6);
        var ip = f.AsSpan(14);
        Ip6.WriteHeader(ip, 8 + quoted.Length, 58, 64, src, dst);
        ip[40] = type;
        BinaryPrimitives.WriteUInt32BigEndian(ip[44..], parameter);
        quoted.CopyTo(ip[48..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[42..], (ushort)~Sum(ip[40..], Sum(ip.Slice(8, 32), 0) + 58 + (uint)(8 + quoted.Length)));
        return f;
    }

    [Fact]
    public void Icmpv6_errors_about_an_ipv6_nat_flow_reach_its_other_end_translated()
    {
        const string client = "2001:db8:a::2", vip = "2001:db8:f::80";
        var server = Ip6.Parse("2001:db8:b::11");
        _dp.SetLoadBalancer(new LbConfig { Vips = [new LbVip(Ip6.Parse(vip), 128, LbMode.Nat, [new LbServer(server)], Tcp, 80, TargetPort: 8080)] });
        var sent = Packet6(MacFront, MacClient, client, 35000, vip, 80, Tcp);
        var toServer = Assert.Single(Send(_front, sent).Back).AsSpan(14).ToArray();
        // A router between the load balancer and the server: the packet (as it left here) is too big for its next link.
        var router = Ip6.Parse("2001:db8:b::99");
        var tooBig = Icmp6Error(MacBack, MacServer(1), router, Ip6.Parse(client), 2, 1400, toServer);
        var (front, back) = Send(_back, tooBig);
        Assert.Empty(back);
        var e = Assert.Single(front).AsSpan(14);
        AssertChecksum6(e);
        Assert.Equal((router, Ip6.Parse(client), (byte)2, 1400u), (Ip6.Source(e), Ip6.Destination(e), e[40], BinaryPrimitives.ReadUInt32BigEndian(e[44..])));
        // It quotes the client's own packet: to the VIP's address and port, its checksum right (one hop on).
        static byte[] OneHopOn(byte[] frame)
        {
            var ip = frame.AsSpan(14).ToArray();
            ip[7]--;
            return ip;
        }
        Assert.Equal(OneHopOn(sent), e[48..].ToArray());
        // The server itself answering port unreachable: from the VIP.
        var refused = Icmp6Error(MacBack, MacServer(1), server, Ip6.Parse(client), 1, 0, toServer);
        var r = Assert.Single(Send(_back, refused).Front).AsSpan(14);
        AssertChecksum6(r);
        Assert.Equal(Ip6.Parse(vip), Ip6.Source(r));
        // A router between the client and the VIP about the VIP's answer: to the server, about the server's own answer.
        var answer = Packet6(MacBack, MacServer(1), "2001:db8:b::11", 8080, client, 35000, Tcp, SynAck);
        var toClient = Assert.Single(Send(_back, answer).Front).AsSpan(14).ToArray();
        var unreachable = Icmp6Error(MacFront, MacClient, Ip6.Parse("2001:db8:a::99"), Ip6.Parse(vip), 1, 0, toClient);
        var u = Assert.Single(Send(_front, unreachable).Back).AsSpan(14);
        AssertChecksum6(u);
        Assert.Equal((Ip6.Parse("2001:db8:a::99"), server), (Ip6.Source(u), Ip6.Destination(u)));
        Assert.Equal(OneHopOn(answer), u[48..].ToArray());
    }

    private static readonly UInt128[] Locals6 = [Ip6.Parse("2001:db8:b::200"), Ip6.Parse("2001:db8:b::201")];

    private static LbConfig FullNat6(byte proto, params int[] servers) => new()
    {
        LocalAddresses6 = Locals6,
        Vips = [new LbVip(Ip6.Parse("2001:db8:f::81"), 128, LbMode.FullNat, [.. servers.Select(n => new LbServer(Ip6.Parse($"2001:db8:b::1{n}")))], proto, 80, TargetPort: 8080)],
    };

    [Theory]
    [InlineData(1, Tcp)]
    [InlineData(2, Tcp)]
    [InlineData(2, Udp)]
    public void An_ipv6_full_nat_vip_sends_from_a_local_address_and_the_servers_answer_reaches_the_client_from_the_vip(int workers, byte proto)
    {
        using var t = new LoadBalancerTests(workers);
        const string vip = "2001:db8:f::81";
        t._dp.SetLoadBalancer(FullNat6(proto, 1, 2, 3));
        t._dp.AddNeighbor6("front", Ip6.Parse("2001:db8:a::3"), MacClient);
        var endpoints = new HashSet<(UInt128, ushort, UInt128)>();
        var localOf = new Dictionary<string, UInt128>();
        for (ushort port = 36000; port < 36060; port++)
        {
            // Two clients: each has all its flows from one local address.
            var client = port % 2 == 0 ? "2001:db8:a::2" : "2001:db8:a::3";
            var got = Assert.Single(t.Send(t._front, Packet6(MacFront, MacClient, client, port, vip, 80, proto)).Back).AsSpan(14);
            AssertChecksum6(got);
            var (source, sourcePort, server, serverPort) = (Ip6.Source(got), BinaryPrimitives.ReadUInt16BigEndian(got[40..]), Ip6.Destination(got), BinaryPrimitives.ReadUInt16BigEndian(got[42..]));
            Assert.Contains(source, Locals6); // the server sees the load balancer, not the client
            Assert.Equal(8080, serverPort);
            Assert.True(endpoints.Add((source, sourcePort, server)), "a local endpoint per flow towards each server");
            Assert.Equal(localOf.TryAdd(client, source) ? source : localOf[client], source);
            var data = 40 + (proto == Tcp ? 20 : 8);
            Assert.Equal(Packet6(0, 0, client, port, vip, 80, proto).AsSpan(14 + data).ToArray(), got[data..].ToArray()); // the data untouched
            // The server's answer to the local endpoint, on whichever worker: from the VIP's address and port, to the client's.
            var answer = Assert.Single(t.Send(t._back, Packet6(MacBack, MacServer(1), Ip6.Format(server), 8080, Ip6.Format(source), sourcePort, proto, SynAck)).Front).AsSpan(14);
            AssertChecksum6(answer);
            Assert.Equal((Ip6.Parse(vip), (ushort)80, Ip6.Parse(client), port),
                (Ip6.Source(answer), BinaryPrimitives.ReadUInt16BigEndian(answer[40..]), Ip6.Destination(answer), BinaryPrimitives.ReadUInt16BigEndian(answer[42..])));
        }
        var c = t._dp.LbCounters;
        Assert.Equal((60L, 60L, 60L), (c.Flows, c.Forwarded, c.Returned));
        if (workers > 1) Assert.True(t._dp.Workers.All(x => x.LbFlows!.Six.Count > 0), "both workers hold flows");
        // An answer to a local endpoint no flow has: not the client's (nothing reaches the front).
        Assert.Empty(t.Send(t._back, Packet6(MacBack, MacServer(1), "2001:db8:b::11", 8080, "2001:db8:b::200", 9, proto, SynAck)).Front);
    }

    [Fact]
    public void Neighbors_find_the_full_nat_local_and_vip_ipv6_addresses()
    {
        _dp.SetLoadBalancer(FullNat6(Tcp, 1));
        foreach (var (target, unicast) in new[] { (Locals6[0], false), (Locals6[1], true), (Ip6.Parse("2001:db8:f::81"), false) })
        {
            var (_, back) = Send(_back, Solicitation(target, Ip6.Parse("2001:db8:b::11"), MacServer(1), unicast));
            var na = Assert.Single(back).AsSpan(14);
            Assert.Equal((Ip6.ProtoIcmp6, (byte)136, target), (Ip6.NextHeader(na), na[40], BinaryPrimitives.ReadUInt128BigEndian(na[48..])));
            Assert.Equal((target, Ip6.Parse("2001:db8:b::11")), (Ip6.Source(na), Ip6.Destination(na)));
            Assert.True(Ip6.UpperChecksumValid(na, na[40..(40 + Ip6.PayloadLength(na))], Ip6.ProtoIcmp6));
            Assert.Equal(MacBack, Ethernet.Read48(na[(40 + 26)..])); // the target link-layer address: the back interface's
        }
        // Another address on the link: not answered.
        Assert.Empty(Send(_back, Solicitation(Ip6.Parse("2001:db8:b::202"), Ip6.Parse("2001:db8:b::11"), MacServer(1), unicast: false)).Back);
    }

    // A neighbor solicitation (RFC 4861 §4.3) with the source link-layer address option: to the target's
    // solicited-node group, or to the target itself (a reachability probe).
    private static byte[] Solicitation(UInt128 target, UInt128 from, ulong fromMac, bool unicast)
    {
        var to = unicast ? target : Ip6.SolicitedNode(target);
        var f = new byte[14 + 40 + 32];
        Ethernet.WriteHeader(f, unicast ? MacBack : Ip6.MulticastMac(to), fromMac, Ethernet.TypeIp6);
        var ip = f.AsSpan(14);
        Ip6.WriteHeader(ip, 32, Ip6.ProtoIcmp6, 255, from, to);
        ip[40] = 135;
        BinaryPrimitives.WriteUInt128BigEndian(ip[48..], target);
        ip[64] = 1;
        ip[65] = 1;
        Ethernet.Write48(ip[66..], fromMac);
        BinaryPrimitives.WriteUInt16BigEndian(ip[42..], Ip6.UpperChecksum(ip, ip[40..], Ip6.ProtoIcmp6));
        return f;
    }

    [Fact]
    public void Full_nat_vips_without_servers_refuse_tcp_with_a_reset_and_errors_about_their_flows_reach_the_client()
    {
        // IPv4 and IPv6 full NAT, the only server drained: a reset from the VIP.
        _dp.SetLoadBalancer(FullNat(1) with { Vips = [FullNat(1).Vips[0] with { Servers = [LbServer.V4(Server(1), 0)] }] });
        var reset4 = Read(Assert.Single(Send(_front, FromClient(23000)).Front));
        Assert.Equal(("192.0.2.100:80", "10.0.0.2:23000"), (reset4.From, reset4.To));
        _dp.SetLoadBalancer(FullNat6(Tcp, 1) with { Vips = [FullNat6(Tcp, 1).Vips[0] with { Servers = [new LbServer(Ip6.Parse("2001:db8:b::11"), 0)] }] });
        var reset6 = Assert.Single(Send(_front, Packet6(MacFront, MacClient, "2001:db8:a::2", 23001, "2001:db8:f::81", 80, Tcp)).Front).AsSpan(14);
        AssertChecksum6(reset6);
        Assert.Equal((Ip6.Parse("2001:db8:f::81"), (byte)0x14), (Ip6.Source(reset6), reset6[53]));
        // The server refusing a full-NAT flow (ICMPv6 port unreachable about what it got): the client hears it from
        // the VIP, about its own packet.
        _dp.SetLoadBalancer(FullNat6(Tcp, 1));
        var sent = Packet6(MacFront, MacClient, "2001:db8:a::2", 23002, "2001:db8:f::81", 80, Tcp);
        var toServer = Assert.Single(Send(_front, sent).Back).AsSpan(14).ToArray();
        var refused = Icmp6Error(MacBack, MacServer(1), Ip6.Parse("2001:db8:b::11"), Ip6.Source(toServer), 1, 0, toServer);
        var e = Assert.Single(Send(_back, refused).Front).AsSpan(14);
        AssertChecksum6(e);
        Assert.Equal((Ip6.Parse("2001:db8:f::81"), Ip6.Parse("2001:db8:a::2")), (Ip6.Source(e), Ip6.Destination(e)));
        var quoted = sent.AsSpan(14).ToArray();
        quoted[7]--; // one hop on
        Assert.Equal(quoted, e[48..].ToArray());
    }

    // GRE over IPv4 for 192.0.2.101, IPv6 in IPv6 for 2001:db8:f::80, IPv6 in IPv4 for 2001:db8:f::90, GRE over
    // IPv6 for 192.0.2.103.
    private static LbConfig TunnelVips => new()
    {
        Ip4Source = Ip4.Parse("10.1.0.1"),
        Ip6Source = Ip6.Parse("2001:db8:b::1"),
        Vips =
        [
            LbVip.V4(Ip4.Parse("192.0.2.101"), LbMode.Gre4, [LbServer.V4(Server(1))]),
            new LbVip(Ip6.Parse("2001:db8:f::80"), 128, LbMode.IpIp6, [new LbServer(Ip6.Parse("2001:db8:b::11"))]),
            new LbVip(Ip6.Parse("2001:db8:f::90"), 128, LbMode.IpIp4, [LbServer.V4(Server(1))]),
            LbVip.V4(Ip4.Parse("192.0.2.103"), LbMode.Gre6, [new LbServer(Ip6.Parse("2001:db8:b::11"))]),
        ],
    };

    [Fact]
    public void A_client_packet_too_big_for_the_tunnel_hears_of_it_about_its_own_packet()
    {
        // The server side's link takes 1400 bytes: a 1400-byte packet in GRE (24 bytes more) does not fit.
        _dp.SetMtu("back", 1400);
        _dp.SetLoadBalancer(TunnelVips);
        // IPv4 with DF: "fragmentation needed" with the tunnel's room (1400 - 24), quoting the client's packet, from
        // the interface it came in on.
        var big = Frames.Udp(MacFront, MacClient, "10.0.0.2", "192.0.2.101", payload: 1400 - 28, dontFragment: true);
        var (front, back) = Send(_front, big);
        Assert.Empty(back);
        var e = Assert.Single(front).AsSpan(14);
        Assert.Equal((Ip4.Parse("10.0.0.1"), Ip4.Parse("10.0.0.2"), (byte)1, (byte)3, (byte)4, 1376),
            (Ip4.Source(e), Ip4.Destination(e), e[9], e[20], e[21], (int)BinaryPrimitives.ReadUInt16BigEndian(e[26..])));
        Assert.Equal(0, Checksum.Fold(Checksum.Sum(e[20..], 0)) ^ 0xffff);
        Assert.Equal(big.AsSpan(14, 28).ToArray(), e[28..56].ToArray());
        Assert.Equal(1, _dp.DropCount(DropReason.FragmentationNeeded));
        // Without DF: the outer packet is cut (both pieces within the link, the server puts them together).
        var (_, pieces) = Send(_front, Frames.Udp(MacFront, MacClient, "10.0.0.2", "192.0.2.101", payload: 1400 - 28));
        Assert.Equal(2, pieces.Count);
        Assert.All(pieces, f => Assert.True(f.Length - 14 <= 1400 && Ip4.Protocol(f.AsSpan(14)) == 47));
        // IPv6 in IPv6 (40 more): "packet too big" with 1360.
        var (front6, back6) = Send(_front, BigUdp6("2001:db8:a::2", "2001:db8:f::80", 1400));
        Assert.Empty(back6);
        var e6 = Assert.Single(front6).AsSpan(14);
        Assert.Equal((Ip6.Parse("2001:db8:a::1"), Ip6.Parse("2001:db8:a::2"), (byte)2, 1360u),
            (Ip6.Source(e6), Ip6.Destination(e6), e6[40], BinaryPrimitives.ReadUInt32BigEndian(e6[44..])));
        Assert.True(Ip6.UpperChecksumValid(e6, e6[40..], Ip6.ProtoIcmp6));
        // IPv6 in IPv4 within IPv6's minimum MTU (1280 on a link of 1290): the outer packet is cut instead.
        _dp.SetMtu("back", 1290);
        var (_, cut) = Send(_front, BigUdp6("2001:db8:a::2", "2001:db8:f::90", 1280));
        Assert.Equal(2, cut.Count);
        Assert.All(cut, f => Assert.True(f.Length - 14 <= 1290 && Ip4.Protocol(f.AsSpan(14)) == 41));
        // IPv4 without DF in GRE over IPv6: the load balancer, the outer packet's source, cuts it (RFC 8200 §4.5).
        _dp.SetMtu("back", 1400);
        var loose = Frames.Udp(MacFront, MacClient, "10.0.0.2", "192.0.2.103", payload: 1400 - 28);
        var (_, pieces6) = Send(_front, loose);
        Assert.Equal(2, pieces6.Count);
        var payload = new List<byte>();
        uint? id = null;
        for (var k = 0; k < 2; k++)
        {
            var ip = pieces6[k].AsSpan(14);
            Assert.True(ip.Length <= 1400);
            Assert.Equal((Ip6.Parse("2001:db8:b::1"), Ip6.Parse("2001:db8:b::11"), (byte)44, (byte)47), (Ip6.Source(ip), Ip6.Destination(ip), Ip6.NextHeader(ip), ip[40]));
            var field = BinaryPrimitives.ReadUInt16BigEndian(ip[42..]);
            Assert.Equal((payload.Count, k == 0), (field & ~7, (field & 1) == 1)); // offset, more fragments
            Assert.Equal(id ??= BinaryPrimitives.ReadUInt32BigEndian(ip[44..]), BinaryPrimitives.ReadUInt32BigEndian(ip[44..]));
            Assert.True(k == 1 || (ip.Length - 48) % 8 == 0);
            payload.AddRange(ip[48..].ToArray());
        }
        // Put together: the GRE header and the client's packet as it came.
        Assert.Equal(new byte[] { 0, 0, 0x08, 0x00 }.Concat(loose.AsSpan(14).ToArray()), payload);
    }

    // An IPv6 UDP datagram of `length` bytes from the client.
    private static byte[] BigUdp6(string src, string dst, int length)
    {
        var f = new byte[14 + length];
        Ethernet.WriteHeader(f, MacFront, MacClient, Ethernet.TypeIp6);
        var ip = f.AsSpan(14);
        Ip6.WriteHeader(ip, length - 40, Udp, 64, Ip6.Parse(src), Ip6.Parse(dst));
        BinaryPrimitives.WriteUInt16BigEndian(ip[40..], 5000);
        BinaryPrimitives.WriteUInt16BigEndian(ip[42..], 6000);
        BinaryPrimitives.WriteUInt16BigEndian(ip[44..], (ushort)(length - 40));
        BinaryPrimitives.WriteUInt16BigEndian(ip[46..], Ip6.UpperChecksum(ip, ip[40..], Udp));
        return f;
    }

    [Fact]
    public void A_routers_too_big_error_about_a_tunnel_packet_reaches_the_client_from_the_vip()
    {
        _dp.SetLoadBalancer(TunnelVips);
        var sent = Frames.Udp(MacFront, MacClient, "10.0.0.2", "192.0.2.101", payload: 1000 - 28, dontFragment: true);
        var outer = Assert.Single(Send(_front, sent).Back).AsSpan(14).ToArray();
        // A router between here and the server takes 900 bytes: its error to the tunnel's source quotes 548 bytes of
        // the outer packet (RFC 1812). The client hears it from the VIP about its own packet, with 900 - 24.
        var (front, back) = Send(_back, Icmp4Error(MacBack, MacServer(1), "10.1.0.99", "10.1.0.1", 900, outer.AsSpan(0, 548)));
        Assert.Empty(back);
        var e = Assert.Single(front).AsSpan(14);
        Assert.Equal((Ip4.Parse("192.0.2.101"), Ip4.Parse("10.0.0.2"), (byte)3, (byte)4, (ushort)876),
            (Ip4.Source(e), Ip4.Destination(e), e[20], e[21], BinaryPrimitives.ReadUInt16BigEndian(e[26..])));
        Assert.True(Checksum.IsValid(e[..20]) && Checksum.IsValid(e[20..]));
        Assert.Equal(sent.AsSpan(14, 548 - 24).ToArray(), e[28..].ToArray());
        // A quote that ends in the GRE header (RFC 792's eight bytes), or about a packet from another source: not relayed.
        Assert.Empty(Send(_back, Icmp4Error(MacBack, MacServer(1), "10.1.0.99", "10.1.0.1", 900, outer.AsSpan(0, 28))).Front);
        var other = outer.AsSpan(0, 548).ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(other.AsSpan(12), Ip4.Parse("10.1.0.5"));
        Assert.Empty(Send(_back, Icmp4Error(MacBack, MacServer(1), "10.1.0.99", "10.1.0.1", 900, other)).Front);
        // IPv6 in IPv6: "packet too big" from a router (1400) to the tunnel's source: the client learns 1360 from the VIP.
        var sent6 = Packet6(MacFront, MacClient, "2001:db8:a::2", 41000, "2001:db8:f::80", 443, Tcp);
        var outer6 = Assert.Single(Send(_front, sent6).Back).AsSpan(14).ToArray();
        var (front6, _) = Send(_back, Icmp6Error(MacBack, MacServer(1), Ip6.Parse("2001:db8:b::99"), Ip6.Parse("2001:db8:b::1"), 2, 1400, outer6));
        var e6 = Assert.Single(front6).AsSpan(14);
        AssertChecksum6(e6);
        Assert.Equal((Ip6.Parse("2001:db8:f::80"), Ip6.Parse("2001:db8:a::2"), (byte)2, 1360u),
            (Ip6.Source(e6), Ip6.Destination(e6), e6[40], BinaryPrimitives.ReadUInt32BigEndian(e6[44..])));
        Assert.Equal(sent6.AsSpan(14).ToArray(), e6[48..].ToArray());
    }

    // ICMP "fragmentation needed" (type 3 code 4, RFC 1191: the next hop's MTU) quoting a packet.
    private static byte[] Icmp4Error(ulong dstMac, ulong srcMac, string src, string dst, ushort mtu, ReadOnlySpan<byte> quoted)
    {
        var f = new byte[14 + 20 + 8 + quoted.Length];
        Ethernet.WriteHeader(f, dstMac, srcMac, Ethernet.TypeIp4);
        var ip = f.AsSpan(14);
        Ip4.WriteHeader(ip, 20 + 8 + quoted.Length, 64, Ip4.ProtoIcmp, Ip4.Parse(src), Ip4.Parse(dst));
        ip[20] = 3;
        ip[21] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(ip[26..], mtu);
        quoted.CopyTo(ip[28..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], Checksum.Compute(ip[20..]));
        return f;
    }

    [Fact]
    public void Path_mtu_errors_of_the_tunnel_modes_decode_correctly_in_scapy()
    {
        _dp.SetMtu("back", 1400);
        _dp.SetLoadBalancer(TunnelVips);
        var dir = Directory.CreateTempSubdirectory("dataplane-lbmtu-").FullName;
        try
        {
            void Step(string step)
            {
                var (code, text) = GoldenScript.Run("lbmtu.py", $"{step} {dir}");
                Assert.True(code == 0, text);
            }
            void Inject(MemoryPort on, string input)
            {
                _front.Clear();
                _back.Clear();
                foreach (var f in PcapFile.Read(Path.Combine(dir, input))) on.Inject(f);
                _dp.PollOnce();
            }
            static IEnumerable<byte[]> Ip(MemoryPort port) => port.Sent.Where(f => Ethernet.Type(f) != Ethernet.TypeArp);
            Step("step1");
            Inject(_front, "1-front.pcap");
            PcapFile.Write(Path.Combine(dir, "1-front-sent.pcap"), Ip(_front));
            PcapFile.Write(Path.Combine(dir, "1-back-sent.pcap"), Ip(_back));
            Step("step2");
            Inject(_back, "2-back.pcap");
            PcapFile.Write(Path.Combine(dir, "2-front-sent.pcap"), Ip(_front));
            Step("check");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
