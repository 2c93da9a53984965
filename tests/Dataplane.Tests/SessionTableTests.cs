using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Tests;

/// <summary>The connection-tracking table: lookups both ways, the index against a model, TCP states, expiry, limits, memory.</summary>
public sealed class SessionTableTests
{
    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;

    private static FlowKey4 Tcp(string src, ushort sport, string dst, ushort dport) => new(Ip4.Parse(src), Ip4.Parse(dst), sport, dport, 6);

    private static FlowKey4 Udp(uint src, ushort sport, uint dst, ushort dport) => new(src, dst, sport, dport, 17);

    [Fact]
    public void A_session_is_found_by_its_forward_and_its_reply_key()
    {
        var t = new SessionTable<FlowKey4>(16);
        var forward = Tcp("10.0.0.2", 40000, "192.0.2.10", 80);
        // A source-translated flow: the reply comes back to the public address and port.
        var reverse = Tcp("192.0.2.10", 80, "198.51.100.1", 1024);
        var s = t.Create(forward, reverse, now: 0, Syn, payload: 42);
        Assert.True(s >= 0);
        Assert.True(t.TryFind(forward, out var a, out var replyA));
        Assert.True(t.TryFind(reverse, out var b, out var replyB));
        Assert.Equal((s, false), (a, replyA));
        Assert.Equal((s, true), (b, replyB));
        Assert.False(t.TryFind(forward.Reversed, out _, out _)); // not the untranslated reply
        Assert.Equal(42UL, t.Payload(s));
        Assert.Equal(forward, t.Forward(s));
        Assert.Equal(reverse, t.Reverse(s));
        // A key in use cannot open another session.
        Assert.Equal(-1, t.Create(forward, Tcp("1.1.1.1", 1, "2.2.2.2", 2), 0));
        Assert.Equal(-1, t.Create(Tcp("1.1.1.1", 1, "2.2.2.2", 2), reverse, 0));
        Assert.Equal(1, t.Count);
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 64)]
    [InlineData(3, 13)]
    [InlineData(4, 20)]
    public void The_index_agrees_with_a_dictionary_through_creates_and_removes(int seed, int capacity)
    {
        // Small tables with few distinct addresses: full buckets whose entries overflow into the next ones, also
        // around the index's end, and come back as entries leave.
        var random = new Random(seed);
        var t = new SessionTable<FlowKey4>(capacity, seed: (uint)seed);
        var model = new Dictionary<FlowKey4, (int Session, bool Reply)>();
        var open = new List<int>();
        FlowKey4 RandomKey() => Udp((uint)random.Next(4), (ushort)random.Next(8), (uint)random.Next(4), (ushort)random.Next(8));
        for (var step = 0; step < 20_000; step++)
        {
            if (open.Count > 0 && (random.Next(3) == 0 || open.Count == t.Capacity))
            {
                var victim = open[random.Next(open.Count)];
                model.Remove(t.Forward(victim));
                model.Remove(t.Reverse(victim));
                t.Remove(victim);
                open.Remove(victim);
            }
            else
            {
                var forward = RandomKey();
                var reverse = RandomKey();
                var s = t.Create(forward, reverse, step);
                var clash = model.ContainsKey(forward) || model.ContainsKey(reverse) || forward == reverse;
                if (forward == reverse && s >= 0) Assert.Fail("one key for both directions");
                Assert.Equal(!clash, s >= 0);
                if (s >= 0)
                {
                    model[forward] = (s, false);
                    model[reverse] = (s, true);
                    open.Add(s);
                }
            }
            Assert.Equal(open.Count, t.Count);
            if (step % 50 != 0) continue;
            var keys = new FlowKey4[40];
            for (var probe = 0; probe < keys.Length; probe++)
            {
                var key = keys[probe] = RandomKey();
                var found = t.TryFind(key, out var s, out var reply);
                Assert.Equal(model.TryGetValue(key, out var expected), found);
                if (found) Assert.Equal(expected, (s, reply));
            }
            // The vector lookup finds the same.
            var sessions = new int[keys.Length];
            var replies = new bool[keys.Length];
            t.FindMany(keys, sessions, replies, new uint[keys.Length]);
            for (var probe = 0; probe < keys.Length; probe++)
                Assert.Equal(model.TryGetValue(keys[probe], out var e) ? (e.Session, e.Reply) : (-1, false), (sessions[probe], sessions[probe] < 0 ? false : replies[probe]));
        }
        if (capacity < 64) Assert.True(t.Overflows > 20, $"{t.Overflows} overflows: the test did not reach full buckets");
    }

    [Fact]
    public void A_tcp_session_follows_the_handshake_and_the_close_with_each_states_timeout()
    {
        var timeouts = new SessionTimeouts
        {
            TcpEstablished = TimeSpan.FromSeconds(1000), TcpTransitory = TimeSpan.FromSeconds(100), TcpClosed = TimeSpan.FromSeconds(10),
        };
        var t = new SessionTable<FlowKey4>(8, timeouts);
        var k = Tcp("10.0.0.2", 40000, "10.0.1.2", 443);
        var s = t.Create(k, k.Reversed, 0, Syn);
        Assert.Equal(TcpState.SynSent, t.State(s));
        t.Touch(s, reply: true, Syn | Ack, 1_000);
        Assert.Equal(TcpState.SynReceived, t.State(s));
        t.Touch(s, reply: false, Ack, 2_000);
        Assert.Equal(TcpState.Established, t.State(s));
        // Established: the transitory timeout (100 s after the SYN) passes without ending it.
        Assert.Equal(0, t.Expire(150_000));
        Assert.True(t.TryFind(k, out _, out _));
        t.Touch(s, reply: false, Fin | Ack, 200_000);
        Assert.Equal(TcpState.FinWait, t.State(s));
        t.Touch(s, reply: true, Fin | Ack, 201_000);
        Assert.Equal(TcpState.Closing, t.State(s));
        // Closing is transitory: it ends 100 s after the last segment, not 1000 s.
        Assert.Equal(0, t.Expire(300_000));
        Assert.Equal(1, t.Expire(301_000));
        Assert.False(t.TryFind(k, out _, out _));
        Assert.Equal(1, t.Expired);

        // A RST closes at once (10 s), and a session picked up in mid-stream is established.
        var r = t.Create(k, k.Reversed, 400_000, Ack);
        Assert.Equal(TcpState.Established, t.State(r));
        t.Touch(r, reply: true, Rst, 400_500);
        Assert.Equal(TcpState.Closed, t.State(r));
        Assert.Equal(0, t.Expire(410_000));
        Assert.Equal(1, t.Expire(410_500));
        // A new SYN on a closed session's ports starts it over.
        var n = t.Create(k, k.Reversed, 500_000, Rst);
        Assert.Equal(TcpState.Closed, t.State(n));
        t.Touch(n, reply: false, Syn, 500_001);
        Assert.Equal(TcpState.SynSent, t.State(n));
    }

    [Fact]
    public void Traffic_keeps_a_session_and_a_full_table_refuses_until_one_expires()
    {
        var t = new SessionTable<FlowKey4>(2, new SessionTimeouts { Udp = TimeSpan.FromSeconds(30) });
        var a = t.Create(Udp(1, 1, 2, 2), Udp(2, 2, 1, 1), 0);
        var b = t.Create(Udp(3, 3, 4, 4), Udp(4, 4, 3, 3), 0);
        Assert.Equal(-1, t.Create(Udp(5, 5, 6, 6), Udp(6, 6, 5, 5), 0));
        Assert.Equal(1, t.Refused);
        t.Touch(a, reply: true, 0, 20_000);
        Assert.True(t.Replied(a));
        Assert.False(t.Replied(b));
        Assert.Equal(1, t.Expire(30_000)); // b; a was seen at 20 s and waits again, till 50 s
        Assert.True(t.TryFind(Udp(2, 2, 1, 1), out var found, out _));
        Assert.Equal(a, found);
        // b's slot is reused; a's old queue entry (due at 30 s, requeued for 50 s) must not end the newcomer.
        var c = t.Create(Udp(5, 5, 6, 6), Udp(6, 6, 5, 5), 31_000);
        Assert.Equal(b, c);
        Assert.Equal(1, t.Expire(50_000));
        Assert.True(t.TryFind(Udp(5, 5, 6, 6), out _, out _));
        Assert.Equal(1, t.Expire(61_000));
        Assert.Equal(0, t.Count);

        // A session removed by its owner leaves its queue entry behind; the slot's next session outlives that entry.
        var d = t.Create(Udp(7, 7, 8, 8), Udp(8, 8, 7, 7), 100_000);
        t.Remove(d);
        var e = t.Create(Udp(9, 9, 10, 10), Udp(10, 10, 9, 9), 120_000);
        Assert.Equal(d, e);
        Assert.Equal(0, t.Expire(130_000)); // d's entry, due at 130 s
        Assert.True(t.TryFind(Udp(9, 9, 10, 10), out _, out _));
        Assert.Equal(1, t.Expire(150_000));
    }

    [Fact]
    public void Due_times_wrap_around_32_bits_of_milliseconds()
    {
        // Ticks since boot pass 2^32 ms after 49.7 days: a session opened just before is due just after.
        var t = new SessionTable<FlowKey4>(4, new SessionTimeouts { Udp = TimeSpan.FromSeconds(30) });
        const long start = (1L << 32) - 10_000;
        t.Create(Udp(1, 1, 2, 2), Udp(2, 2, 1, 1), start);
        Assert.Equal(0, t.Expire(start + 29_000));
        Assert.Equal(1, t.Count);
        Assert.Equal(1, t.Expire(start + 30_001));
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Expiry_looks_at_no_more_than_its_budget_per_call()
    {
        var t = new SessionTable<FlowKey4>(1000);
        for (uint i = 0; i < 1000; i++) t.Create(Udp(i, 1, 0, 53), Udp(0, 53, i, 1), 0);
        var later = (long)new SessionTimeouts().Udp.TotalMilliseconds + 1;
        Assert.Equal(100, t.Expire(later, budget: 100));
        Assert.Equal(900, t.Count);
        while (t.Expire(later) > 0) { }
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void A_million_sessions_take_at_most_128_bytes_each()
    {
        const int n = 1 << 20;
        var t = new SessionTable<FlowKey4>(n);
        for (var i = 0; i < n; i++)
        {
            var client = Udp(0x0a00_0000u + (uint)(i >> 8), (ushort)(1024 + (i & 0xff)), 0xc000_020a, 53);
            Assert.True(t.Create(client, new FlowKey4(0xc000_020a, 0xc633_6400u + (uint)(i >> 16), 53, (ushort)i, 17), 0) >= 0);
        }
        Assert.Equal(n, t.Count);
        Assert.Equal(-1, t.Create(Udp(1, 1, 1, 1), Udp(2, 2, 2, 2), 0));
        Assert.InRange(t.BytesPerSession, 1, 128);
        Assert.True(t.TryFind(Udp(0x0a00_0000u + 100, 1024 + 7, 0xc000_020a, 53), out _, out var reply));
        Assert.False(reply);
    }

    [Fact]
    public void Keys_with_the_same_hash_are_told_apart_one_at_a_time_and_in_a_vector()
    {
        // Two keys whose 32-bit hashes collide under the table's seed (found by the birthday bound in ~100k keys).
        const uint seed = 77;
        var seen = new Dictionary<uint, FlowKey4>();
        FlowKey4 a = default, b = default;
        for (uint i = 0; ; i++)
        {
            var k = Udp(i, 1, 0xc000_0201, 53);
            if (seen.TryGetValue(k.Hash(seed), out a)) { b = k; break; }
            seen[k.Hash(seed)] = k;
        }
        Assert.Equal(a.Hash(seed), b.Hash(seed));
        var t = new SessionTable<FlowKey4>(16, seed: seed);
        var sa = t.Create(a, a.Reversed, 0);
        var sessions = new int[2];
        var replies = new bool[2];
        t.FindMany([b, a], sessions, replies, new uint[2]);
        Assert.Equal([-1, sa], sessions);
        Assert.False(t.TryFind(b, out _, out _));
        var sb = t.Create(b, b.Reversed, 0);
        t.FindMany([b, a], sessions, replies, new uint[2]);
        Assert.Equal([sb, sa], sessions);
        t.Remove(sa);
        t.FindMany([b, a], sessions, replies, new uint[2]);
        Assert.Equal([sb, -1], sessions);
    }
}
