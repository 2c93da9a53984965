using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>The IPv6 table (hash per length, lengths indexed per /32) against a plain longest-prefix search.</summary>
public sealed class Ip6FibTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Lookups_match_a_linear_longest_prefix_search(int seed)
    {
        var random = new Random(seed);
        var fib = new Ip6Fib();
        var model = new Dictionary<(UInt128, int), UInt128>();
        // A few /32s, so that prefixes nest within and across blocks; lengths from /0 to /128.
        UInt128 Address() => ((UInt128)(0x2001_0db8_0000_0000UL | (ulong)random.Next(3) << 32 | (uint)random.Next(1 << 12) << 16) << 64)
            | (UInt128)(ulong)random.NextInt64();
        for (var step = 0; step < 3000; step++)
        {
            if (random.Next(3) == 0 && model.Count > 0)
            {
                var victim = model.Keys.ElementAt(random.Next(model.Count));
                Assert.True(fib.Remove(victim.Item1, victim.Item2));
                model.Remove(victim);
            }
            else
            {
                var length = random.Next(5) == 0 ? random.Next(0, 33) : new[] { 40, 48, 56, 64, 96, 128 }[random.Next(6)];
                var prefix = Address() & Ip6.Mask(length);
                var hop = Address();
                fib.Add(prefix, length, new Ip6Adjacency(RouteKind.NextHop, 0, hop));
                model[(prefix, length)] = hop;
            }
            if (step % 100 != 0) continue;
            var probes = new UInt128[200];
            for (var probe = 0; probe < probes.Length; probe++)
            {
                var address = probes[probe] = model.Count > 0 && random.Next(2) == 0
                    ? model.Keys.ElementAt(random.Next(model.Count)).Item1 | (UInt128)(uint)random.Next()
                    : Address();
                var best = -1;
                var expected = UInt128.Zero;
                foreach (var ((p, l), hop) in model)
                    if ((address & Ip6.Mask(l)) == p && l > best) (best, expected) = (l, hop);
                var got = fib.Lookup(address);
                Assert.Equal(best < 0 ? RouteKind.None : RouteKind.NextHop, got.Kind);
                if (best >= 0) Assert.Equal(expected, got.NextHop);
            }
            // The vector lookup (ip6-lookup's) finds what one lookup at a time finds.
            var his = probes.Select(a => (ulong)(a >> 64)).ToArray();
            var los = probes.Select(a => (ulong)a).ToArray();
            var leaves = new uint[probes.Length];
            fib.Leaves(his, los, leaves, new ulong[probes.Length], new uint[probes.Length]);
            for (var i = 0; i < probes.Length; i++) Assert.Equal(fib.Lookup(probes[i]), fib.Decision(leaves[i]));
        }
        Assert.Equal(model.Count, fib.Count);
    }
}
