using System.Buffers.Binary;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// IPv6 through the graph on memory ports: the router has 2001:db8:1::1/64 on if0 and 2001:db8:2::1/64 on if1;
/// host A (2001:db8:1::2) on if0, router B (2001:db8:2::2) on if1 with 2001:db8:99::/48 behind it.
/// </summary>
public sealed class Ip6ForwardingTests : IDisposable
{
    private const ulong MacIf0 = 0x02_00_00_00_00_01, MacIf1 = 0x02_00_00_00_00_02, MacA = 0x02_aa_00_00_00_0a, MacB = 0x02_bb_00_00_00_0b;
    private static readonly UInt128 A = Ip6.Parse("2001:db8:1::2"), B = Ip6.Parse("2001:db8:2::2"), R0 = Ip6.Parse("2001:db8:1::1");

    private readonly Dataplane _dp = new(buffers: 1024);
    private readonly MemoryPort _p0 = new(), _p1 = new();

    public Ip6ForwardingTests()
    {
        _dp.CreateInterface("if0", _p0, MacIf0);
        _dp.CreateInterface("if1", _p1, MacIf1);
        _dp.AddAddress6("if0", R0, 64);
        _dp.AddAddress6("if1", Ip6.Parse("2001:db8:2::1"), 64);
        _dp.SetAdminUp("if0", true);
        _dp.SetAdminUp("if1", true);
        _dp.AddRoute6(Ip6.Parse("2001:db8:99::"), 48, RouteKind.NextHop, B);
        _dp.AddNeighbor6("if0", A, MacA);
    }

    public void Dispose() => _dp.Dispose();

    private static byte[] Packet(ulong dstMac, UInt128 src, UInt128 dst, byte next, byte hopLimit, ReadOnlySpan<byte> payload, bool checksum = true)
    {
        var frame = new byte[14 + 40 + payload.Length];
        Ethernet.WriteHeader(frame, dstMac, MacA, Ethernet.TypeIp6);
        var h = frame.AsSpan(14);
        Ip6.WriteHeader(h, payload.Length, next, hopLimit, src, dst);
        payload.CopyTo(h[40..]);
        if (checksum && next == Ip6.ProtoIcmp6) BinaryPrimitives.WriteUInt16BigEndian(h[42..], Ip6.UpperChecksum(h, h[40..], next));
        if (checksum && next == Ip6.ProtoUdp) BinaryPrimitives.WriteUInt16BigEndian(h[46..], Ip6.UpperChecksum(h, h[40..], next));
        return frame;
    }

    private static byte[] Udp(UInt128 dst, byte hopLimit = 64, int payload = 24)
    {
        var udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 6000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        return Packet(MacIf0, A, dst, Ip6.ProtoUdp, hopLimit, udp);
    }

    private static byte[] Solicitation(UInt128 target, UInt128 from, ulong fromMac)
    {
        var ns = new byte[32];
        ns[0] = 135;
        BinaryPrimitives.WriteUInt128BigEndian(ns.AsSpan(8), target);
        ns[24] = 1;
        ns[25] = 1;
        Ethernet.Write48(ns.AsSpan(26), fromMac);
        var frame = Packet(Ip6.MulticastMac(Ip6.SolicitedNode(target)), from, Ip6.SolicitedNode(target), Ip6.ProtoIcmp6, 255, ns);
        Ethernet.Write48(frame.AsSpan(6), fromMac);
        return frame;
    }

    private static Span<byte> Ip(byte[] frame) => frame.AsSpan(14);

    private static byte[] Single(MemoryPort port)
    {
        Assert.True(port.Sent.TryDequeue(out var frame), "nothing was sent");
        Assert.Empty(port.Sent);
        return frame;
    }

    private static void AssertIcmpChecksum(byte[] frame)
    {
        var h = Ip(frame);
        Assert.True(Ip6.UpperChecksumValid(h, h[40..(40 + Ip6.PayloadLength(h))], Ip6.ProtoIcmp6));
    }

    [Fact]
    public void A_solicitation_for_the_routers_address_gets_an_advertisement_and_teaches_the_sender()
    {
        _p1.Inject(Solicitation(Ip6.Parse("2001:db8:2::1"), B, MacB));
        _dp.PollOnce();
        var na = Single(_p1);
        Assert.Equal(MacB, Ethernet.Destination(na));
        Assert.Equal(Ethernet.TypeIp6, Ethernet.Type(na));
        var h = Ip(na);
        Assert.Equal(255, Ip6.HopLimit(h));
        Assert.Equal(Ip6.Parse("2001:db8:2::1"), Ip6.Source(h));
        Assert.Equal(B, Ip6.Destination(h));
        Assert.Equal(136, h[40]);
        Assert.Equal(0xe0, h[44]); // router, solicited, override
        Assert.Equal(Ip6.Parse("2001:db8:2::1"), BinaryPrimitives.ReadUInt128BigEndian(h[48..]));
        Assert.Equal((2, 1), (h[64], h[65]));
        Assert.Equal(MacIf1, Ethernet.Read48(h[66..]));
        AssertIcmpChecksum(na);
        Assert.True(_dp.Neighbors.TryGet(_dp.Interface("if1").Index, B, out var learned));
        Assert.Equal(MacB, learned);
    }

    [Fact]
    public void The_link_local_address_answers_solicitations_too()
    {
        var linkLocal = Ip6.LinkLocal(MacIf0);
        Assert.Equal(Ip6.Parse("fe80::ff:fe00:1"), linkLocal);
        var hostLinkLocal = Ip6.LinkLocal(MacA);
        _p0.Inject(Solicitation(linkLocal, hostLinkLocal, MacA));
        _dp.PollOnce();
        var h = Ip(Single(_p0));
        Assert.Equal(linkLocal, Ip6.Source(h));
        Assert.Equal(hostLinkLocal, Ip6.Destination(h));
    }

    [Fact]
    public void A_ping_to_the_router_is_answered()
    {
        var echo = new byte[8 + 16];
        echo[0] = 128;
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(4), 42);
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(6), 3);
        _p0.Inject(Packet(MacIf0, A, R0, Ip6.ProtoIcmp6, 64, echo));
        _dp.PollOnce();
        var reply = Single(_p0);
        Assert.Equal(MacA, Ethernet.Destination(reply));
        var h = Ip(reply);
        Assert.Equal((R0, A), (Ip6.Source(h), Ip6.Destination(h)));
        Assert.Equal(129, h[40]);
        Assert.Equal(42, BinaryPrimitives.ReadUInt16BigEndian(h[44..]));
        AssertIcmpChecksum(reply);
    }

    [Fact]
    public void A_routed_packet_leaves_with_one_hop_less_once_the_next_hop_is_discovered()
    {
        var sent = Udp(Ip6.Parse("2001:db8:99::7"), hopLimit: 9);
        _p0.Inject(sent);
        _dp.PollOnce();
        var ns = Single(_p1);
        Assert.Equal(Ip6.MulticastMac(Ip6.SolicitedNode(B)), Ethernet.Destination(ns));
        Assert.Equal(0x33_33_ff_00_00_02UL, Ethernet.Destination(ns));
        Assert.Equal(135, Ip(ns)[40]);
        Assert.Equal(B, BinaryPrimitives.ReadUInt128BigEndian(Ip(ns)[48..]));
        AssertIcmpChecksum(ns);

        var na = new byte[32];
        na[0] = 136;
        na[4] = 0x60;
        BinaryPrimitives.WriteUInt128BigEndian(na.AsSpan(8), B);
        na[24] = 2;
        na[25] = 1;
        Ethernet.Write48(na.AsSpan(26), MacB);
        _p1.Inject(Packet(MacIf1, B, Ip6.Parse("2001:db8:2::1"), Ip6.ProtoIcmp6, 255, na));
        _dp.PollOnce();
        var forwarded = Single(_p1);
        Assert.Equal((MacB, MacIf1), (Ethernet.Destination(forwarded), Ethernet.Source(forwarded)));
        Assert.Equal(8, Ip6.HopLimit(Ip(forwarded)));
        Assert.True(Ip(forwarded)[8..].SequenceEqual(Ip(sent)[8..])); // addresses and the UDP datagram unchanged
        Assert.True(Ip6.UpperChecksumValid(Ip(forwarded), Ip(forwarded)[40..], Ip6.ProtoUdp));
    }

    [Fact]
    public void Expiring_hop_limit_too_big_and_no_route_get_ICMPv6_errors()
    {
        _dp.AddNeighbor6("if1", B, MacB);
        _dp.SetMtu("if1", 1280);
        _p0.Inject(Udp(B, hopLimit: 1));
        _p0.Inject(Udp(B, payload: 1400));
        _p0.Inject(Udp(Ip6.Parse("2001:db8:77::1")));
        _dp.PollOnce();
        Assert.Equal(3, _p0.Sent.Count);
        foreach (var f in _p0.Sent)
        {
            AssertIcmpChecksum(f);
            Assert.Equal((R0, A), (Ip6.Source(Ip(f)), Ip6.Destination(Ip(f))));
            Assert.True(Ip(f).Length <= Ip6.MinMtu);
        }
        var byType = _p0.Sent.ToDictionary(f => Ip(f)[40], f => f[14..]);
        Assert.Equal(0, byType[3][41]); // time exceeded: hop limit
        Assert.Equal(1280u, BinaryPrimitives.ReadUInt32BigEndian(byType[2].AsSpan(44))); // packet too big, with the MTU
        Assert.Equal(0, byType[1][41]); // unreachable: no route
        Assert.Empty(_p1.Sent);
    }

    [Fact]
    public void Invalid_IPv6_API_calls_are_refused()
    {
        Assert.Contains("already on if0", Assert.Throws<DataplaneException>(() => _dp.AddAddress6("if1", R0, 64)).Message);
        Assert.Contains("global unicast", Assert.Throws<DataplaneException>(() => _dp.AddAddress6("if1", Ip6.Parse("fe80::5"), 64)).Message);
        Assert.Contains("host bits", Assert.Throws<DataplaneException>(() => _dp.AddRoute6(Ip6.Parse("2001:db8:5::1"), 48, RouteKind.Blackhole)).Message);
        Assert.Contains("own route", Assert.Throws<DataplaneException>(() => _dp.AddRoute6(Ip6.Parse("2001:db8:1::"), 64, RouteKind.Blackhole)).Message);
        Assert.Contains("needs its interface", Assert.Throws<DataplaneException>(() => _dp.AddRoute6(Ip6.Parse("2001:db8:5::"), 48, RouteKind.NextHop, Ip6.Parse("fe80::1"))).Message);
        Assert.Contains("weight", Assert.Throws<DataplaneException>(() => _dp.AddRoute6(Ip6.Parse("2001:db8:5::"), 48, [new Ip6NextHop(Ip6.Parse("2001:db8:1::9"), Weight: 0)])).Message);
        Assert.Contains("no route", Assert.Throws<DataplaneException>(() => _dp.DeleteRoute6(Ip6.Parse("2001:db8:77::"), 48)).Message);
    }

    [Fact]
    public void Packets_to_many_neighbors_in_turn_each_get_their_own_and_current_MAC()
    {
        // Eight neighbors on if1, each with a /48 behind it; one vector sends to them in turn (the rewrite keeps a
        // header per neighbor), then one neighbor's MAC changes and its next packets carry the new one.
        var neighbor = Enumerable.Range(0, 8).Select(i => Ip6.Parse("2001:db8:2::10") + (UInt128)i).ToArray();
        var mac = Enumerable.Range(0, 8).Select(i => 0x02_cc_00_00_00_00UL + (ulong)i).ToArray();
        for (var i = 0; i < 8; i++)
        {
            _dp.AddNeighbor6("if1", neighbor[i], mac[i]);
            _dp.AddRoute6(Ip6.Parse($"2001:db8:a{i}::"), 48, RouteKind.NextHop, neighbor[i]);
        }
        ulong[] SendRound()
        {
            _p1.Clear();
            for (var k = 0; k < 32; k++) _p0.Inject(Udp(Ip6.Parse($"2001:db8:a{k % 8}::5")));
            _dp.PollOnce();
            Assert.Equal(32, _p1.Sent.Count);
            return [.. _p1.Sent.Select(f => Ethernet.Destination(f))];
        }
        Assert.Equal(Enumerable.Range(0, 32).Select(k => mac[k % 8]), SendRound());
        _dp.AddNeighbor6("if1", neighbor[3], 0x02_dd_00_00_00_03);
        Assert.Equal(Enumerable.Range(0, 32).Select(k => k % 8 == 3 ? 0x02_dd_00_00_00_03UL : mac[k % 8]), SendRound());
    }
}
