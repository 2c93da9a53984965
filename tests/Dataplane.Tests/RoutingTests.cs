using System.Buffers.Binary;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// Routing beyond one next hop: ECMP and weighted paths picked by flow hash, recursive next hops that follow
/// the routes they resolve through, and tables (VRFs) that keep interfaces' routes apart. On the two-port router
/// (if0 10.0.1.1/24 with host A, if1 10.0.2.1/24 with B; C is 10.0.2.3 on if1 too).
/// </summary>
public sealed class RoutingTests : IDisposable
{
    private const ulong MacIf0 = TwoPortRouter.MacIf0, MacA = TwoPortRouter.MacA, MacB = TwoPortRouter.MacB, MacC = 0x02_cc_00_00_00_0c;

    private readonly Dataplane _dp;
    private readonly MemoryPort _p0, _p1;

    public RoutingTests()
    {
        (_dp, _p0, _p1) = TwoPortRouter.Build(buffers: 2048);
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.3"), MacC);
    }

    public void Dispose() => _dp.Dispose();

    private static byte[] Flow(string dst, ushort sport) => Udp(MacIf0, MacA, "10.0.1.2", dst, sport);

    private static byte[] Udp(ulong dstMac, ulong srcMac, string src, string dst, ushort sport)
    {
        var f = Frames.Udp(dstMac, srcMac, src, dst);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(34), sport);
        return f;
    }

    /// <summary>Sends the frames in from if0 and returns where each went: the destination MAC of what came out, or 0 when nothing did.</summary>
    private ulong[] Send(MemoryPort into, params byte[][] frames)
    {
        var result = new ulong[frames.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            _p0.Clear();
            _p1.Clear();
            into.Inject(frames[i]);
            _dp.PollOnce();
            var got = _p1.Sent.Concat(_p0.Sent).Where(f => Ethernet.Type(f) == Ethernet.TypeIp4 && Ip4.Protocol(f.AsSpan(14)) == Ip4.ProtoUdp).ToList();
            result[i] = got.Count == 1 ? Ethernet.Destination(got[0]) : 0;
        }
        return result;
    }

    private ulong[] Flows(string dst, int count) => Send(_p0, [.. Enumerable.Range(0, count).Select(i => Flow(dst, (ushort)(10_000 + i)))]);

    [Fact]
    public void Equal_cost_paths_share_the_flows_and_a_flow_stays_on_its_path()
    {
        _dp.AddRoute(Ip4.Parse("192.168.0.0"), 16, [new Ip4NextHop(Ip4.Parse("10.0.2.2")), new Ip4NextHop(Ip4.Parse("10.0.2.3"))]);
        var first = Flows("192.168.1.1", 400);
        Assert.All(first, mac => Assert.Contains(mac, new[] { MacB, MacC }));
        Assert.InRange(first.Count(m => m == MacB), 140, 260);
        Assert.Equal(first, Flows("192.168.1.1", 400)); // the same flows take the same paths again
        Assert.Equal(RouteKind.Multipath, _dp.Fib.Lookup(Ip4.Parse("192.168.1.1")).Kind);
    }

    [Fact]
    public void Weights_share_the_flows_in_proportion()
    {
        _dp.AddRoute(Ip4.Parse("192.168.0.0"), 16, [new Ip4NextHop(Ip4.Parse("10.0.2.2"), "if1", 3), new Ip4NextHop(Ip4.Parse("10.0.2.3"), "if1", 1)]);
        var macs = Flows("192.168.1.1", 800);
        Assert.InRange(macs.Count(m => m == MacB), 520, 680); // 600 expected
        Assert.Equal(800, macs.Count(m => m == MacB || m == MacC));
    }

    [Fact]
    public void A_recursive_next_hop_follows_the_route_it_resolves_through()
    {
        // 203.0.113.0/24 via 198.51.100.1 (not on a link), which is reached through 198.51.100.0/24.
        _dp.AddRoute(Ip4.Parse("203.0.113.0"), 24, RouteKind.NextHop, Ip4.Parse("198.51.100.1"));
        Assert.False(_dp.Tables[0].TryGet(new RouteKey(false, Ip4.Parse("203.0.113.0"), 24), out var r) && r.Installed);
        Assert.Equal([0UL], Send(_p0, Flow("203.0.113.5", 1))); // unresolved: no route
        Assert.Equal(1, _dp.DropCount(DropReason.NoRoute));

        _dp.AddRoute(Ip4.Parse("198.51.100.0"), 24, RouteKind.NextHop, Ip4.Parse("10.0.2.2"));
        Assert.Equal([MacB], Send(_p0, Flow("203.0.113.5", 1)));
        Assert.True(_dp.Tables[0].TryGet(new RouteKey(false, Ip4.Parse("203.0.113.0"), 24), out r));
        Assert.Equal([new RouteKey(false, Ip4.Parse("198.51.100.0"), 24)], r.ResolvedVia);

        // The underlying route moves to A on if0: the recursive one follows at once.
        _dp.AddRoute(Ip4.Parse("198.51.100.0"), 24, RouteKind.NextHop, Ip4.Parse("10.0.1.2"));
        Assert.Equal([MacA], Send(_p0, Flow("203.0.113.5", 1)));

        // A more specific route for the next hop takes over; removed, the /24 serves again.
        _dp.AddRoute(Ip4.Parse("198.51.100.0"), 25, [new Ip4NextHop(Ip4.Parse("10.0.2.2")), new Ip4NextHop(Ip4.Parse("10.0.2.3"))]);
        var spread = Send(_p0, [.. Enumerable.Range(0, 64).Select(i => Flow("203.0.113.5", (ushort)i))]);
        Assert.Contains(MacB, spread);
        Assert.Contains(MacC, spread); // it inherited both paths
        _dp.DeleteRoute(Ip4.Parse("198.51.100.0"), 25);
        Assert.Equal([MacA], Send(_p0, Flow("203.0.113.5", 1)));

        // Without anything to resolve through, it leaves the FIB (a shorter route serves meanwhile).
        _dp.AddRoute(Ip4.Parse("203.0.0.0"), 8, RouteKind.Blackhole);
        _dp.DeleteRoute(Ip4.Parse("198.51.100.0"), 24);
        Assert.Equal(RouteKind.Blackhole, _dp.Fib.Lookup(Ip4.Parse("203.0.113.5")).Kind);
        _dp.AddRoute(Ip4.Parse("198.51.100.0"), 24, RouteKind.NextHop, Ip4.Parse("10.0.2.3"));
        Assert.Equal([MacC], Send(_p0, Flow("203.0.113.5", 1)));
    }

    [Fact]
    public void Routes_that_would_resolve_through_each_other_stay_out_of_the_FIB()
    {
        _dp.AddRoute(Ip4.Parse("10.10.0.0"), 16, RouteKind.NextHop, Ip4.Parse("10.20.0.1"));
        _dp.AddRoute(Ip4.Parse("10.20.0.0"), 16, RouteKind.NextHop, Ip4.Parse("10.10.0.1"));
        Assert.Equal(RouteKind.None, _dp.Fib.Lookup(Ip4.Parse("10.10.0.1")).Kind);
        Assert.Equal(RouteKind.None, _dp.Fib.Lookup(Ip4.Parse("10.20.0.1")).Kind);
        // A route covered only by itself resolves through a shorter one (here the default route).
        _dp.AddRoute(0, 0, RouteKind.NextHop, Ip4.Parse("10.0.2.2"));
        _dp.AddRoute(Ip4.Parse("8.0.0.0"), 8, RouteKind.NextHop, Ip4.Parse("8.8.8.8"));
        Assert.Equal([MacB], Send(_p0, Flow("8.1.2.3", 1)));
        // Now both loop routes resolve through the default route, not through each other.
        Assert.Equal(RouteKind.NextHop, _dp.Fib.Lookup(Ip4.Parse("10.10.0.1")).Kind);
        Assert.Equal(Ip4.Parse("10.0.2.2"), _dp.Fib.Lookup(Ip4.Parse("10.20.0.1")).NextHop);
    }

    [Fact]
    public void A_table_keeps_its_interfaces_routes_apart_and_allows_the_same_addresses()
    {
        var p2 = new MemoryPort();
        var p3 = new MemoryPort();
        _dp.CreateTable(7);
        _dp.CreateInterface("red0", p2, 0x02_00_00_00_00_07);
        _dp.CreateInterface("red1", p3, 0x02_00_00_00_00_08);
        _dp.SetInterfaceTable("red0", 7);
        _dp.SetInterfaceTable("red1", 7);
        _dp.AddAddress("red0", Ip4.Parse("10.0.1.1"), 24); // the same address as if0's, in another table
        _dp.AddAddress("red1", Ip4.Parse("10.9.9.1"), 24);
        _dp.SetAdminUp("red0", true);
        _dp.SetAdminUp("red1", true);
        _dp.AddNeighbor("red1", Ip4.Parse("10.9.9.2"), MacB);
        _dp.AddNeighbor("red0", Ip4.Parse("10.0.1.2"), MacA);

        // 10.0.2.2 is connected in table 0 only: from red0 it is unreachable (ICMP back out of red0).
        p2.Inject(Udp(0x02_00_00_00_00_07, MacA, "10.0.1.2", "10.0.2.2", 1));
        _dp.PollOnce();
        Assert.Empty(_p1.Sent);
        Assert.True(p2.Sent.TryDequeue(out var icmp));
        Assert.Equal(Ip4.ProtoIcmp, Ip4.Protocol(icmp.AsSpan(14)));

        // A route in table 7 sends it out of red1; table 0 is untouched.
        _dp.AddRoute(Ip4.Parse("10.0.2.0"), 24, RouteKind.NextHop, Ip4.Parse("10.9.9.2"), table: 7);
        p2.Inject(Udp(0x02_00_00_00_00_07, MacA, "10.0.1.2", "10.0.2.2", 1));
        _dp.PollOnce();
        Assert.Single(p3.Sent);
        Assert.Empty(_p1.Sent);
        Assert.Equal(RouteKind.Connected, _dp.Fib.Lookup(Ip4.Parse("10.0.2.2")).Kind);

        // One vector with packets of both tables (ip4-lookup looks a vector up in one pass per table): each goes by its own.
        _dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        for (var i = 0; i < 5; i++)
        {
            _p0.Inject(Flow("10.0.2.2", (ushort)(100 + i)));
            p2.Inject(Udp(0x02_00_00_00_00_07, MacA, "10.0.1.2", "10.0.2.2", (ushort)(200 + i)));
        }
        _dp.PollOnce();
        Assert.Equal(5, _p1.Sent.Count);
        Assert.Equal(6, p3.Sent.Count);

        // A table in use cannot go; a route cannot leave by an interface of another table.
        Assert.Contains("red0", Assert.Throws<DataplaneException>(() => _dp.DeleteTable(7)).Message);
        Assert.Contains("not in table 7", Assert.Throws<DataplaneException>(() => _dp.AddRoute(Ip4.Parse("10.5.0.0"), 16, RouteKind.NextHop, Ip4.Parse("10.0.2.2"), "if1", 7)).Message);
        _dp.DeleteInterface("red0");
        _dp.DeleteInterface("red1");
        _dp.DeleteTable(7);
        Assert.False(_dp.Tables.ContainsKey(7));
    }

    [Fact]
    public void IPv6_routes_have_multipath_and_recursion_too()
    {
        _dp.AddAddress6("if1", Ip6.Parse("2001:db8:2::1"), 64);
        _dp.AddNeighbor6("if1", Ip6.Parse("2001:db8:2::2"), MacB);
        _dp.AddNeighbor6("if1", Ip6.Parse("2001:db8:2::3"), MacC);
        _dp.AddRoute6(Ip6.Parse("2001:db8:99::"), 48, [new Ip6NextHop(Ip6.Parse("2001:db8:2::2")), new Ip6NextHop(Ip6.Parse("2001:db8:2::3"))]);
        _dp.AddRoute6(Ip6.Parse("2001:db8:77::"), 48, RouteKind.NextHop, Ip6.Parse("2001:db8:99::1"));
        var fib = _dp.Fib6;
        var a = fib.Lookup(Ip6.Parse("2001:db8:77::5"));
        Assert.Equal(RouteKind.Multipath, a.Kind);
        Assert.Equal([Ip6.Parse("2001:db8:2::2"), Ip6.Parse("2001:db8:2::3")], fib.Paths[a.PathSet].Select(p => p.NextHop).Order());
        _dp.DeleteRoute6(Ip6.Parse("2001:db8:99::"), 48);
        Assert.Equal(RouteKind.None, fib.Lookup(Ip6.Parse("2001:db8:77::5")).Kind);
    }
}
