using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Mgmt.Dataplane.Acl;

namespace Mgmt.Dataplane.Sessions;

/// <summary>Where a TCP session is in its life, as connection tracking sees it from both directions.</summary>
public enum TcpState : byte
{
    /// <summary>Not TCP.</summary>
    None,

    /// <summary>The originator's SYN seen.</summary>
    SynSent,

    /// <summary>The responder's SYN-ACK seen.</summary>
    SynReceived,

    /// <summary>The handshake completed (or the session was picked up in mid-stream).</summary>
    Established,

    /// <summary>A FIN seen from one side.</summary>
    FinWait,

    /// <summary>FINs seen from both sides.</summary>
    Closing,

    /// <summary>A RST seen.</summary>
    Closed,
}

/// <summary>
/// One worker's connection-tracking table (the stateful services' base: NAT, load balancing, firewalls). A session
/// holds its flow's key in each direction, the forward key as the first packet had it and the reply's as it will
/// come back (different from the forward key reversed when addresses are translated), so that a packet of either
/// direction finds it; its protocol state; when it was last seen; and a 64-bit word for its owner (a translation,
/// a backend). Sessions end after the idle timeout of their state (<see cref="SessionTimeouts"/>).
/// </summary>
/// <remarks>
/// <para>
/// Memory is fixed at construction, for <paramref name="capacity"/> sessions, laid out for a lookup to touch as few
/// cache lines as it can: the sessions each on a cache line of their own (64 bytes for IPv4 keys, two lines for
/// IPv6), and an index of 64-byte buckets, one per three sessions, each with ten entries (16 bits of the key's hash
/// and its session's number and direction) and a count of entries that overflowed it into the buckets after it: a
/// third of a cache line per session, so that at a million sessions the index (21 MB) mostly stays in the L3 while
/// the sessions stream past. A lookup reads its bucket, compares the ten tags at once (SIMD) and reads the session
/// whose tag matched; it goes on to the next bucket only when entries overflowed (a few percent of buckets). A full table refuses new
/// sessions (<see cref="Refused"/>); nothing allocates per packet. <see cref="BytesPerSession"/> reports the cost.
/// </para>
/// <para>
/// Expiry never pauses the worker: sessions wait in one queue per timeout class in the order they fell due, and
/// <see cref="Expire"/> looks at a bounded number of them per call; a session seen since it was queued is queued
/// again for its new due time, a session whose state changed class is queued in the new class.
/// </para>
/// <para>Not thread-safe: one table per worker. <see cref="Count"/> and the counters may be read from any thread.</para>
/// </remarks>
public sealed class SessionTable<TKey> where TKey : unmanaged, IFlowKey<TKey>
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Session
    {
        public TKey Forward;
        public TKey Reverse;
        public long LastSeen;
        public ulong Payload; // a closed session's: the next closed one (the free list)
        public int Generation;
        public TcpState Tcp;
        public byte Class;
        public bool InUse;
        public bool Replied;
    }

    // A session due for a look at `At`: the low 32 bits of the time in milliseconds, compared by their difference
    // (timeouts are under 2^31 ms), so that an entry takes 12 bytes.
    private readonly record struct Due(int Session, int Generation, uint At);

    private const int Classes = 5; // tcp-established, tcp-transitory, tcp-closed, udp, other
    private const int CacheLine = 64;

    // A bucket of the index: 16 words. Its first ten 16-bit halves are the entries' tags (16 bits of the hash, 0:
    // empty; a stored tag has its low bit set), the eleventh how many entries passed this bucket full on their way to
    // a later one (sticky at 0xffff), the twelfth unused; words 6-15 the entries' session * 2 + direction.
    private const int BucketWords = 16, Entries = 10, OverflowHalf = 10, ReferenceWord = 6;
    private const uint EntryMask = (1u << Entries) - 1;

    // Sessions a cache line apart (two for IPv6 keys), the first on a line's start.
    private static readonly int Stride = Unsafe.SizeOf<Session>() <= CacheLine ? CacheLine : (Unsafe.SizeOf<Session>() + CacheLine - 1) / CacheLine * CacheLine;

    private readonly ulong[] _sessionWords;
    private readonly nint _sessionStart;
    private int _freeHead; // the first closed session, -1: none
    private readonly uint[] _index;
    private readonly nint _indexStart; // in words
    private readonly uint _buckets;
    private readonly uint _seed;
    private readonly Queue<Due>[] _due = new Queue<Due>[Classes];
    private readonly long[] _timeout = new long[Classes];
    private int _count;

    /// <param name="capacity">Sessions at most (1 to 2^24).</param>
    /// <param name="timeouts">Idle timeouts per state; null: the defaults.</param>
    /// <param name="seed">The hash seed (0: a random one).</param>
    public SessionTable(int capacity, SessionTimeouts? timeouts = null, uint seed = 0)
    {
        if (capacity is < 1 or > 1 << 24) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "1 to 2^24 sessions");
        Capacity = capacity;
        _sessionWords = HugeArrays.AllocateAligned<ulong>((long)capacity * Stride / sizeof(ulong), CacheLine, out _sessionStart);
        for (var i = 0; i < capacity; i++) At(i).Payload = (ulong)(i + 1 < capacity ? i + 1 : -1);
        _freeHead = 0;
        // Two entries per session in ten-entry buckets, one bucket per three sessions: 6 of 10 in use on average when
        // full, and a few percent of buckets overflowing (a lookup of two buckets).
        _buckets = (uint)Math.Max(2, ((long)capacity + 2) / 3);
        _index = HugeArrays.AllocateAligned<uint>((long)_buckets * BucketWords, CacheLine, out _indexStart);
        _seed = seed != 0 ? seed : (uint)Random.Shared.Next() | 1;
        for (var c = 0; c < Classes; c++) _due[c] = new Queue<Due>();
        Timeouts = timeouts ?? new SessionTimeouts();
    }

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>New sessions refused because the table was full.</summary>
    public long Refused { get; private set; }

    public long Created { get; private set; }

    /// <summary>Sessions ended by their idle timeout.</summary>
    public long Expired { get; private set; }

    /// <summary>Idle timeouts per state; sessions use new ones from their next packet or expiry check on.</summary>
    public SessionTimeouts Timeouts
    {
        get;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Check("session table");
            field = value;
            _timeout[0] = Ms(value.TcpEstablished);
            _timeout[1] = Ms(value.TcpTransitory);
            _timeout[2] = Ms(value.TcpClosed);
            _timeout[3] = Ms(value.Udp);
            _timeout[4] = Ms(value.Other);
        }
    } = new();

    /// <summary>Bytes of memory per session of <see cref="Capacity"/>: the sessions, the index and the due queues as they are now.</summary>
    public double BytesPerSession
    {
        get
        {
            var queued = 0L;
            foreach (var q in _due) queued += q.EnsureCapacity(0);
            var bytes = _sessionWords.LongLength * sizeof(ulong) + _index.LongLength * sizeof(uint) + queued * Unsafe.SizeOf<Due>();
            return (double)bytes / Capacity;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Session At(int session) =>
        ref Unsafe.As<ulong, Session>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_sessionWords), _sessionStart + (nint)session * (Stride / sizeof(ulong))));

    // A session number from outside (a caller's): checked, since the sessions are reached without bounds checks.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Session Checked(int session)
    {
        if ((uint)session >= (uint)Capacity) ThrowNotASession(session);
        return ref At(session);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint Bucket(uint bucket) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_index), _indexStart + (nint)bucket * BucketWords);

    // The key's home bucket, from the hash's high bits (a multiply instead of a power-of-two mask: any bucket count).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Home(uint hash) => (uint)((ulong)hash * _buckets >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint After(uint bucket) => bucket + 1 == _buckets ? 0 : bucket + 1;

    // The entries of a bucket whose tag is `tag`, as a bit mask (bit i: entry i); tag 0 finds the free ones.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Matches(ref uint bucket, ushort tag) =>
        Vector256.Equals(Vector256.LoadUnsafe(ref Unsafe.As<uint, ushort>(ref bucket)), Vector256.Create(tag)).ExtractMostSignificantBits() & EntryMask;

    // 16 bits of the hash the home bucket does not come from (Home takes the high bits).
    private static ushort Tag(uint hash) => (ushort)(hash | 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref ushort TagAt(ref uint bucket, int entry) => ref Unsafe.Add(ref Unsafe.As<uint, ushort>(ref bucket), entry);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref uint ReferenceAt(ref uint bucket, int entry) => ref Unsafe.Add(ref bucket, ReferenceWord + entry);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref ushort OverflowOf(ref uint bucket) => ref Unsafe.Add(ref Unsafe.As<uint, ushort>(ref bucket), OverflowHalf);

    /// <summary>The session of a packet with this key, in either direction (<paramref name="reply"/>: the key is the session's reply key).</summary>
    public bool TryFind(in TKey key, out int session, out bool reply)
    {
        var hash = key.Hash(_seed);
        var tag = Tag(hash);
        var b = Home(hash);
        for (var visited = 0u; visited < _buckets; visited++, b = After(b))
        {
            ref var bucket = ref Bucket(b);
            for (var m = Matches(ref bucket, tag); m != 0; m &= m - 1)
            {
                var reference = (int)ReferenceAt(ref bucket, System.Numerics.BitOperations.TrailingZeroCount(m));
                ref var s = ref At(reference >> 1);
                if (((reference & 1) == 0 ? s.Forward : s.Reverse).Same(key))
                {
                    session = reference >> 1;
                    reply = (reference & 1) != 0;
                    return true;
                }
            }
            if (OverflowOf(ref bucket) == 0) break;
        }
        session = -1;
        reply = false;
        return false;
    }

    /// <summary>
    /// <see cref="TryFind"/> for a vector of keys, with the memory reads of many keys overlapped (a large table is out
    /// of cache: each lookup is a bucket and a session, two dependent misses): pass one hashes every key and
    /// prefetches its bucket (<see cref="Prepare"/>), pass two reads the buckets and prefetches the sessions they
    /// name (<see cref="Probe"/>), pass three checks the keys (<see cref="Confirm"/>). <paramref name="sessions"/>
    /// gets each key's session or -1, <paramref name="replies"/> its direction; <paramref name="scratch"/> holds the
    /// hashes (at least as long as the keys). A caller with work of its own per key can run the three steps itself,
    /// a few keys apart, so that the misses overlap that work too.
    /// </summary>
    public void FindMany(ReadOnlySpan<TKey> keys, Span<int> sessions, Span<bool> replies, Span<uint> scratch)
    {
        var n = keys.Length;
        if (sessions.Length < n || replies.Length < n || scratch.Length < n) throw new ArgumentException("spans shorter than the keys");
        for (var i = 0; i < n; i++) scratch[i] = Prepare(keys[i]);
        for (var i = 0; i < n; i++) sessions[i] = Probe(scratch[i]);
        for (var i = 0; i < n; i++) sessions[i] = Confirm(keys[i], scratch[i], sessions[i], out replies[i]);
    }

    /// <summary>Step one of a lookup: the key's hash, with its bucket of the index prefetched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe uint Prepare(in TKey key)
    {
        var hash = key.Hash(_seed);
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref Bucket(Home(hash))));
        return hash;
    }

    /// <summary>
    /// Step two: the first entry of the hash's bucket with that hash (most likely the key's session), with the
    /// session prefetched; -1: the key is not in the table; -2: not in its bucket, but entries overflowed from there
    /// (the next bucket is prefetched for <see cref="Confirm"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe int Probe(uint hash)
    {
        var home = Home(hash);
        ref var bucket = ref Bucket(home);
        var m = Matches(ref bucket, Tag(hash));
        if (m == 0)
        {
            if (OverflowOf(ref bucket) == 0) return -1;
            if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref Bucket(After(home))));
            return -2;
        }
        var candidate = (int)ReferenceAt(ref bucket, System.Numerics.BitOperations.TrailingZeroCount(m));
        if (Sse.IsSupported)
        {
            var line = (byte*)Unsafe.AsPointer(ref At(candidate >> 1));
            Sse.Prefetch0(line);
            if (Stride > CacheLine) Sse.Prefetch0(line + CacheLine);
        }
        return candidate;
    }

    /// <summary>Step three: the key's session (or -1) and direction, from the candidate <see cref="Probe"/> gave.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Confirm(in TKey key, uint hash, int candidate, out bool reply)
    {
        if (candidate >= 0)
        {
            ref var s = ref At(candidate >> 1);
            if (((candidate & 1) == 0 ? s.Forward : s.Reverse).Same(key))
            {
                reply = (candidate & 1) != 0;
                return candidate >> 1;
            }
        }
        else if (candidate == -1)
        {
            reply = false;
            return -1;
        }
        // Another key with the same hash first, or the key overflowed its bucket: the whole lookup.
        TryFind(key, out var session, out reply);
        return session;
    }

    /// <summary>
    /// Opens a session for a flow's first packet: <paramref name="forward"/> is that packet's key, <paramref name="reverse"/>
    /// the key its replies will have. Returns the session, or -1 when the table is full (<see cref="Refused"/>),
    /// either key is in use by another session already, or the two keys are the same.
    /// </summary>
    public int Create(in TKey forward, in TKey reverse, long now, byte tcpFlags = 0, ulong payload = 0)
    {
        if (_freeHead < 0)
        {
            Refused++;
            return -1;
        }
        // A key belongs to one session and one direction (a flow from an endpoint to itself has no reply key of its own).
        if (forward.Same(reverse) || TryFind(forward, out _, out _) || TryFind(reverse, out _, out _)) return -1;
        var n = _freeHead;
        ref var s = ref At(n);
        _freeHead = (int)(long)s.Payload;
        var generation = s.Generation + 1;
        s = new Session { Forward = forward, Reverse = reverse, LastSeen = now, Payload = payload, Generation = generation, InUse = true };
        if (forward.Protocol == 6)
            s.Tcp = (tcpFlags & Rst) != 0 ? TcpState.Closed : (tcpFlags & (Syn | Ack)) == Syn ? TcpState.SynSent : TcpState.Established;
        s.Class = ClassOf(forward.Protocol, s.Tcp);
        Insert(forward.Hash(_seed), n * 2);
        Insert(reverse.Hash(_seed), n * 2 + 1);
        _due[s.Class].Enqueue(new Due(n, generation, (uint)(now + _timeout[s.Class])));
        Volatile.Write(ref _count, _count + 1);
        Created++;
        Changes++;
        return n;
    }

    /// <summary>A packet of the session went by: it is seen now, and TCP flags move its state.</summary>
    public void Touch(int session, bool reply, byte tcpFlags, long now)
    {
        ref var s = ref Checked(session);
        s.LastSeen = now;
        if (reply) s.Replied = true;
        if (s.Tcp == TcpState.None) return;
        var state = Next(s.Tcp, reply, tcpFlags);
        if (state == s.Tcp) return;
        s.Tcp = state;
        var c = ClassOf(6, state);
        if (c == s.Class) return;
        // Queued again in its new class (the old entry is skipped when it comes up: its class no longer matches).
        s.Class = c;
        _due[c].Enqueue(new Due(session, s.Generation, (uint)(now + _timeout[c])));
    }

    /// <summary>
    /// What a packet that found its session (<see cref="FindMany"/>) needs, in one visit of the session: false when the
    /// session is past its idle timeout (for the caller to remove); else the key of the session's other direction
    /// (a translation's target) and its payload, and with <paramref name="touch"/> the session is seen now
    /// (<see cref="Touch"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Refresh(int session, bool reply, bool touch, byte tcpFlags, long now, out TKey other, out ulong payload)
    {
        ref var s = ref Checked(session);
        other = reply ? s.Forward : s.Reverse;
        payload = s.Payload;
        if (!s.InUse || now - s.LastSeen > _timeout[s.Class]) return false;
        if (touch)
        {
            if (s.Tcp != TcpState.None) Touch(session, reply, tcpFlags, now);
            else
            {
                s.LastSeen = now;
                if (reply) s.Replied = true;
            }
        }
        return true;
    }

    /// <summary>Whether the session is within its idle timeout (an expired one lingers until <see cref="Expire"/> reaches it).</summary>
    public bool IsLive(int session, long now)
    {
        ref var s = ref Checked(session);
        return s.InUse && now - s.LastSeen <= _timeout[s.Class];
    }

    public TKey Forward(int session) => Checked(session).Forward;

    public TKey Reverse(int session) => Checked(session).Reverse;

    public TcpState State(int session) => Checked(session).Tcp;

    /// <summary>Whether a packet of the reply direction was seen.</summary>
    public bool Replied(int session) => Checked(session).Replied;

    /// <summary>The owner's word of the session (a translation, a backend).</summary>
    public ref ulong Payload(int session) => ref Checked(session).Payload;

    /// <summary>The open sessions' numbers (read from another thread while the worker runs: a snapshot that may be torn).</summary>
    public IEnumerable<int> Open()
    {
        for (var i = 0; i < Capacity; i++)
            if (At(i).InUse) yield return i;
    }

    /// <summary>Ends a session now.</summary>
    public void Remove(int session)
    {
        ref var s = ref Checked(session);
        if (!s.InUse) throw new ArgumentException($"session {session} is not open", nameof(session));
        Delete(s.Forward.Hash(_seed), session * 2);
        Delete(s.Reverse.Hash(_seed), session * 2 + 1);
        s.InUse = false;
        s.Generation++;
        s.Payload = (ulong)(long)_freeHead;
        _freeHead = session;
        Volatile.Write(ref _count, _count - 1);
        Changes++;
    }

    /// <summary>Ends sessions idle past their timeout, looking at no more than <paramref name="budget"/> queued entries; returns how many ended.</summary>
    public int Expire(long now, int budget = 256)
    {
        var ended = 0;
        for (var c = 0; c < Classes; c++)
        {
            var queue = _due[c];
            while (budget > 0 && queue.TryPeek(out var due) && (int)((uint)now - due.At) >= 0)
            {
                budget--;
                queue.Dequeue();
                ref var s = ref At(due.Session);
                if (!s.InUse || s.Generation != due.Generation || s.Class != c) continue; // gone, reused, or queued elsewhere
                var at = s.LastSeen + _timeout[c];
                if (at > now)
                {
                    queue.Enqueue(due with { At = (uint)at }); // seen since: due again later
                    continue;
                }
                Remove(due.Session);
                Expired++;
                ended++;
            }
        }
        return ended;
    }

    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;

    // The TCP state after a segment with these flags (RFC 9293's connection states as a middlebox sees them).
    private static TcpState Next(TcpState state, bool reply, byte flags)
    {
        if ((flags & Rst) != 0) return TcpState.Closed;
        if ((flags & (Syn | Ack)) == Syn && !reply)
            return state is TcpState.Closing or TcpState.Closed ? TcpState.SynSent : state; // a new connection on the same ports
        if ((flags & Fin) != 0) return state == TcpState.FinWait ? TcpState.Closing : state < TcpState.FinWait ? TcpState.FinWait : state;
        return state switch
        {
            TcpState.SynSent when reply && (flags & (Syn | Ack)) == (Syn | Ack) => TcpState.SynReceived,
            TcpState.SynReceived when !reply && (flags & (Syn | Ack)) == Ack => TcpState.Established,
            _ => state,
        };
    }

    private static byte ClassOf(byte protocol, TcpState tcp) => protocol switch
    {
        6 => tcp switch { TcpState.Established => 0, TcpState.Closed => 2, _ => 1 },
        17 => 3,
        _ => 4,
    };

    // Into the first bucket from the hash's home with a free entry; the full buckets passed count it.
    private void Insert(uint hash, int reference)
    {
        for (var b = Home(hash); ; b = After(b))
        {
            ref var bucket = ref Bucket(b);
            var free = Matches(ref bucket, 0);
            if (free != 0)
            {
                var i = System.Numerics.BitOperations.TrailingZeroCount(free);
                TagAt(ref bucket, i) = Tag(hash);
                ReferenceAt(ref bucket, i) = (uint)reference;
                return;
            }
            ref var overflow = ref OverflowOf(ref bucket);
            if (overflow != ushort.MaxValue) overflow++; // sticky once full: lookups then always go on, as they may
            Overflows++;
        }
    }

    /// <summary>
    /// Changes with every session opened or ended: lookups made before (a vector's, <see cref="FindMany"/>) are
    /// stale once it differs (a session ended and its number reused, a flow opened by an earlier packet of the vector).
    /// </summary>
    internal int Changes { get; private set; }

    /// <summary>Entries placed past a full bucket so far (their lookups read more than one bucket).</summary>
    internal long Overflows { get; private set; }

    // Removes the entry for reference, and the count it left in each full bucket it passed.
    private void Delete(uint hash, int reference)
    {
        var tag = Tag(hash);
        var b = Home(hash);
        for (var visited = 0u; visited < _buckets; visited++, b = After(b))
        {
            ref var bucket = ref Bucket(b);
            for (var m = Matches(ref bucket, tag); m != 0; m &= m - 1)
            {
                var i = System.Numerics.BitOperations.TrailingZeroCount(m);
                if (ReferenceAt(ref bucket, i) != (uint)reference) continue;
                TagAt(ref bucket, i) = 0;
                ReferenceAt(ref bucket, i) = 0;
                return;
            }
            ref var overflow = ref OverflowOf(ref bucket);
            if (overflow != ushort.MaxValue) overflow--;
        }
        throw new InvalidOperationException("session index lost an entry");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowNotASession(int session) => throw new ArgumentOutOfRangeException(nameof(session), session, $"not a session of a table of {Capacity}");

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;
}
