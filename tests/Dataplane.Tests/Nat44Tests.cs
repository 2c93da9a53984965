using System.Buffers.Binary;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Nat;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;
using Mgmt.Dataplane.Sessions;

using static Mgmt.Dataplane.Tests.L4Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// NAT44 on memory ports: source NAT from a pool and from the outside address, port forwards and 1:1 mappings,
/// hairpinning, ICMP echo and ICMP errors, checksums (summed afresh here, byte by byte), session reuse and expiry,
/// configuration changes and checks, fragments, a full table, and two workers.
/// </summary>
/// <remarks>
/// Inside (if "in", 10.0.0.1/24): hosts .2, .3 (a web server on port 80, forwarded from 203.0.113.20:8080) and .4
/// (mapped 1:1 to 203.0.113.30). Outside (if "out", 198.51.100.1/24): the gateway .254, the default route. The pool
/// is 203.0.113.10.
/// </remarks>
public sealed class Nat44Tests : IDisposable
{
    private const ulong MacIn = 0x02_00_00_00_00_01, MacOut = 0x02_00_00_00_00_02, MacGateway = 0x02_99_00_00_00_fe;
    private static ulong MacHost(int n) => 0x02_aa_00_00_00_00UL + (ulong)n;

    private readonly Dataplane _dp;
    private readonly MemoryPort _in = new(), _out = new();

    private static readonly Nat44Config Config = new()
    {
        Inside = ["in"],
        Outside = ["out"],
        Pool = [Ip4Range.Single(Ip4.Parse("203.0.113.10"))],
        StaticMappings =
        [
            new StaticMapping(Ip4.Parse("10.0.0.3"), Ip4.Parse("203.0.113.20"), Tcp, 80, 8080),
            new StaticMapping(Ip4.Parse("10.0.0.4"), Ip4.Parse("203.0.113.30")),
        ],
    };

    public Nat44Tests() : this(1) { }

    private Nat44Tests(int workers)
    {
        _dp = new Dataplane(buffers: 1024, workers: workers);
        _dp.CreateInterface("in", _in, MacIn);
        _dp.CreateInterface("out", _out, MacOut);
        _dp.AddAddress("in", Ip4.Parse("10.0.0.1"), 24);
        _dp.AddAddress("out", Ip4.Parse("198.51.100.1"), 24);
        _dp.SetAdminUp("in", true);
        _dp.SetAdminUp("out", true);
        for (var n = 2; n <= 4; n++) _dp.AddNeighbor("in", Ip4.Parse($"10.0.0.{n}"), MacHost(n));
        _dp.AddNeighbor("out", Ip4.Parse("198.51.100.254"), MacGateway);
        _dp.AddRoute(0, 0, RouteKind.NextHop, Ip4.Parse("198.51.100.254"));
    }

    public void Dispose() => _dp.Dispose();

    // ---- packets ----

    private static byte[] FromHost(int n, ushort sport, string dst, ushort dport, byte proto = Tcp, byte flags = Syn) =>
        Packet(MacIn, MacHost(n), $"10.0.0.{n}", sport, dst, dport, proto, flags);

    private static byte[] FromOutside(string src, ushort sport, string dst, ushort dport, byte proto = Tcp, byte flags = SynAck) =>
        Packet(MacOut, MacGateway, src, sport, dst, dport, proto, flags);

    // Sends frames in on one side; returns what left by each.
    private (List<Seen> In, List<Seen> Out) Send(MemoryPort on, params byte[][] frames)
    {
        _in.Clear();
        _out.Clear();
        foreach (var f in frames) on.Inject(f);
        _dp.PollOnce();
        return ([.. _in.Sent.Where(IsIp4).Select(Read)], [.. _out.Sent.Where(IsIp4).Select(Read)]);
    }

    private Seen Out(byte[] frame)
    {
        var (inside, outside) = Send(_in, frame);
        Assert.Empty(inside);
        return Assert.Single(outside);
    }

    private Seen In(byte[] frame)
    {
        var (inside, outside) = Send(_out, frame);
        Assert.Empty(outside);
        return Assert.Single(inside);
    }

    // ---- behaviour ----

    [Fact]
    public void An_inside_connection_leaves_from_the_pool_address_with_its_port_and_its_replies_come_back()
    {
        _dp.SetNat44(Config);
        var syn = Out(FromHost(2, 40000, "192.0.2.7", 80));
        Assert.Equal("203.0.113.10:40000", syn.From); // port preserved (RFC 4787 REQ-3's "port preservation" where free)
        Assert.Equal("192.0.2.7:80", syn.To);
        Assert.Equal(MacGateway, Ethernet.Destination(syn.Frame));

        var synAck = In(FromOutside("192.0.2.7", 80, "203.0.113.10", 40000));
        Assert.Equal("192.0.2.7:80", synAck.From);
        Assert.Equal("10.0.0.2:40000", synAck.To);
        Assert.Equal(MacHost(2), Ethernet.Destination(synAck.Frame));
        Out(FromHost(2, 40000, "192.0.2.7", 80, flags: Ack));

        var session = Assert.Single(_dp.NatSessions());
        Assert.Equal(new FlowKey4(Ip4.Parse("10.0.0.2"), Ip4.Parse("192.0.2.7"), 40000, 80, Tcp), session.Original);
        Assert.Equal(new FlowKey4(Ip4.Parse("203.0.113.10"), Ip4.Parse("192.0.2.7"), 40000, 80, Tcp), session.Translated);
        Assert.Equal(TcpState.Established, session.Tcp);
        var c = _dp.NatCounters;
        Assert.Equal((1, 2, 1), (c.Sessions, c.InToOut, c.OutToIn));
    }

    [Fact]
    public void A_new_flows_packets_that_arrive_together_are_all_translated_by_the_one_session()
    {
        // The vector is looked up at once: the later packets find the session the first one opened.
        _dp.SetNat44(Config);
        var (_, outside) = Send(_in, FromHost(2, 41000, "192.0.2.7", 80), FromHost(2, 41000, "192.0.2.7", 80, flags: Ack),
            FromHost(3, 41000, "192.0.2.7", 80), FromHost(2, 41000, "192.0.2.7", 80, flags: Ack));
        Assert.Equal(4, outside.Count);
        Assert.Equal(["203.0.113.10:41000", "203.0.113.10:41000", "203.0.113.10:41000"], outside.Where((_, i) => i != 2).Select(x => x.From));
        Assert.NotEqual("203.0.113.10:41000", outside[2].From); // the other host's flow: a port of its own
        Assert.Equal(2, _dp.NatCounters.Sessions);
        Assert.Equal(0, _dp.NatCounters.NoPorts);
    }

    [Fact]
    public void Udp_and_a_udp_packet_without_checksum_are_translated_and_a_zero_checksum_stays_zero()
    {
        _dp.SetNat44(Config);
        var u = Out(FromHost(2, 5353, "192.0.2.9", 53, Udp));
        Assert.Equal("203.0.113.10:5353", u.From);
        var noSum = Packet(MacIn, MacHost(2), "10.0.0.2", 5354, "192.0.2.9", 53, Udp, udpChecksum: false);
        var v = Out(noSum);
        Assert.Equal("203.0.113.10:5354", v.From);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(v.Frame.AsSpan(14 + 20 + 6)));
        Assert.Equal("10.0.0.2:5353", In(FromOutside("192.0.2.9", 53, "203.0.113.10", 5353, Udp)).To);
    }

    [Fact]
    public void Two_hosts_with_the_same_port_to_the_same_server_get_different_ports_and_to_other_servers_share_it()
    {
        _dp.SetNat44(Config);
        var a = Out(FromHost(2, 40000, "192.0.2.7", 80));
        var b = Out(FromHost(3, 40000, "192.0.2.7", 80));
        Assert.Equal(a.Source, b.Source); // one pool address
        Assert.NotEqual(a.SourcePort, b.SourcePort); // else the server's replies could not be told apart
        Assert.InRange(b.SourcePort, 1024, 65535);
        // Endpoint-dependent: the same external port again for another server.
        var c = Out(FromHost(3, 40000, "192.0.2.8", 80));
        Assert.Equal("203.0.113.10:40000", c.From);
        Assert.Equal("10.0.0.3:40000", In(FromOutside("192.0.2.7", 80, "203.0.113.10", b.SourcePort)).To);
        Assert.Equal("10.0.0.2:40000", In(FromOutside("192.0.2.7", 80, "203.0.113.10", 40000)).To);
        Assert.Equal("10.0.0.3:40000", In(FromOutside("192.0.2.8", 80, "203.0.113.10", 40000)).To);
    }

    [Fact]
    public void Unsolicited_packets_to_the_pool_are_dropped_and_the_routers_own_address_still_answers()
    {
        _dp.SetNat44(Config);
        var (inside, outside) = Send(_out, FromOutside("192.0.2.7", 80, "203.0.113.10", 40000, flags: Syn));
        Assert.Empty(inside);
        Assert.Empty(outside);
        Assert.Equal(1, _dp.DropCount(DropReason.NatNoSession));
        // A reply from another server than the one the flow went to: endpoint-dependent filtering drops it too.
        Out(FromHost(2, 40000, "192.0.2.7", 80));
        Send(_out, FromOutside("192.0.2.66", 80, "203.0.113.10", 40000));
        Assert.Equal(2, _dp.DropCount(DropReason.NatNoSession));
        // Ping of the outside interface's own address: answered by the router.
        var echo = Assert.Single(Send(_out, Frames.EchoRequest(MacOut, MacGateway, "192.0.2.7", "198.51.100.1")).Out);
        Assert.Equal(("198.51.100.1", "192.0.2.7"), (Ip4.Format(echo.Source), Ip4.Format(echo.Destination)));
    }

    [Fact]
    public void A_port_forward_reaches_the_inside_server_and_its_replies_leave_from_the_external_endpoint()
    {
        _dp.SetNat44(Config);
        var syn = In(FromOutside("192.0.2.7", 5555, "203.0.113.20", 8080, flags: Syn));
        Assert.Equal("192.0.2.7:5555", syn.From);
        Assert.Equal("10.0.0.3:80", syn.To);
        var synAck = Out(FromHost(3, 80, "192.0.2.7", 5555, flags: SynAck));
        Assert.Equal("203.0.113.20:8080", synAck.From);
        Assert.Equal("192.0.2.7:5555", synAck.To);
        // Other ports of the forward's address lead nowhere.
        Send(_out, FromOutside("192.0.2.7", 5556, "203.0.113.20", 22, flags: Syn));
        Assert.Equal(1, _dp.NatCounters.Sessions);
        // The outside interface answers ARP for the external address (and for the pool), not for others.
        Send(_out, Frames.ArpRequest(MacGateway, "198.51.100.254", "203.0.113.20"));
        Assert.Single(_out.Sent);
        Send(_out, Frames.ArpRequest(MacGateway, "198.51.100.254", "203.0.113.10"));
        Assert.Single(_out.Sent);
        Send(_out, Frames.ArpRequest(MacGateway, "198.51.100.254", "203.0.113.99"));
        Assert.Empty(_out.Sent);
    }

    [Fact]
    public void A_one_to_one_mapping_translates_both_ways_keeping_ports()
    {
        _dp.SetNat44(Config);
        var o = Out(FromHost(4, 33333, "192.0.2.7", 443));
        Assert.Equal("203.0.113.30:33333", o.From);
        Assert.Equal("10.0.0.4:33333", In(FromOutside("192.0.2.7", 443, "203.0.113.30", 33333)).To);
        // Unsolicited, any port: reaches the host.
        var i = In(FromOutside("192.0.2.8", 1234, "203.0.113.30", 22, flags: Syn));
        Assert.Equal("10.0.0.4:22", i.To);
        Assert.Equal("203.0.113.30:22", Out(FromHost(4, 22, "192.0.2.8", 1234, flags: SynAck)).From);
    }

    [Fact]
    public void An_inside_host_reaches_the_forwarded_server_by_its_external_endpoint_hairpinned()
    {
        _dp.SetNat44(Config);
        var (inside, outside) = Send(_in, FromHost(2, 41000, "203.0.113.20", 8080));
        Assert.Empty(outside);
        var there = Assert.Single(inside);
        Assert.Equal("10.0.0.3:80", there.To);
        Assert.Equal("203.0.113.10:41000", there.From); // the server sees the client's external endpoint and answers through the NAT
        Assert.Equal(MacHost(3), Ethernet.Destination(there.Frame));
        (inside, outside) = Send(_in, FromHost(3, 80, "203.0.113.10", 41000, flags: SynAck));
        Assert.Empty(outside);
        var back = Assert.Single(inside);
        Assert.Equal("203.0.113.20:8080", back.From);
        Assert.Equal("10.0.0.2:41000", back.To);
        Assert.Equal(1, _dp.NatCounters.Hairpinned);
    }

    [Fact]
    public void Inside_to_inside_traffic_is_not_translated()
    {
        _dp.SetNat44(Config);
        var (inside, outside) = Send(_in, FromHost(2, 41000, "10.0.0.3", 80));
        Assert.Empty(outside);
        Assert.Equal("10.0.0.2:41000", Assert.Single(inside).From);
        Assert.Equal(0, _dp.NatCounters.Sessions);
    }

    [Fact]
    public void A_ping_gets_an_identifier_of_the_pool_and_its_reply_finds_the_host()
    {
        _dp.SetNat44(Config);
        var echo = Out(Packet(MacIn, MacHost(2), "10.0.0.2", 77, "192.0.2.7", 77, Icmp));
        Assert.Equal("203.0.113.10", Ip4.Format(echo.Source));
        Assert.InRange(echo.SourcePort, 1024, 65535); // identifier 77 is below the dynamic range: another is given
        var reply = echo.Frame[14..].ToArray();
        // The server's echo reply, made from what it got.
        var ip = reply.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], Ip4.Parse("192.0.2.7"));
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], Ip4.Parse("203.0.113.10"));
        ip[10] = ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~Sum(ip[..20], 0));
        ip[20] = 0;
        ip[22] = ip[23] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], (ushort)~Sum(ip[20..], 0));
        var frame = new byte[14 + reply.Length];
        Ethernet.WriteHeader(frame, MacOut, MacGateway, Ethernet.TypeIp4);
        reply.CopyTo(frame, 14);
        var back = In(frame);
        Assert.Equal(("10.0.0.2", (ushort)77), (Ip4.Format(back.Destination), back.DestinationPort));
    }

    [Fact]
    public void An_icmp_error_about_a_translated_flow_is_translated_inside_and_out()
    {
        _dp.SetNat44(Config);
        var sent = Out(FromHost(2, 40000, "192.0.2.7", 53, Udp));
        // The far router's port unreachable quotes the packet as it saw it (its header and 8 bytes).
        var error = PortUnreachable(MacOut, MacGateway, "192.0.2.1", "203.0.113.10", sent.Frame.AsSpan(14, 28));
        var got = In(error);
        Assert.Equal(("192.0.2.1", "10.0.0.2"), (Ip4.Format(got.Source), Ip4.Format(got.Destination)));
        var inner = got.Frame.AsSpan(14 + 28);
        Assert.Equal("10.0.0.2", Ip4.Format(Ip4.Source(inner)));
        Assert.Equal(40000, BinaryPrimitives.ReadUInt16BigEndian(inner[20..]));
        Assert.Equal(1, _dp.NatCounters.IcmpErrors);

        // An error the inside server sends about a forwarded connection leaves from the external address.
        var syn = In(FromOutside("192.0.2.7", 5555, "203.0.113.20", 8080, flags: Syn));
        var e2 = PortUnreachable(MacIn, MacHost(3), "10.0.0.3", "192.0.2.7", syn.Frame.AsSpan(14, 28));
        var out2 = Out(e2);
        Assert.Equal("203.0.113.20", Ip4.Format(out2.Source));
        var inner2 = out2.Frame.AsSpan(14 + 28);
        Assert.Equal("203.0.113.20", Ip4.Format(Ip4.Destination(inner2)));
        Assert.Equal(8080, BinaryPrimitives.ReadUInt16BigEndian(inner2[22..]));
    }

    [Fact]
    public void Masquerading_uses_the_outside_address_and_follows_its_changes()
    {
        _dp.SetNat44(Config with { Pool = [], UseOutsideAddresses = true });
        Assert.Equal("198.51.100.1:40000", Out(FromHost(2, 40000, "192.0.2.7", 80)).From);
        Assert.Equal("10.0.0.2:40000", In(FromOutside("192.0.2.7", 80, "198.51.100.1", 40000)).To);
        // The address changes: new flows take the new one; the old flow's session no longer holds.
        _dp.RemoveAddress("out", Ip4.Parse("198.51.100.1"), 24);
        _dp.AddAddress("out", Ip4.Parse("198.51.100.2"), 24);
        _dp.AddRoute(0, 0, RouteKind.NextHop, Ip4.Parse("198.51.100.254"));
        Assert.Equal("198.51.100.2:40000", Out(FromHost(2, 40000, "192.0.2.7", 80, flags: Ack)).From);
    }

    [Fact]
    public void A_changed_pool_moves_new_and_revalidated_flows_and_removing_nat_stops_translation()
    {
        _dp.SetNat44(Config);
        Assert.Equal("203.0.113.10:40000", Out(FromHost(2, 40000, "192.0.2.7", 80)).From);
        _dp.SetNat44(Config with { Pool = [Ip4Range.Single(Ip4.Parse("203.0.113.11"))] });
        Assert.Equal("203.0.113.11:40000", Out(FromHost(2, 40000, "192.0.2.7", 80, flags: Ack)).From);
        Assert.Equal(1, _dp.NatCounters.Sessions);
        // The port forward kept: its session survives a change that does not touch it.
        In(FromOutside("192.0.2.7", 5555, "203.0.113.20", 8080, flags: Syn));
        _dp.SetNat44(Config with { Pool = [Ip4Range.Single(Ip4.Parse("203.0.113.11"))], Timeouts = new Acl.SessionTimeouts { Udp = TimeSpan.FromSeconds(30) } });
        Assert.Equal("203.0.113.20:8080", Out(FromHost(3, 80, "192.0.2.7", 5555, flags: SynAck)).From);
        _dp.SetNat44(null);
        Assert.Equal("10.0.0.2:40000", Out(FromHost(2, 40000, "192.0.2.7", 80, flags: Ack)).From);
        Assert.Equal(NatRole.None, _dp.Interface("in").NatRole);
    }

    [Fact]
    public void Sessions_expire_after_their_idle_timeout()
    {
        _dp.SetNat44(Config with { Timeouts = new Acl.SessionTimeouts { Udp = TimeSpan.FromMilliseconds(30) } });
        Out(FromHost(2, 5000, "192.0.2.9", 53, Udp));
        Assert.Equal(1, _dp.NatCounters.Sessions);
        Thread.Sleep(100);
        // The late reply finds no session.
        Send(_out, FromOutside("192.0.2.9", 53, "203.0.113.10", 5000, Udp));
        Assert.Equal(1, _dp.DropCount(DropReason.NatNoSession));
        Assert.Equal(0, _dp.NatCounters.Sessions);
        Assert.Equal(1, _dp.NatCounters.Expired);
    }

    [Fact]
    public void A_full_table_refuses_new_flows_and_counts_them()
    {
        _dp.SetNat44(Config with { SessionsPerWorker = 2 });
        Out(FromHost(2, 40001, "192.0.2.7", 80));
        Out(FromHost(2, 40002, "192.0.2.7", 80));
        var (inside, outside) = Send(_in, FromHost(2, 40003, "192.0.2.7", 80));
        Assert.Empty(outside);
        Assert.Equal(1, _dp.NatCounters.Refused);
        Assert.Equal(1, _dp.DropCount(DropReason.NatNoTranslation));
        _ = inside;
    }

    [Fact]
    public void A_later_fragment_without_its_first_is_dropped_and_inside_fragments_pass()
    {
        _dp.SetNat44(Config);
        byte[] Fragment(string dst)
        {
            var f = Packet(MacIn, MacHost(2), "10.0.0.2", 1, dst, 1, Udp);
            var ip = f.AsSpan(14);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 185); // offset 1480 bytes
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~Sum(ip[..20], 0));
            return f;
        }
        // Held for its first fragment (2 s), then dropped at the next packet through the node.
        var (inside, outside) = Send(_in, Fragment("192.0.2.7"));
        Assert.Empty(outside);
        Assert.Equal(0, _dp.DropCount(DropReason.NatFragment));
        Thread.Sleep(NatFragments.LifetimeMs + 200);
        (inside, outside) = Send(_in, Fragment("10.0.0.3"));
        Assert.Single(inside);
        Assert.Empty(outside);
        Assert.Equal(1, _dp.DropCount(DropReason.NatFragment));
    }

    [Fact]
    public void A_later_fragment_that_comes_before_its_first_waits_for_it_and_follows_it()
    {
        _dp.SetNat44(Config);
        var (first, second) = Fragmented(MacIn, MacHost(2), "10.0.0.2", 7100, "192.0.2.7", 53, 0x1212);
        var (_, outside) = Send(_in, second);
        Assert.Empty(outside); // held
        (_, outside) = Send(_in, first);
        Assert.Equal(2, outside.Count); // the first, then the one that waited
        Assert.All(outside, o => Assert.Equal("203.0.113.10", Ip4.Format(o.Source)));
        Assert.Equal(second.AsSpan(34).ToArray(), outside[1].Frame.AsSpan(34).ToArray());
        // Both in one vector, the later first: the same.
        (first, second) = Fragmented(MacIn, MacHost(2), "10.0.0.2", 7101, "192.0.2.7", 53, 0x1213);
        (_, outside) = Send(_in, second, first);
        Assert.Equal(2, outside.Count);
        Assert.All(outside, o => Assert.Equal("203.0.113.10", Ip4.Format(o.Source)));
        Assert.Equal(0, _dp.DropCount(DropReason.NatFragment));
    }

    [Fact]
    public void The_fragments_of_a_translated_datagram_follow_their_first_both_ways()
    {
        _dp.SetNat44(Config);
        var (first, second) = Fragmented(MacIn, MacHost(2), "10.0.0.2", 7000, "192.0.2.7", 53, 0x1111);
        var (_, outside) = Send(_in, first, second);
        Assert.Equal(2, outside.Count);
        Assert.All(outside, o => Assert.Equal("203.0.113.10", Ip4.Format(o.Source)));
        Assert.Equal(7000, outside[0].SourcePort);
        Assert.Equal(first.AsSpan(34 + 8).ToArray(), outside[0].Frame.AsSpan(34 + 8).ToArray()); // the data as it was
        Assert.Equal(second.AsSpan(34).ToArray(), outside[1].Frame.AsSpan(34).ToArray());
        // The answer, fragmented too, comes back to the host.
        var (a, b) = Fragmented(MacOut, MacGateway, "192.0.2.7", 53, "203.0.113.10", 7000, 0x2222);
        var (inside, _) = Send(_out, a, b);
        Assert.Equal(2, inside.Count);
        Assert.All(inside, i => Assert.Equal("10.0.0.2", Ip4.Format(i.Destination)));
        Assert.Equal(0, _dp.DropCount(DropReason.NatFragment));
        // The whole datagram, put back together, still sums right (the UDP checksum in the first fragment covers it all).
        var datagram = inside[0].Frame.AsSpan(14).ToArray().Concat(inside[1].Frame.AsSpan(34).ToArray()).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)datagram.Length);
        datagram[6] = datagram[7] = 0;
        datagram[10] = datagram[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(10), (ushort)~Sum(datagram.AsSpan(0, 20), 0));
        AssertChecksums(datagram);
    }

    [Fact]
    public void With_two_workers_later_fragments_reach_the_worker_that_translated_their_first()
    {
        using var t = new Nat44Tests(workers: 2);
        t._dp.SetNat44(Config);
        for (ushort i = 0; i < 32; i++)
        {
            var (first, second) = Fragmented(MacIn, MacHost(2), "10.0.0.2", (ushort)(8000 + i), $"192.0.2.{20 + i}", 53, (ushort)(0x3000 + i));
            var (_, outside) = t.Send(t._in, first);
            Assert.Equal("203.0.113.10", Ip4.Format(Assert.Single(outside).Source));
            (_, outside) = t.Send(t._in, second);
            Assert.Equal("203.0.113.10", Ip4.Format(Assert.Single(outside).Source));
            // The other way round: the later fragment waits on the worker its addresses steer it to, the first is
            // translated on its session's worker, and the waiting one follows by the next poll.
            (first, second) = Fragmented(MacIn, MacHost(2), "10.0.0.2", (ushort)(8100 + i), $"192.0.2.{20 + i}", 53, (ushort)(0x3100 + i));
            (_, outside) = t.Send(t._in, second);
            Assert.Empty(outside);
            (_, outside) = t.Send(t._in, first);
            if (outside.Count < 2) outside.AddRange(t.Send(t._in).Out);
            Assert.Equal(2, outside.Count);
            Assert.All(outside, o => Assert.Equal("203.0.113.10", Ip4.Format(o.Source)));
        }
        Assert.Equal(0, t._dp.DropCount(DropReason.NatFragment));
    }

    [Fact]
    public void Other_protocols_pass_a_one_to_one_mapping_and_are_refused_dynamic_translation()
    {
        _dp.SetNat44(Config);
        byte[] Gre(int host)
        {
            var f = new byte[14 + 20 + 8];
            Ethernet.WriteHeader(f, MacIn, MacHost(host), Ethernet.TypeIp4);
            Ip4.WriteHeader(f.AsSpan(14), 28, 64, 47, Ip4.Parse($"10.0.0.{host}"), Ip4.Parse("192.0.2.7"));
            return f;
        }
        var o = Out(Gre(4));
        Assert.Equal("203.0.113.30", Ip4.Format(o.Source));
        var (_, outside) = Send(_in, Gre(2));
        Assert.Empty(outside);
        Assert.Equal(1, _dp.DropCount(DropReason.NatUnsupported));
    }

    [Fact]
    public void Bad_configurations_are_refused_whole()
    {
        _dp.SetNat44(Config);
        void Refused(Nat44Config c, string words) => Assert.Contains(words, Assert.Throws<DataplaneException>(() => _dp.SetNat44(c)).Message);
        Refused(Config with { Inside = ["in", "out"] }, "both inside and outside");
        Refused(Config with { Outside = [] }, "at least one outside");
        Refused(Config with { Inside = ["nope"] }, "no interface");
        Refused(Config with { Pool = [new Ip4Range(Ip4.Parse("203.0.113.10"), Ip4.Parse("203.0.113.12")), new Ip4Range(Ip4.Parse("203.0.113.12"), Ip4.Parse("203.0.113.13"))] }, "overlap");
        Refused(Config with { Pool = [new Ip4Range(Ip4.Parse("203.0.113.12"), Ip4.Parse("203.0.113.10"))] }, "ends before it starts");
        Refused(Config with { Pool = [Ip4Range.Single(Ip4.Parse("224.0.0.1"))] }, "not a unicast address");
        Refused(Config with { StaticMappings = [new StaticMapping(Ip4.Parse("10.0.0.5"), Ip4.Parse("203.0.113.10"))] }, "in the pool");
        Refused(Config with { StaticMappings = [new StaticMapping(Ip4.Parse("10.0.0.5"), Ip4.Parse("198.51.100.1"))] }, "outside interface's own");
        Refused(Config with { StaticMappings = [new StaticMapping(Ip4.Parse("10.0.0.5"), Ip4.Parse("203.0.113.40"), Tcp)] }, "needs both ports");
        Refused(Config with { StaticMappings = [new StaticMapping(Ip4.Parse("10.0.0.5"), Ip4.Parse("203.0.113.40"), 47, 1, 1)] }, "protocol 47");
        Refused(Config with { StaticMappings = [new StaticMapping(Ip4.Parse("10.0.0.5"), Ip4.Parse("203.0.113.40"), 0, 80, 80)] }, "has no ports");
        Refused(Config with
        {
            StaticMappings = [new StaticMapping(Ip4.Parse("10.0.0.5"), Ip4.Parse("203.0.113.40"), Tcp, 80, 80), new StaticMapping(Ip4.Parse("10.0.0.6"), Ip4.Parse("203.0.113.40"), Tcp, 81, 80)],
        }, "mapped twice");
        Refused(Config with
        {
            StaticMappings = [new StaticMapping(Ip4.Parse("10.0.0.5"), Ip4.Parse("203.0.113.40"), Tcp, 80, 80), new StaticMapping(Ip4.Parse("10.0.0.6"), Ip4.Parse("203.0.113.40"))],
        }, "share an external address");
        Refused(Config with { SessionsPerWorker = 0 }, "sessions per worker");
        Refused(Config with { Timeouts = new Acl.SessionTimeouts { Udp = TimeSpan.Zero } }, "1 ms to 24 days");
        Refused(Config with { Timeouts = new Acl.SessionTimeouts { Other = TimeSpan.FromDays(30) } }, "1 ms to 24 days");
        // Nothing of the refused ones took hold.
        Assert.Equal(Config, _dp.Nat44);
        Assert.Equal(NatRole.Outside, _dp.Interface("out").NatRole);
        Assert.Contains("NAT44", Assert.Throws<DataplaneException>(() => _dp.DeleteInterface("in")).Message);
    }

    [Fact]
    public void Translated_packets_and_icmp_errors_decode_correctly_in_scapy()
    {
        // Golden/nat.py makes each step's packets from what the previous step sent (as the servers would answer).
        var dir = Directory.CreateTempSubdirectory("dataplane-nat-").FullName;
        try
        {
            _dp.SetNat44(Config with { StaticMappings = [Config.StaticMappings[0]] });
            foreach (var step in new[] { "step1", "step2", "check" })
            {
                var (code, output) = GoldenScript.Run("nat.py", $"{step} {dir}");
                Assert.True(code == 0, output);
                if (step == "check") break;
                var n = step == "step1" ? 1 : 2;
                var sentIn = new List<byte[]>();
                var sentOut = new List<byte[]>();
                // Inside first, then outside (the second step answers both ways; either order gives the same here).
                foreach (var (port, file) in new[] { (_in, $"{n}-in.pcap"), (_out, $"{n}-out.pcap") })
                {
                    _in.Clear();
                    _out.Clear();
                    foreach (var f in PcapFile.Read(Path.Combine(dir, file))) port.Inject(f);
                    _dp.PollOnce();
                    sentIn.AddRange(_in.Sent.Where(IsIp4));
                    sentOut.AddRange(_out.Sent.Where(IsIp4));
                }
                PcapFile.Write(Path.Combine(dir, $"{n}-in-sent.pcap"), sentIn);
                PcapFile.Write(Path.Combine(dir, $"{n}-out-sent.pcap"), sentOut);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void With_two_workers_every_reply_meets_its_session()
    {
        using var t = new Nat44Tests(workers: 2);
        t._dp.SetNat44(Config);
        var ports = new HashSet<int>();
        for (ushort i = 0; i < 64; i++)
        {
            var o = t.Out(FromHost(2 + i % 2, (ushort)(30000 + i), $"192.0.2.{10 + i}", 80));
            Assert.Equal("203.0.113.10", Ip4.Format(o.Source));
            ports.Add(o.SourcePort);
            var back = t.In(FromOutside($"192.0.2.{10 + i}", 80, "203.0.113.10", o.SourcePort));
            Assert.Equal($"10.0.0.{2 + i % 2}:{30000 + i}", back.To);
            // The port forward and the 1:1 mapping, both ways, whatever worker the first packet lands on.
            Assert.Equal("10.0.0.3:80", t.In(FromOutside($"192.0.2.{10 + i}", (ushort)(6000 + i), "203.0.113.20", 8080, flags: Syn)).To);
            Assert.Equal("203.0.113.20:8080", t.Out(FromHost(3, 80, $"192.0.2.{10 + i}", (ushort)(6000 + i), flags: SynAck)).From);
            Assert.Equal("203.0.113.30:9000", t.Out(FromHost(4, 9000, $"192.0.2.{10 + i}", 443)).From);
            Assert.Equal("10.0.0.4:9000", t.In(FromOutside($"192.0.2.{10 + i}", 443, "203.0.113.30", 9000)).To);
        }
        Assert.True(t._dp.Workers.All(w => w.NatSessions!.Table.Count > 0), "both workers hold sessions");
        Assert.Equal(0, t._dp.DropCount(DropReason.NatNoSession));
    }
}
