using Mgmt.Dataplane.LoadBalancing;

namespace Mgmt.Dataplane.Tests;

/// <summary>Maglev tables: full and even, weighted, stable, and little disrupted by a backend that comes or goes.</summary>
public sealed class MaglevTests
{
    private static MaglevBackend[] Backends(int n, int from = 0) =>
        [.. Enumerable.Range(from, n).Select(i => new MaglevBackend($"10.0.{i / 256}.{i % 256}:8080"))];

    private static int[] Shares(int[] table, int backends)
    {
        var counts = new int[backends];
        foreach (var b in table) counts[b]++;
        return counts;
    }

    [Theory]
    [InlineData(7, 65537)]
    [InlineData(100, 65537)]
    [InlineData(1000, 65537)]
    public void Every_entry_has_a_backend_and_equal_weights_get_equal_shares(int n, int size)
    {
        var table = Maglev.Build(Backends(n), size);
        Assert.DoesNotContain(-1, table);
        var counts = Shares(table, n);
        Assert.True(counts.Max() - counts.Min() <= 1, $"shares {counts.Min()}..{counts.Max()}"); // one entry per backend per round
        Assert.Equal(table, Maglev.Build(Backends(n), size)); // the same backends, the same table
    }

    [Fact]
    public void Shares_follow_the_weights_and_a_drained_backend_has_none()
    {
        MaglevBackend[] backends = [new("a", 1), new("b", 2), new("c", 3), new("d", 0)];
        var counts = Shares(Maglev.Build(backends), 4);
        Assert.Equal(0, counts[3]);
        var unit = Maglev.DefaultSize / 6.0;
        for (var i = 0; i < 3; i++) Assert.InRange(counts[i], unit * (i + 1) * 0.99, unit * (i + 1) * 1.01);
        Assert.All(Maglev.Build([new("x", 0)], 13), e => Assert.Equal(-1, e));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    public void Removing_or_adding_one_backend_moves_little_more_than_its_share_of_flows(int n)
    {
        var before = Maglev.Build(Backends(n));
        var removed = n / 3;
        var fewer = Backends(n).Where((_, i) => i != removed).ToArray();
        var after = Maglev.Build(fewer);
        // Flows: random hashes, as the flow hash gives them; each flow's backend by name before and after.
        var random = new Random(5);
        int moved = 0, movedOthers = 0, flows = 200_000;
        var names = Backends(n).Select(b => b.Name).ToArray();
        for (var f = 0; f < flows; f++)
        {
            var hash = (uint)random.NextInt64(0, 1L << 32);
            var was = names[before[Maglev.Entry(hash, before.Length)]];
            var now = fewer[after[Maglev.Entry(hash, after.Length)]].Name;
            if (was == now) continue;
            moved++;
            if (was != names[removed]) movedOthers++;
        }
        // The removed backend's flows (1/n) must move; of the others, Maglev moves only a few percent.
        Assert.InRange((double)moved / flows, 1.0 / n * 0.9, 1.0 / n + 0.03);
        Assert.True((double)movedOthers / flows < 0.03, $"{movedOthers} of {flows} flows of other backends moved");

        // Adding one: about 1/(n+1) of the flows go to it, few others move.
        var more = Backends(n + 1);
        var added = Maglev.Build(more);
        int toNew = 0, shuffled = 0;
        for (var e = 0; e < before.Length; e++)
        {
            var now = more[added[e]].Name;
            if (now == more[n].Name) toNew++;
            else if (now != names[before[e]]) shuffled++;
        }
        Assert.InRange((double)toNew / before.Length, 1.0 / (n + 1) * 0.95, 1.0 / (n + 1) * 1.05);
        Assert.True((double)shuffled / before.Length < 0.03, $"{shuffled} entries moved between old backends");
    }

    [Fact]
    public void Bad_tables_are_refused_with_the_reason()
    {
        Assert.Contains("not a prime", Assert.Throws<DataplaneException>(() => Maglev.Build(Backends(3), 65536)).Message);
        Assert.Contains("given twice", Assert.Throws<DataplaneException>(() => Maglev.Build([new("a"), new("a")])).Message);
        Assert.Contains("negative", Assert.Throws<DataplaneException>(() => Maglev.Build([new("a", -1)])).Message);
        Assert.Contains("cannot hold", Assert.Throws<DataplaneException>(() => Maglev.Build(Backends(20), 13)).Message);
    }
}
