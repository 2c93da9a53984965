using Mgmt.Dataplane.Fib;

namespace Mgmt.Dataplane.Tests;

/// <summary>The 16-8-8 trie against a plain longest-prefix search over the same routes, through adds, replaces and removes.</summary>
public sealed class Ip4MtrieTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Lookups_match_a_linear_longest_prefix_search(int seed)
    {
        var random = new Random(seed);
        var fib = new Ip4Fib();
        var model = new Dictionary<(uint, int), uint>();
        // Prefixes clustered under a few /8s, so that they nest and overlap at every level of the trie.
        uint RandomPrefix(out int length)
        {
            length = random.Next(0, 33);
            var address = (uint)(random.Next(3) << 24 | random.Next(1 << 24)) + (10u << 24);
            return address & Ip4Fib.Mask(length);
        }
        for (var step = 0; step < 3000; step++)
        {
            var prefix = RandomPrefix(out var length);
            if (random.Next(3) == 0 && model.Count > 0)
            {
                var victim = model.Keys.ElementAt(random.Next(model.Count));
                Assert.True(fib.Remove(victim.Item1, victim.Item2));
                model.Remove(victim);
            }
            else
            {
                var hop = (uint)random.Next(1, 50);
                fib.Add(new Ip4Route(prefix, length, new Adjacency(RouteKind.NextHop, 0, hop)));
                model[(prefix, length)] = hop;
            }
            if (step % 100 != 0) continue;
            var probes = new uint[300];
            for (var probe = 0; probe < probes.Length; probe++)
            {
                var address = probes[probe] = model.Count > 0 && random.Next(2) == 0
                    ? model.Keys.ElementAt(random.Next(model.Count)).Item1 | (uint)random.Next(256)
                    : (uint)(random.Next(3) << 24 | random.Next(1 << 24)) + (10u << 24);
                var best = -1;
                uint expected = 0;
                foreach (var ((p, l), hop) in model)
                    if ((address & Ip4Fib.Mask(l)) == p && l > best) (best, expected) = (l, hop);
                var got = fib.Lookup(address);
                Assert.Equal(best < 0 ? RouteKind.None : RouteKind.NextHop, got.Kind);
                if (best >= 0) Assert.Equal(expected, got.NextHop);
            }
            // The vector lookup (ip4-lookup's) finds what one lookup at a time finds.
            var leaves = new uint[probes.Length];
            fib.Leaves(probes, leaves);
            for (var i = 0; i < probes.Length; i++) Assert.Equal(fib.Lookup(probes[i]), fib.Decision(leaves[i]));
        }
    }

    [Fact]
    public void A_prefix_with_host_bits_or_a_bad_length_is_refused()
    {
        var fib = new Ip4Fib();
        Assert.Throws<DataplaneException>(() => fib.Add(new Ip4Route(0x0a000001, 24, new Adjacency(RouteKind.Blackhole, -1, 0))));
        Assert.Throws<DataplaneException>(() => fib.Add(new Ip4Route(0, 33, new Adjacency(RouteKind.Blackhole, -1, 0))));
        Assert.False(fib.Remove(0x0a000000, 8));
    }
}
