using System.Buffers.Binary;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Neighbors;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// The graph end to end on memory ports: a router with two interfaces, 10.0.1.1/24 on if0 and 10.0.2.1/24 on
/// if1; host A (10.0.1.2) on if0, router B (10.0.2.2) on if1 with 192.168.0.0/16 behind it.
/// </summary>
public sealed class ForwardingTests : IDisposable
{
    private const ulong MacIf0 = 0x02_00_00_00_00_01, MacIf1 = 0x02_00_00_00_00_02, MacA = 0x02_aa_00_00_00_0a, MacB = 0x02_bb_00_00_00_0b;

    private readonly Dataplane _dp = new(buffers: 1024);
    private readonly MemoryPort _p0 = new(), _p1 = new();

    public ForwardingTests()
    {
        _dp.CreateInterface("if0", _p0, MacIf0);
        _dp.CreateInterface("if1", _p1, MacIf1);
        _dp.AddAddress("if0", Ip4.Parse("10.0.1.1"), 24);
        _dp.AddAddress("if1", Ip4.Parse("10.0.2.1"), 24);
        _dp.SetAdminUp("if0", true);
        _dp.SetAdminUp("if1", true);
        _dp.AddRoute(Ip4.Parse("192.168.0.0"), 16, RouteKind.NextHop, Ip4.Parse("10.0.2.2"));
        _dp.AddNeighbor("if0", Ip4.Parse("10.0.1.2"), MacA);
    }

    public void Dispose() => _dp.Dispose();

    private byte[] Single(MemoryPort port)
    {
        Assert.True(port.Sent.TryDequeue(out var frame), "nothing was sent");
        Assert.Empty(port.Sent);
        return frame;
    }

    [Fact]
    public void A_routed_packet_gets_the_next_hops_MAC_a_lower_TTL_and_a_valid_checksum()
    {
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        var sent = Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.7.9", ttl: 9);
        _p0.Inject(sent);
        Assert.Equal(1, _dp.PollOnce());
        var got = Single(_p1);
        Assert.Equal(sent.Length, got.Length);
        Assert.Equal(MacB, Ethernet.Destination(got));
        Assert.Equal(MacIf1, Ethernet.Source(got));
        var ip = Frames.IpOf(got);
        Assert.Equal(8, Ip4.Ttl(ip));
        Assert.True(Checksum.IsValid(ip[..20]));
        // Apart from TTL and checksum the packet is unchanged.
        Assert.True(ip[..8].SequenceEqual(Frames.IpOf(sent)[..8]));
        Assert.True(ip[12..].SequenceEqual(Frames.IpOf(sent)[12..]));
        Assert.Empty(_p0.Sent);
        Assert.Equal(1, _dp.Interface("if0").Counters.InUnicast);
        Assert.Equal(1, _dp.Interface("if1").Counters.OutUnicast);
        Assert.Equal(sent.Length, _dp.Interface("if1").Counters.OutOctets);
    }

    [Fact]
    public void Packets_for_an_unknown_next_hop_wait_for_its_ARP_reply_within_bounds()
    {
        for (var i = 0; i < 10; i++) _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.7.9", ttl: 9));
        _dp.PollOnce();
        var request = Single(_p1); // one request for ten packets
        Assert.Equal(Ethernet.Broadcast, Ethernet.Destination(request));
        Assert.Equal(Ethernet.TypeArp, Ethernet.Type(request));
        var arp = request.AsSpan(14);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(arp[6..]));
        Assert.Equal(Ip4.Parse("10.0.2.1"), BinaryPrimitives.ReadUInt32BigEndian(arp[14..]));
        Assert.Equal(Ip4.Parse("10.0.2.2"), BinaryPrimitives.ReadUInt32BigEndian(arp[24..]));
        Assert.Equal(10 - Neighbors.HoldQueue.PerNeighbor, _dp.DropCount(DropReason.NeighborMiss));

        // B answers: the held packets go out to it, once, with their TTL lowered once.
        var reply = Frames.ArpRequest(MacB, "10.0.2.2", "10.0.2.1");
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(20), 2);
        Ethernet.Write48(reply, MacIf1);
        _p1.Inject(reply);
        _dp.PollOnce();
        Assert.Equal(Neighbors.HoldQueue.PerNeighbor, _p1.Sent.Count);
        Assert.All(_p1.Sent, f => Assert.Equal(MacB, Ethernet.Destination(f)));
        Assert.All(_p1.Sent, f => Assert.Equal(8, Ip4.Ttl(Frames.IpOf(f))));
        Assert.Equal(_dp.Buffers.Capacity, _dp.Buffers.FreeCount);
    }

    [Fact]
    public void A_changed_neighbor_MAC_is_used_from_the_next_packet_on()
    {
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.7.9"));
        _dp.PollOnce();
        Assert.Equal(MacB, Ethernet.Destination(Single(_p1)));
        const ulong moved = 0x02_cc_00_00_00_0c;
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), moved);
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.7.9"));
        _dp.PollOnce();
        Assert.Equal(moved, Ethernet.Destination(Single(_p1)));
    }

    [Fact]
    public void Held_packets_of_a_silent_neighbor_are_dropped_after_a_second()
    {
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.50"));
        _dp.PollOnce();
        Assert.Equal(_dp.Buffers.Capacity - 1, _dp.Buffers.FreeCount);
        Thread.Sleep(Neighbors.HoldQueue.Milliseconds + 50);
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.60"));
        _dp.PollOnce();
        Assert.Equal(1, _dp.DropCount(DropReason.NeighborMiss));
    }

    [Fact]
    public void ARP_requests_for_an_interface_address_are_answered_and_others_ignored()
    {
        _p1.Inject(Frames.ArpRequest(MacB, "10.0.2.2", "10.0.2.1"));
        _p1.Inject(Frames.ArpRequest(MacB, "10.0.2.2", "10.0.2.77"));
        _dp.PollOnce();
        var reply = Single(_p1);
        Assert.Equal(MacB, Ethernet.Destination(reply));
        var arp = reply.AsSpan(14);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(arp[6..]));
        Assert.Equal(MacIf1, Ethernet.Read48(arp[8..]));
        Assert.Equal(Ip4.Parse("10.0.2.1"), BinaryPrimitives.ReadUInt32BigEndian(arp[14..]));
        Assert.Equal(MacB, Ethernet.Read48(arp[18..]));
        Assert.Equal(Ip4.Parse("10.0.2.2"), BinaryPrimitives.ReadUInt32BigEndian(arp[24..]));
        Assert.Equal(1, _dp.DropCount(DropReason.ArpNotForUs));
        Assert.True(_dp.Neighbors.TryGet(_dp.Interface("if1").Index, Ip4.Parse("10.0.2.2"), out var learned));
        Assert.Equal(MacB, learned);
    }

    [Fact]
    public void A_ping_to_an_interface_address_is_answered()
    {
        var request = Frames.EchoRequest(MacIf0, MacA, "10.0.1.2", "10.0.1.1", id: 99, seq: 5);
        _p0.Inject(request);
        _dp.PollOnce();
        var reply = Single(_p0);
        Assert.Equal(MacA, Ethernet.Destination(reply));
        var ip = Frames.IpOf(reply);
        Assert.Equal(Ip4.Parse("10.0.1.1"), Ip4.Source(ip));
        Assert.Equal(Ip4.Parse("10.0.1.2"), Ip4.Destination(ip));
        Assert.True(Checksum.IsValid(ip[..20]));
        var icmp = ip[20..Ip4.TotalLength(ip)];
        Assert.Equal(0, icmp[0]);
        Assert.True(Checksum.IsValid(icmp));
        Assert.True(icmp[4..].SequenceEqual(Frames.IpOf(request)[24..]));
    }

    [Fact]
    public void An_expiring_TTL_and_a_missing_route_are_answered_with_ICMP_errors()
    {
        var dying = Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", ttl: 1);
        _p0.Inject(dying);
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "172.16.0.1"));
        _dp.PollOnce();
        Assert.Equal(2, _p0.Sent.Count);
        var exceeded = _p0.Sent.Single(f => f[14 + 20] == 11);
        var unreachable = _p0.Sent.Single(f => f[14 + 20] == 3);
        var ip = Frames.IpOf(exceeded);
        Assert.Equal(Ip4.Parse("10.0.1.1"), Ip4.Source(ip));
        Assert.Equal(Ip4.Parse("10.0.1.2"), Ip4.Destination(ip));
        Assert.Equal((11, 0), (ip[20], ip[21]));
        Assert.True(Checksum.IsValid(ip[20..Ip4.TotalLength(ip)]));
        Assert.True(ip[28..48].SequenceEqual(Frames.IpOf(dying)[..20])); // the original header is quoted
        Assert.Equal((3, 0), (Frames.IpOf(unreachable)[20], Frames.IpOf(unreachable)[21]));
        Assert.Equal(1, _dp.DropCount(DropReason.TtlExpired));
        Assert.Equal(1, _dp.DropCount(DropReason.NoRoute));
        Assert.Empty(_p1.Sent);
    }

    [Fact]
    public void Too_big_with_DF_set_gets_fragmentation_needed_with_the_MTU()
    {
        _dp.SetMtu("if1", 576);
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", payload: 1000, dontFragment: true));
        _dp.PollOnce();
        var ip = Frames.IpOf(Single(_p0));
        Assert.Equal((3, 4), (ip[20], ip[21]));
        Assert.Equal(576, BinaryPrimitives.ReadUInt16BigEndian(ip[26..]));
        Assert.Empty(_p1.Sent);
    }

    [Fact]
    public void Bad_headers_and_frames_for_other_hosts_are_dropped_and_counted()
    {
        var bad = Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2");
        bad[14 + 10] ^= 0xff; // checksum
        _p0.Inject(bad);
        _p0.Inject(Frames.Udp(0x02_99_00_00_00_99, MacA, "10.0.1.2", "10.0.2.2"));
        var lldp = Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2");
        lldp[12] = 0x88;
        lldp[13] = 0xcc;
        _p0.Inject(lldp);
        _dp.PollOnce();
        Assert.Empty(_p0.Sent);
        Assert.Empty(_p1.Sent);
        Assert.Equal(1, _dp.DropCount(DropReason.Ip4BadChecksum));
        Assert.Equal(1, _dp.DropCount(DropReason.NotForUs));
        Assert.Equal(1, _dp.DropCount(DropReason.UnknownEthertype));
        Assert.Equal(1, _dp.Interface("if0").Counters.InUnknownProtos);
        Assert.Equal(1, _dp.Interface("if0").Counters.InErrors);
        Assert.Equal(_dp.Buffers.Capacity, _dp.Buffers.FreeCount); // every buffer came back
    }

    [Fact]
    public void An_interface_that_is_down_neither_receives_nor_sends()
    {
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        _dp.SetAdminUp("if1", false);
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2"));
        _p1.Inject(Frames.ArpRequest(MacB, "10.0.2.2", "10.0.2.1"));
        _dp.PollOnce();
        Assert.Empty(_p1.Sent);
        Assert.Equal(2, _dp.DropCount(DropReason.InterfaceDown));
    }

    [Fact]
    public void A_full_vector_of_packets_is_forwarded_and_every_buffer_returns_to_the_pool()
    {
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        for (var i = 0; i < 600; i++) _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", $"192.168.{i / 250}.{i % 250 + 1}"));
        var received = 0;
        while (received < 600) received += _dp.PollOnce();
        Assert.Equal(600, _p1.Sent.Count);
        Assert.Equal(_dp.Buffers.Capacity, _dp.Buffers.FreeCount);
        var lookup = _dp.Workers[0].Nodes.Single(n => n.Name == "ip4-lookup");
        Assert.Equal(600, lookup.Packets);
        Assert.True(lookup.Calls <= 3, $"{lookup.Calls} calls for 600 packets: not vectors");
    }

    [Fact]
    public void A_trace_shows_the_path_of_the_next_packets()
    {
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        _dp.TraceNext(1);
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.1.1"));
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.1.2"));
        _dp.PollOnce();
        var nodes = _dp.TraceLines.Select(l => l.Split(": ")[1]).ToList();
        Assert.Equal(["device-input", "ethernet-input", "ip4-input", "ip4-lookup", "ip4-rewrite", "interface-output"], nodes);
        Assert.All(_dp.TraceLines, l => Assert.StartsWith("packet 1: ", l));
    }

    [Fact]
    public void Invalid_API_calls_are_refused_with_a_reason_and_change_nothing()
    {
        var routes = _dp.Fib.Count;
        Assert.Contains("exists", Assert.Throws<DataplaneException>(() => _dp.CreateInterface("if0", new MemoryPort(), 0x02_00_00_00_00_09)).Message);
        Assert.Contains("unicast MAC", Assert.Throws<DataplaneException>(() => _dp.CreateInterface("if9", new MemoryPort(), 0x01_00_5e_00_00_01)).Message);
        Assert.Contains("MTU", Assert.Throws<DataplaneException>(() => _dp.SetMtu("if0", 20)).Message);
        Assert.Contains("already on if0", Assert.Throws<DataplaneException>(() => _dp.AddAddress("if1", Ip4.Parse("10.0.1.1"), 24)).Message);
        Assert.Contains("broadcast", Assert.Throws<DataplaneException>(() => _dp.AddAddress("if1", Ip4.Parse("10.0.3.255"), 24)).Message);
        Assert.Contains("host bits", Assert.Throws<DataplaneException>(() => _dp.AddRoute(Ip4.Parse("10.9.0.1"), 16, RouteKind.Blackhole)).Message);
        Assert.Contains("not on a subnet of if0", Assert.Throws<DataplaneException>(() => _dp.AddRoute(Ip4.Parse("10.9.0.0"), 16, RouteKind.NextHop, Ip4.Parse("172.16.0.1"), "if0")).Message);
        Assert.Contains("1 to 64 next hops", Assert.Throws<DataplaneException>(() => _dp.AddRoute(Ip4.Parse("10.9.0.0"), 16, [])).Message);
        Assert.Contains("no table 5", Assert.Throws<DataplaneException>(() => _dp.AddRoute(Ip4.Parse("10.9.0.0"), 16, RouteKind.Blackhole, table: 5)).Message);
        Assert.Contains("has addresses", Assert.Throws<DataplaneException>(() => _dp.SetInterfaceTable("if0", _dp.CreateTable(5).Id)).Message);
        Assert.Contains("own route", Assert.Throws<DataplaneException>(() => _dp.DeleteRoute(Ip4.Parse("10.0.1.0"), 24)).Message);
        Assert.Contains("no interface", Assert.Throws<DataplaneException>(() => _dp.SetAdminUp("eth7", true)).Message);
        Assert.Equal(routes, _dp.Fib.Count);
        Assert.Equal(2, _dp.Interfaces.Count());
    }

    [Fact]
    public void A_gratuitous_ARP_moves_a_known_neighbor_and_teaches_nothing_new()
    {
        const ulong MacMoved = 0x02_aa_00_00_00_99;
        // 10.0.2.2 is learned from its ARP request for the router, then announces a new MAC (failover).
        _p1.Inject(Frames.ArpRequest(MacB, "10.0.2.2", "10.0.2.1"));
        _dp.PollOnce();
        _p1.Clear();
        var gratuitous = Frames.ArpRequest(MacMoved, "10.0.2.2", "10.0.2.2");
        _p1.Inject(gratuitous);
        _p1.Inject(Frames.ArpRequest(MacMoved, "10.0.2.77", "10.0.2.77")); // unknown: not learned
        _dp.PollOnce();
        Assert.Empty(_p1.Sent); // nothing answered
        Assert.True(_dp.Neighbors.TryGet(_dp.Interface("if1").Index, Ip4.Parse("10.0.2.2"), out var mac));
        Assert.Equal(MacMoved, mac);
        Assert.False(_dp.Neighbors.TryGet(_dp.Interface("if1").Index, Ip4.Parse("10.0.2.77"), out _));
        _p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.3.3"));
        _dp.PollOnce();
        Assert.Equal(MacMoved, Ethernet.Destination(Single(_p1)));
        // A static neighbor stays as the administrator set it.
        _dp.AddNeighbor("if0", Ip4.Parse("10.0.1.2"), MacA);
        _p0.Inject(Frames.ArpRequest(MacMoved, "10.0.1.2", "10.0.1.2"));
        _dp.PollOnce();
        Assert.True(_dp.Neighbors.TryGet(_dp.Interface("if0").Index, Ip4.Parse("10.0.1.2"), out mac));
        Assert.Equal(MacA, mac);
    }

    private static bool IsArpRequestFor(byte[] f, string target, ulong to) =>
        Ethernet.Type(f) == Ethernet.TypeArp && Ethernet.Destination(f) == to && f[21] == 1
        && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(38)) == Ip4.Parse(target);

    [Fact]
    public void A_learned_neighbor_that_stops_answering_is_probed_by_unicast_then_forgotten()
    {
        _dp.SetNeighborAging(new NeighborAging { Reachable = TimeSpan.FromMilliseconds(400), ProbeInterval = TimeSpan.FromMilliseconds(200), Probes = 2 });
        _p1.Inject(Frames.ArpRequest(MacB, "10.0.2.2", "10.0.2.1")); // learned: 10.0.2.2 is-at B
        _dp.PollOnce();
        _p1.Clear();
        var toB = Frames.Udp(MacIf0, MacA, "10.0.1.2", "192.168.3.3");
        _p0.Inject(toB);
        _dp.PollOnce();
        Assert.Equal(MacB, Ethernet.Destination(Single(_p1))); // fresh: no probe

        // Stale: still forwarded to B, and B is asked by unicast; it answers, and all is well again.
        Thread.Sleep(500); // stale: between 400 and 800 ms unconfirmed
        _p0.Inject(toB);
        _dp.PollOnce();
        Assert.Equal(2, _p1.Sent.Count);
        Assert.Contains(_p1.Sent, f => IsArpRequestFor(f, "10.0.2.2", MacB));
        Assert.Contains(_p1.Sent, f => Ethernet.Type(f) == Ethernet.TypeIp4 && Ethernet.Destination(f) == MacB);
        var reply = Frames.ArpRequest(MacB, "10.0.2.2", "10.0.2.1");
        reply[21] = 2;
        _p1.Inject(reply);
        _dp.PollOnce();
        _p1.Clear();
        _p0.Inject(toB);
        _dp.PollOnce();
        Assert.Single(_p1.Sent); // confirmed: no probe

        // Stale again and silent: after the probes (2 x 200 ms) it is forgotten, and the next packet asks by broadcast.
        Thread.Sleep(1000);
        _p1.Clear();
        _p0.Inject(toB);
        _dp.PollOnce();
        Assert.False(_dp.Neighbors.TryGet(_dp.Interface("if1").Index, Ip4.Parse("10.0.2.2"), out _));
        Assert.Contains(_p1.Sent, f => IsArpRequestFor(f, "10.0.2.2", Ethernet.Broadcast));
        Assert.DoesNotContain(_p1.Sent, f => Ethernet.Type(f) == Ethernet.TypeIp4); // held while ARP asks
        // A static neighbor never ages.
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        Thread.Sleep(1000);
        _p1.Clear();
        _p0.Inject(toB);
        _dp.PollOnce();
        Assert.Single(_p1.Sent);
        Assert.Contains("at least 10 ms", Assert.Throws<DataplaneException>(() => _dp.SetNeighborAging(new NeighborAging { Reachable = TimeSpan.Zero })).Message);
    }
}
