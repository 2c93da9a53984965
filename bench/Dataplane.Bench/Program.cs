using System.Diagnostics;
using Mgmt.Dataplane;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

if (args is ["afpacket-ip4", .. var rest]) return Mgmt.Dataplane.Bench.AfPacketCase.Run(rest);
if (args is ["afpacket-dnat", .. var dnatArgs]) return Mgmt.Dataplane.Bench.AfPacketCase.Dnat(dnatArgs);
if (args is ["dpdk-ip4", .. var dpdkArgs]) return Mgmt.Dataplane.Bench.DpdkCase.Run(dpdkArgs);
if (args is ["maglev-build", .. var maglevArgs]) return Mgmt.Dataplane.Bench.ServicesCases.Maglev(maglevArgs);
if (args is ["mem-lb", .. var lbArgs]) return Mgmt.Dataplane.Bench.ServicesCases.Lb(lbArgs);
if (args is ["mem-nat44", .. var natArgs]) return Mgmt.Dataplane.Bench.ServicesCases.Nat44(natArgs);
if (args is ["conntrack", .. var conntrackArgs]) return Mgmt.Dataplane.Bench.ServicesCases.Conntrack(conntrackArgs);

// Packets per second of one worker on in-memory vectors (issue 5 cases mem-ip4-*): a generator port hands the
// worker 256 frames per poll (64-byte UDP to destinations spread over the routes), the graph forwards them, the
// egress port counts and drops them. Prints: case, mgmt_mpps, reference, reference_mpps.
//   dotnet run -c Release --project bench/Dataplane.Bench -- mem-ip4 ROUTES SECONDS
var (kind, routes, seconds) = args switch
{
    [var k, var r, var s] => (k, int.Parse(r), double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)),
    _ => ("mem-ip4", 1000, 3.0),
};
if (kind is not ("mem-ip4" or "mem-acl" or "mem-ip6")) { Console.Error.WriteLine($"unknown case {kind}"); return 2; }
var ip6 = kind == "mem-ip6";
// mem-acl N: 1000 routes, and an input ACL of N rules on the ingress interface that the traffic only matches at its
// last rule (N-1 denies of other sources with /32, /28, /24 and /20 prefixes and TCP/UDP ports, then permit).
var aclRules = kind == "mem-acl" ? routes : 0;
if (aclRules > 0) routes = 1000;

const ulong MacIn = 0x02_00_00_00_00_01, MacOut = 0x02_00_00_00_00_02, MacPeer = 0x02_bb_00_00_00_0b;
var random = new Random(42);
var destinations = new uint[4096];
var prefixes = new List<(uint Prefix, int Length)>(routes);
using var dp = new Dataplane(buffers: 8192);
var rx = new GeneratorPort();
var tx = new CountingPort();
dp.CreateInterface("in", rx, MacIn);
dp.CreateInterface("out", tx, MacOut);
dp.AddAddress("in", Ip4.Parse("10.0.0.1"), 24);
dp.AddAddress("out", Ip4.Parse("10.0.1.1"), 24);
dp.SetAdminUp("in", true);
dp.SetAdminUp("out", true);
dp.AddNeighbor("out", Ip4.Parse("10.0.1.2"), MacPeer);
dp.AddAddress6("out", Ip6.Parse("2001:db8:ffff::1"), 64);
dp.AddNeighbor6("out", Ip6.Parse("2001:db8:ffff::2"), MacPeer);
var load = Stopwatch.StartNew();
var destinations6 = new UInt128[4096];
if (ip6)
{
    // Prefixes of /32 to /64 in 2000::/3, as IPv6 tables are (/48 most common).
    var v6 = new List<(UInt128 Prefix, int Length)>(routes);
    while (v6.Count < routes)
    {
        var roll = random.Next(100);
        var length = roll < 50 ? 48 : roll < 80 ? random.Next(32, 48) : random.Next(49, 65);
        var prefix = (((UInt128)(0x2000_0000_0000_0000UL | (ulong)random.NextInt64() & 0x1fff_ffff_ffff_ffffUL)) << 64) & Ip6.Mask(length);
        if (dp.Fib6.TryGet(prefix, length, out _)) continue;
        dp.AddRoute6(prefix, length, RouteKind.NextHop, Ip6.Parse("2001:db8:ffff::2"));
        v6.Add((prefix, length));
    }
    for (var i = 0; i < destinations6.Length; i++)
    {
        var (prefix, length) = v6[random.Next(v6.Count)];
        destinations6[i] = prefix | ((UInt128)(ulong)random.NextInt64() & ~Ip6.Mask(length));
    }
    routes = v6.Count;
}
while (!ip6 && prefixes.Count < routes)
{
    // Lengths as in an Internet full table (about 60% /24, 25% /19-/23, 10% /16-/18, 5% longer), out of
    // 11.0.0.0 .. 222.255.255.255.
    var roll = random.Next(100);
    var length = roll < 60 ? 24 : roll < 85 ? random.Next(19, 24) : roll < 95 ? random.Next(16, 19) : random.Next(25, 33);
    var prefix = (uint)random.NextInt64(11L << 24, 223L << 24) & Ip4Fib.Mask(length);
    if (dp.Fib.TryGet(prefix, length, out _)) continue;
    dp.AddRoute(prefix, length, RouteKind.NextHop, Ip4.Parse("10.0.1.2"));
    prefixes.Add((prefix, length));
}
var loadSeconds = load.Elapsed.TotalSeconds;
if (aclRules > 0)
{
    dp.SetAcl("bench", Mgmt.Dataplane.Bench.BenchAcl.Rules(aclRules, random));
    dp.AttachAcls("in", ["bench"], []);
}
for (var i = 0; i < destinations.Length && !ip6; i++)
{
    var (prefix, length) = prefixes[random.Next(prefixes.Count)];
    destinations[i] = prefix | (uint)random.NextInt64(1L << 32) & ~Ip4Fib.Mask(length);
}
if (ip6) rx.Build6(MacIn, destinations6);
else rx.Build(MacIn, destinations);

// Warm up, then measure.
var until = Stopwatch.StartNew();
while (until.Elapsed.TotalSeconds < 2) dp.PollOnce(); // tiered JIT and PGO settle in about a second
// Ten slices of the time given; the median slice is the result (a busy machine steals whole slices, not a share of each).
var slices = new double[10];
for (var i = 0; i < slices.Length; i++)
{
    var before = tx.Count;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds / (double)slices.Length) dp.PollOnce();
    slices[i] = (tx.Count - before) / clock.Elapsed.TotalSeconds / 1e6;
}
Array.Sort(slices);
var mpps = (slices[4] + slices[5]) / 2;
var drops = Enum.GetValues<DropReason>().Where(r => dp.DropCount(r) > 0).Select(r => $"{r}={dp.DropCount(r)}");
Console.Error.WriteLine($"slices {string.Join(' ', slices.Select(x => x.ToString("F2")))} Mpps; {routes} routes loaded in {loadSeconds:F2} s; heap {GC.GetTotalMemory(false) / 1e6:F0} MB; drops: {string.Join(' ', drops)}; GC gen0 {GC.CollectionCount(0)}");
Console.WriteLine(aclRules > 0 ? $"mem-acl-{Label(aclRules)}\t{mpps:F2}\tnone\t" : $"{kind}-{Label(routes)}\t{mpps:F2}\tnone\t");
return 0;

static string Label(int n) => n >= 1_000_000 ? $"{n / 1_000_000}m" : n >= 1000 ? $"{n / 1000}k" : $"{n}";

/// <summary>Hands out copies of prepared 60-byte frames, a full vector per poll.</summary>
sealed class GeneratorPort : IPacketPort
{
    private byte[][] _frames = [];
    private int _next;

    public bool LinkUp => true;

    public void Build(ulong mac, uint[] destinations)
    {
        _frames = destinations.Select(d =>
        {
            var f = new byte[60];
            Ethernet.WriteHeader(f, mac, 0x02_aa_00_00_00_0a, Ethernet.TypeIp4);
            Ip4.WriteHeader(f.AsSpan(14), 46, 64, Ip4.ProtoUdp, Ip4.Parse("10.0.0.2"), d);
            return f;
        }).ToArray();
    }

    public void Build6(ulong mac, UInt128[] destinations)
    {
        _frames = destinations.Select(d =>
        {
            var f = new byte[14 + 40 + 8 + 2];
            Ethernet.WriteHeader(f, mac, 0x02_aa_00_00_00_0a, Ethernet.TypeIp6);
            Ip6.WriteHeader(f.AsSpan(14), 10, Ip6.ProtoUdp, 64, Ip6.Parse("2001:db8:1::2"), d);
            return f;
        }).ToArray();
    }

    public int Receive(PacketPool pool, Span<int> into)
    {
        var n = 0;
        for (; n < into.Length; n++)
        {
            var p = pool.Allocate();
            if (p < 0) break;
            var frame = _frames[_next++ & (_frames.Length - 1)];
            frame.CopyTo(pool.Room(p));
            pool.Meta[p].Length = frame.Length;
            into[n] = p;
        }
        return n;
    }

    public bool Transmit(PacketPool pool, int packet) => true;

    public void Dispose() { }
}

sealed class CountingPort : IPacketPort
{
    public long Count;

    public bool LinkUp => true;

    public int Receive(PacketPool pool, Span<int> into) => 0;

    public bool Transmit(PacketPool pool, int packet)
    {
        Count++;
        return true;
    }

    public void Dispose() { }
}
