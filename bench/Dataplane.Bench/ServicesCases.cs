using System.Diagnostics;
using Mgmt.Dataplane.LoadBalancing;
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

    private static string Label(int n) => n >= 1_000_000 ? $"{n / 1_000_000}m" : n >= 1000 ? $"{n / 1000}k" : $"{n}";
}
