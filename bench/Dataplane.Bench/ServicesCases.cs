using System.Buffers.Binary;
using System.Diagnostics;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Nat;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Bench;

/// <summary>
/// Issue 6's component cases (bench/services/run.sh): the Maglev table build for N backends, and one worker's
/// connection-tracking table with N sessions (creation rate, lookup rate of established flows, bytes per session).
/// </summary>
internal static class ServicesCases
{
    // maglev-build N: the median of 11 builds of a 65537-entry table for N equally weighted backends, in ms.
    public static int Maglev(string[] args)
    {
        var n = int.Parse(args[0]);
        var backends = Enumerable.Range(0, n).Select(i => new MaglevBackend($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:80")).ToArray();
        LoadBalancing.Maglev.Build(backends); // JIT warm-up
        var times = new double[11];
        for (var r = 0; r < times.Length; r++)
        {
            var clock = Stopwatch.StartNew();
            LoadBalancing.Maglev.Build(backends);
            times[r] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        Console.WriteLine($"maglev-build-{Label(n)}\t{times[5]:F1}\tms\t");
        return 0;
    }

    // conntrack N: N UDP sessions created in one table (Mpps of creations), then lookups of random established
    // flows with a touch each (Mpps), on one core; prints bytes per session.
    public static int Conntrack(string[] args)
    {
        var n = int.Parse(args[0]);
        static FlowKey4 Client(int i) => new(0x0a00_0000u + (uint)(i >> 6), 0xc000_020a, (ushort)(1024 + (i & 63)), 53, 17);
        for (var round = 0; round < 20; round++)
        {
            // Warm-up (tiered JIT): creations and lookups in a small table.
            var warm = new SessionTable<FlowKey4>(10_000);
            for (var i = 0; i < 10_000; i++) warm.Create(Client(i), Client(i).Reversed, 0);
            for (var i = 0; i < 10_000; i++) warm.TryFind(Client(i), out _, out _);
        }
        var table = new SessionTable<FlowKey4>(n);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            var k = Client(i);
            if (table.Create(k, k.Reversed, 0) < 0) throw new InvalidOperationException($"session {i} refused");
        }
        var create = n / clock.Elapsed.TotalSeconds / 1e6;
        var random = new Random(1);
        var keys = new FlowKey4[1 << 16];
        for (var i = 0; i < keys.Length; i++) keys[i] = random.Next(2) == 0 ? Client(random.Next(n)) : Client(random.Next(n)).Reversed;
        var found = 0L;
        clock.Restart();
        var lookups = 0L;
        while (clock.Elapsed.TotalSeconds < 2)
        {
            for (var i = 0; i < keys.Length; i++)
                if (table.TryFind(keys[i], out var s, out var reply))
                {
                    table.Touch(s, reply, 0, 1);
                    found++;
                }
            lookups += keys.Length;
        }
        if (found != lookups) throw new InvalidOperationException("a session was not found");
        var single = lookups / clock.Elapsed.TotalSeconds / 1e6;
        // The same lookups a vector of 256 at a time (FindMany), as a node would do them.
        var sessions = new int[256];
        var replies = new bool[256];
        var hashes = new uint[256];
        found = lookups = 0;
        clock.Restart();
        while (clock.Elapsed.TotalSeconds < 2)
        {
            for (var i = 0; i < keys.Length; i += 256)
            {
                table.FindMany(keys.AsSpan(i, 256), sessions, replies, hashes);
                for (var j = 0; j < 256; j++)
                    if (sessions[j] >= 0)
                    {
                        table.Touch(sessions[j], replies[j], 0, 1);
                        found++;
                    }
            }
            lookups += keys.Length;
        }
        if (found != lookups) throw new InvalidOperationException("a session was not found in a vector");
        var lookup = lookups / clock.Elapsed.TotalSeconds / 1e6;
        Console.Error.WriteLine($"lookups one at a time {single:F2} M/s, a vector at a time {lookup:F2} M/s");
        Console.WriteLine($"mem-conntrack-{Label(n)}\t{lookup:F2}\t{create:F2}\t{table.BytesPerSession:F0}");
        return 0;
    }

    // mem-nat44 N SECONDS: one worker with NAT44 between "in" (inside) and "out" (outside). N UDP flows from an
    // inside host open their sessions through the graph (creations per second, first packets forwarded), then both
    // ports send packets of random established flows (in to out, and the replies out to in: 64-byte frames, 256 per
    // port and poll) and count what leaves. The reference is the same frames through the same graph without NAT
    // (the pool address routed inside: plain IPv4 forwarding), measured in slices alternating with NAT's, so that
    // both see the machine as it is (a shared host's speed changes by half from one minute to the next). Prints
    // case, Mpps (the median of ten slices), reference (ip4-routed), its Mpps, bytes per session, session creations
    // in millions per second.
    public static int Nat44(string[] args)
    {
        var n = int.Parse(args[0]);
        var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3.0;
        // A smaller run first, so that the measured session creations run compiled code (tiered JIT).
        for (var i = 0; i < 3; i++) RunNat44(20_000, 0.3, print: false);
        RunNat44(n, seconds, print: true);
        return 0;
    }

    private static void RunNat44(int n, double seconds, bool print)
    {
        using var nat = Nat44Setup(n, plain: false, out var create);
        using var routed = Nat44Setup(n, plain: true, out _);
        var (mpps, reference, slices) = MeasurePair(nat.Dp, nat.Count, routed.Dp, routed.Count, seconds, print);
        if (!print) return;
        Console.Error.WriteLine($"slices {slices}; {nat.Dp.NatCounters}; drops: {Drops(nat.Dp)} / {Drops(routed.Dp)}");
        Console.WriteLine($"mem-nat44-{Label(n)}\t{mpps:F2}\tip4-routed\t{reference:F2}\t{nat.Dp.NatBytesPerSession:F0}\t{create:F2}");
    }

    // A dataplane whose N flows are open (through the graph, timed: creations per second) and whose ports then send
    // packets of random established flows; plain: the same without NAT.
    private static Setup Nat44Setup(int n, bool plain, out double create)
    {
        const ulong MacIn = 0x02_00_00_00_00_01, MacOut = 0x02_00_00_00_00_02, MacHost = 0x02_aa_00_00_00_02, MacGateway = 0x02_bb_00_00_00_fe;
        var dp = new Dataplane(buffers: 8192);
        var inside = new LoopPort();
        var outside = new LoopPort();
        dp.CreateInterface("in", inside, MacIn);
        dp.CreateInterface("out", outside, MacOut);
        dp.AddAddress("in", Ip4.Parse("10.0.0.1"), 24);
        dp.AddAddress("out", Ip4.Parse("198.51.100.1"), 24);
        dp.SetAdminUp("in", true);
        dp.SetAdminUp("out", true);
        dp.AddNeighbor("in", Ip4.Parse("10.0.0.2"), MacHost);
        dp.AddNeighbor("out", Ip4.Parse("198.51.100.254"), MacGateway);
        dp.AddRoute(Ip4.Parse("198.18.0.0"), 15, RouteKind.NextHop, Ip4.Parse("198.51.100.254"));
        var pool = Ip4.Parse("203.0.113.10");
        var host = Ip4.Parse("10.0.0.2");
        if (plain) dp.AddRoute(pool, 32, RouteKind.NextHop, host);
        else dp.SetNat44(new Nat44Config { Inside = ["in"], Outside = ["out"], Pool = [Ip4Range.Single(pool)], SessionsPerWorker = n });
        // Flow i: 10.0.0.2:(1024 + i / 65536) -> 198.18.(i % 65536):53; the pairs of server and port are distinct,
        // so every source port is kept (port preservation) and the replies' ports are known.
        static uint Server(int i) => Ip4.Parse("198.18.0.0") + (uint)(i % 65536);
        static ushort Port(int i) => (ushort)(1024 + i / 65536);
        inside.Frames = [.. Enumerable.Range(0, n).Select(i => Udp(MacIn, MacHost, host, Port(i), Server(i), 53))];
        inside.Limit = n;
        var clock = Stopwatch.StartNew();
        while (inside.Sent < n) dp.PollOnce();
        create = n / clock.Elapsed.TotalSeconds / 1e6;
        if (!plain && dp.NatCounters.Sessions != n || outside.Count != n)
            throw new InvalidOperationException($"{dp.NatCounters.Sessions} sessions and {outside.Count} packets out of {n} flows");
        var random = new Random(7);
        var flows = Enumerable.Range(0, 1 << 16).Select(_ => random.Next(n)).ToArray();
        inside.Frames = [.. flows.Select(i => Udp(MacIn, MacHost, host, Port(i), Server(i), 53))];
        outside.Frames = [.. flows.Select(i => Udp(MacOut, MacGateway, Server(i), 53, pool, Port(i)))];
        inside.Limit = outside.Limit = long.MaxValue;
        return new Setup(dp, () => inside.Count + outside.Count);
    }

    private sealed record Setup(Dataplane Dp, Func<long> Count) : IDisposable
    {
        public void Dispose() => Dp.Dispose();
    }

    // mem-lb N SECONDS: one worker load-balancing UDP flows to a VIP over 16 servers in GRE over IPv4 (VPP LB's
    // usual mode; the servers answer clients directly, so one direction). N flows from 64k clients first open their
    // entries in the sticky table (creations per second through the graph), then packets of random established
    // flows (64-byte frames, 256 per poll) are balanced and counted. The reference is the same frames routed (the
    // VIP routed to the first server; ip4-routed or ip6-routed), in alternating slices. Prints as mem-nat44.
    public static int Lb(string[] args)
    {
        var n = int.Parse(args[0]);
        var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3.0;
        for (var i = 0; i < 3; i++) RunLb(20_000, 0.3, print: false);
        RunLb(n, seconds, print: true);
        return 0;
    }

    private static void RunLb(int n, double seconds, bool print)
    {
        var v6 = Environment.GetEnvironmentVariable("MGMT_BENCH_LB_V6") == "1";
        using var lb = LbSetup(n, plain: false, out var create);
        using var routed = LbSetup(n, plain: true, out _);
        var (mpps, reference, slices) = MeasurePair(lb.Dp, lb.Count, routed.Dp, routed.Count, seconds, print);
        if (!print) return;
        Console.Error.WriteLine($"slices {slices}; {lb.Dp.LbCounters}; drops: {Drops(lb.Dp)} / {Drops(routed.Dp)}");
        Console.WriteLine($"mem-lb{(v6 ? "6" : "")}-{Label(n)}\t{mpps:F2}\tip{(v6 ? 6 : 4)}-routed\t{reference:F2}\t{lb.Dp.LbBytesPerFlow:F0}\t{create:F2}");
    }

    private static Setup LbSetup(int n, bool plain, out double create)
    {
        const ulong MacIn = 0x02_00_00_00_00_01, MacOut = 0x02_00_00_00_00_02, MacClient = 0x02_aa_00_00_00_02;
        // MGMT_BENCH_LB_NAT=1: the same flows to a NAT mode VIP (kube-proxy's DNAT: sessions with both keys);
        // MGMT_BENCH_LB_V6=1: to an IPv6 VIP in IP in IPv6 (lb6); for comparison.
        var nat = Environment.GetEnvironmentVariable("MGMT_BENCH_LB_NAT") == "1";
        var v6 = Environment.GetEnvironmentVariable("MGMT_BENCH_LB_V6") == "1";
        var dp = new Dataplane(buffers: 8192);
        var clients = new LoopPort();
        var servers = new LoopPort();
        dp.CreateInterface("in", clients, MacIn);
        dp.CreateInterface("out", servers, MacOut);
        dp.AddAddress("in", Ip4.Parse("10.0.0.1"), 24);
        dp.AddAddress("out", Ip4.Parse("10.1.0.1"), 24);
        dp.AddAddress6("in", Ip6.Parse("2001:db8:a::1"), 64);
        dp.AddAddress6("out", Ip6.Parse("2001:db8:b::1"), 64);
        dp.SetAdminUp("in", true);
        dp.SetAdminUp("out", true);
        UInt128 vip = v6 ? Ip6.Parse("2001:db8:f::100") : Ip6.Mapped(Ip4.Parse("192.0.2.100"));
        var backends = new List<Mgmt.Dataplane.LoadBalancing.LbServer>();
        for (var i = 0; i < 16; i++)
        {
            var mac = 0x02_bb_00_00_00_00UL + (ulong)i;
            if (v6) dp.AddNeighbor6("out", Ip6.Parse("2001:db8:b::100") + (UInt128)i, mac);
            else dp.AddNeighbor("out", Ip4.Parse("10.1.0.100") + (uint)i, mac);
            backends.Add(v6 ? new Mgmt.Dataplane.LoadBalancing.LbServer(Ip6.Parse("2001:db8:b::100") + (UInt128)i)
                : Mgmt.Dataplane.LoadBalancing.LbServer.V4(Ip4.Parse("10.1.0.100") + (uint)i));
        }
        var mode = v6 ? Mgmt.Dataplane.LoadBalancing.LbMode.IpIp6 : nat ? Mgmt.Dataplane.LoadBalancing.LbMode.Nat : Mgmt.Dataplane.LoadBalancing.LbMode.Gre4;
        if (plain && v6) dp.AddRoute6(vip, 128, RouteKind.NextHop, backends[0].Address);
        else if (plain) dp.AddRoute((uint)vip, 32, RouteKind.NextHop, (uint)backends[0].Address);
        else dp.SetLoadBalancer(new Mgmt.Dataplane.LoadBalancing.LbConfig
        {
            Ip4Source = Ip4.Parse("10.1.0.1"),
            Ip6Source = Ip6.Parse("2001:db8:b::1"),
            FlowsPerWorker = n,
            Vips = [new Mgmt.Dataplane.LoadBalancing.LbVip(vip, 128, mode, backends, Ip4.ProtoUdp, 53)],
        });
        // Flow i: 198.18.(i % 65536) or 2001:db8:c::(i % 65536), port 1024 + i / 65536 -> the VIP, port 53.
        byte[] Frame(int i) => v6
            ? Udp6(MacIn, MacClient, Ip6.Parse("2001:db8:c::") + (UInt128)(uint)(i % 65536), (ushort)(1024 + i / 65536), vip, 53)
            : Udp(MacIn, MacClient, Ip4.Parse("198.18.0.0") + (uint)(i % 65536), (ushort)(1024 + i / 65536), (uint)vip, 53);
        clients.Frames = [.. Enumerable.Range(0, n).Select(Frame)];
        clients.Limit = n;
        var clock = Stopwatch.StartNew();
        while (clients.Sent < n) dp.PollOnce();
        create = n / clock.Elapsed.TotalSeconds / 1e6;
        if (!plain && dp.LbCounters.Flows != n || servers.Count != n) throw new InvalidOperationException($"{dp.LbCounters.Flows} flows and {servers.Count} packets out of {n}");
        var random = new Random(7);
        clients.Frames = [.. Enumerable.Range(0, 1 << 16).Select(_ => Frame(random.Next(n)))];
        clients.Limit = long.MaxValue;
        return new Setup(dp, () => servers.Count);
    }

    // A 66-byte IPv6 UDP frame with its checksum.
    private static byte[] Udp6(ulong dstMac, ulong srcMac, UInt128 source, ushort sourcePort, UInt128 destination, ushort destinationPort)
    {
        var f = new byte[14 + 40 + 12];
        Ethernet.WriteHeader(f, dstMac, srcMac, Ethernet.TypeIp6);
        var ip = f.AsSpan(14);
        Ip6.WriteHeader(ip, 12, Ip4.ProtoUdp, 64, source, destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[40..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[42..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[44..], 12);
        var sum = Checksum.Sum(ip.Slice(8, 32), Checksum.Sum(ip.Slice(40, 12), (uint)(Ip4.ProtoUdp + 12)));
        BinaryPrimitives.WriteUInt16BigEndian(ip[46..], (ushort)~Checksum.Fold(sum));
        return f;
    }

    // Warm-up (2 s each, when measuring), then ten slices of the time given for each of two dataplanes, alternating
    // (a, b, a, b, ...); the median slice of each is its result (a busy machine steals whole slices, not a share of
    // each). Returns both and a's slices as text.
    private static (double A, double B, string Slices) MeasurePair(Dataplane a, Func<long> countA, Dataplane b, Func<long> countB, double seconds, bool warm)
    {
        var clock = Stopwatch.StartNew();
        while (warm && clock.Elapsed.TotalSeconds < 2) a.PollOnce(); // tiered JIT settles
        clock.Restart();
        while (warm && clock.Elapsed.TotalSeconds < 2) b.PollOnce();
        var slicesA = new double[10];
        var slicesB = new double[10];
        for (var i = 0; i < slicesA.Length; i++)
        {
            slicesA[i] = Slice(a, countA, seconds / slicesA.Length);
            slicesB[i] = Slice(b, countB, seconds / slicesB.Length);
        }
        return (Median(slicesA), Median(slicesB), string.Join(' ', slicesA.Order().Select(x => x.ToString("F2"))) + " Mpps");

        static double Slice(Dataplane dp, Func<long> count, double seconds)
        {
            var before = count();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds) dp.PollOnce();
            return (count() - before) / clock.Elapsed.TotalSeconds / 1e6;
        }

        static double Median(double[] slices)
        {
            Array.Sort(slices);
            return (slices[4] + slices[5]) / 2;
        }
    }

    private static string Drops(Dataplane dp) =>
        string.Join(' ', Enum.GetValues<DropReason>().Where(r => dp.DropCount(r) > 0).Select(r => $"{r}={dp.DropCount(r)}"));

    // A 64-byte UDP frame with its checksums.
    private static byte[] Udp(ulong dstMac, ulong srcMac, uint source, ushort sourcePort, uint destination, ushort destinationPort)
    {
        var f = new byte[60];
        Ethernet.WriteHeader(f, dstMac, srcMac, Ethernet.TypeIp4);
        var ip = f.AsSpan(14);
        Ip4.WriteHeader(ip, 46, 64, Ip4.ProtoUdp, source, destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[20..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[24..], 26);
        var sum = Checksum.Sum(ip.Slice(12, 8), Checksum.Sum(ip.Slice(20, 26), (uint)(Ip4.ProtoUdp + 26)));
        BinaryPrimitives.WriteUInt16BigEndian(ip[26..], (ushort)~Checksum.Fold(sum));
        return f;
    }

    /// <summary>A port that hands the worker its frames round and round (up to <see cref="Limit"/>) and counts what the worker sends it.</summary>
    private sealed class LoopPort : IPacketPort
    {
        public byte[][] Frames = [];
        public long Limit = long.MaxValue;
        public long Sent;
        public long Count;
        private int _next;

        public bool LinkUp => true;

        public int Receive(PacketPool pool, Span<int> into)
        {
            var frames = Frames;
            if (frames.Length == 0) return 0;
            if (_next >= frames.Length) _next = 0; // new frames since
            var wanted = (int)Math.Min(into.Length, Limit - Sent);
            var n = 0;
            for (; n < wanted; n++)
            {
                var p = pool.Allocate();
                if (p < 0) break;
                var frame = frames[_next];
                if (++_next == frames.Length) _next = 0;
                frame.CopyTo(pool.Room(p));
                pool.Meta[p].Length = frame.Length;
                into[n] = p;
            }
            Sent += n;
            return n;
        }

        public bool Transmit(PacketPool pool, int packet)
        {
            Count++;
            return true;
        }

        public void Dispose() { }
    }

    private static string Label(int n) => n >= 1_000_000 ? $"{n / 1_000_000}m" : n >= 1000 ? $"{n / 1000}k" : $"{n}";
}
