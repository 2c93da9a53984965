using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Tests;

/// <summary>The load balancer's one-sided flow table: lookups against a model, flows past full buckets, states and timeouts, limits, memory.</summary>
public sealed class StickyTableTests
{
    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;

    private static FlowKey4 Udp(uint src, ushort sport) => new(src, 0xc000_0264, sport, 53, 17);

    private static FlowKey4 Tcp(ushort sport) => new(0x0a00_0002, 0xc000_0264, sport, 80, 6);

    [Theory]
    [InlineData(1, 12)]
    [InlineData(2, 40)]
    [InlineData(3, 7)]
    [InlineData(4, 100)]
    public void Lookups_agree_with_a_dictionary_through_adds_and_removes(int seed, int capacity)
    {
        // Small tables, often full: flows past their full home bucket (also around the table's end), found there, and
        // their counts in their home kept right as flows leave.
        var random = new Random(seed);
        var t = new StickyTable<FlowKey4>(capacity, seed: (uint)seed);
        var model = new Dictionary<FlowKey4, (int Entry, int Target)>();
        FlowKey4 RandomKey() => Udp((uint)random.Next(64), (ushort)random.Next(64));
        var displacedSeen = false;
        for (var step = 0; step < 30_000; step++)
        {
            if (model.Count > 0 && (random.Next(3) == 0 || model.Count == capacity))
            {
                var victim = model.Keys.ElementAt(random.Next(model.Count));
                t.Remove(model[victim].Entry);
                model.Remove(victim);
            }
            else
            {
                var key = RandomKey();
                var hash = t.HashOf(key);
                var found = t.Find(hash, 0);
                Assert.Equal(model.TryGetValue(key, out var known) ? known.Entry : -1, found);
                if (found < 0)
                {
                    var target = random.Next(1000);
                    var entry = t.Add(hash, 17, 0, target, 0);
                    Assert.True(entry >= 0, $"step {step}: a flow refused with {model.Count} of {capacity}");
                    model[key] = (entry, target);
                    displacedSeen |= entry / 5 != HomeOf(hash, capacity);
                }
            }
            Assert.Equal(model.Count, t.Count);
            if (step % 25 != 0) continue;
            foreach (var (key, (entry, target)) in model)
            {
                Assert.Equal(entry, t.Find(t.HashOf(key), 0));
                Assert.Equal(target, t.Target(entry));
            }
            Assert.Equal(model.Values.Select(v => v.Target).Order(), t.Targets().Order());
        }
        Assert.True(displacedSeen, "no flow went past its home bucket: the test did not reach full buckets");
        Assert.Equal(0, t.Refused);
    }

    // The table's home bucket of a hash (two buckets per five flows, from the hash's high half).
    private static long HomeOf(ulong hash, int capacity) => (long)((hash >> 32) * (ulong)Math.Max(2, (capacity * 2 + 4) / 5) >> 32);

    [Fact]
    public void A_flow_lives_for_its_timeout_and_is_taken_back_by_the_sweep_or_a_new_flow()
    {
        var t = new StickyTable<FlowKey4>(4, new SessionTimeouts { Udp = TimeSpan.FromMilliseconds(100) });
        var a = t.HashOf(Udp(1, 1));
        var e = t.Add(a, 17, 0, 7, now: 1000);
        Assert.Equal(e, t.Find(a, 1100));
        t.Touch(e, 17, 0, 1100);
        Assert.Equal(e, t.Find(a, 1200)); // seen at 1100: alive until 1200
        Assert.Equal(-1, t.Find(a, 1201));
        Assert.Equal(1, t.Count); // until taken back
        Assert.Equal(0, t.Expire(1201, budget: 0));
        Assert.Equal(1, t.Expire(5000)); // the sweep passes every bucket within its period
        Assert.Equal((0, 1L), (t.Count, t.Expired));
        // A new flow takes back the entry of one past its timeout.
        var full = new StickyTable<FlowKey4>(1, new SessionTimeouts { Udp = TimeSpan.FromMilliseconds(100) });
        full.Add(full.HashOf(Udp(1, 1)), 17, 0, 1, 0);
        Assert.Equal(-1, full.Add(full.HashOf(Udp(2, 2)), 17, 0, 2, 50)); // full while the first lives
        Assert.Equal(1, full.Refused);
        // The count says full until the old flow is taken back by the sweep.
        full.Expire(10_000);
        var b = full.Add(full.HashOf(Udp(2, 2)), 17, 0, 2, 10_000);
        Assert.True(b >= 0);
        Assert.Equal((1, 1L, 2), (full.Count, full.Expired, full.Target(b)));
    }

    [Fact]
    public void A_tcp_flow_seen_from_the_client_takes_each_states_timeout()
    {
        var timeouts = new SessionTimeouts
        {
            TcpEstablished = TimeSpan.FromSeconds(1000),
            TcpTransitory = TimeSpan.FromSeconds(100),
            TcpClosed = TimeSpan.FromSeconds(10),
        };
        var t = new StickyTable<FlowKey4>(8, timeouts);
        var h = t.HashOf(Tcp(40000));
        long Life(int entry, long from)
        {
            // The last moment the flow is found, seen at `from` (to the second).
            var s = 0L;
            while (t.Find(h, from + (s + 1) * 1000) == entry) s++;
            return s;
        }
        var e = t.Add(h, 6, Syn, 1, 0);
        Assert.Equal(100, Life(e, 0)); // opening: the transitory timeout
        t.Touch(e, 6, Ack, 0);
        Assert.Equal(1000, Life(e, 0)); // the handshake's ACK: established
        t.Touch(e, 6, Fin | Ack, 0);
        Assert.Equal(100, Life(e, 0)); // closing
        t.Touch(e, 6, Ack, 0);
        Assert.Equal(100, Life(e, 0)); // the ACKs after a FIN leave it closing
        t.Touch(e, 6, Rst, 0);
        Assert.Equal(10, Life(e, 0)); // reset
        t.Touch(e, 6, Syn, 0);
        Assert.Equal(100, Life(e, 0)); // a new connection on the same ports
        var mid = t.Add(t.HashOf(Tcp(40001)), 6, Ack, 2, 0);
        h = t.HashOf(Tcp(40001));
        Assert.Equal(1000, Life(mid, 0)); // picked up in mid-stream: established
    }

    [Fact]
    public void Times_wrap_around_32_bits_of_milliseconds()
    {
        var t = new StickyTable<FlowKey4>(4, new SessionTimeouts { Udp = TimeSpan.FromSeconds(10) });
        var start = (1L << 32) - 3000;
        var h = t.HashOf(Udp(1, 1));
        var e = t.Add(h, 17, 0, 3, start);
        Assert.Equal(e, t.Find(h, start + 10_000));
        Assert.Equal(-1, t.Find(h, start + 10_001));
    }

    [Fact]
    public void A_table_refuses_past_its_capacity_and_takes_flows_again_as_they_leave()
    {
        var t = new StickyTable<FlowKey4>(100);
        var entries = Enumerable.Range(0, 100).Select(i => t.Add(t.HashOf(Udp((uint)i, 1)), 17, 0, i, 0)).ToArray();
        Assert.All(entries, e => Assert.True(e >= 0));
        Assert.Equal(-1, t.Add(t.HashOf(Udp(1000, 1)), 17, 0, 1, 0));
        Assert.Equal((100, 1L), (t.Count, t.Refused));
        t.Remove(entries[17]);
        Assert.Throws<ArgumentException>(() => t.Remove(entries[17]));
        Assert.True(t.Add(t.HashOf(Udp(1000, 1)), 17, 0, 1, 0) >= 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Add(t.HashOf(Udp(2000, 1)), 17, 0, StickyTable<FlowKey4>.MaxTarget + 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Target(int.MaxValue));
    }

    [Fact]
    public void A_million_flows_fit_without_a_refusal_in_at_most_32_bytes_each()
    {
        const int N = 1_000_000;
        var t = new StickyTable<FlowKey4>(N);
        for (var i = 0; i < N; i++)
            Assert.True(t.Add(t.HashOf(Udp(0x0a00_0000u + (uint)(i >> 6), (ushort)(1024 + (i & 63)))), 17, 0, i & 0xffff, 0) >= 0);
        Assert.Equal((N, 0L), (t.Count, t.Refused));
        for (var i = 0; i < N; i += 97)
        {
            var e = t.Find(t.HashOf(Udp(0x0a00_0000u + (uint)(i >> 6), (ushort)(1024 + (i & 63)))), 0);
            Assert.True(e >= 0);
            Assert.Equal(i & 0xffff, t.Target(e));
        }
        Assert.True(t.BytesPerFlow <= 32, $"{t.BytesPerFlow:F1} bytes a flow");
    }
}
