using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// Memory is fixed at construction, for <paramref name="capacity"/> sessions: the sessions in one array of structs,
/// and an open-addressing index of two entries per session (a 32-bit hash and the session's number and direction
/// in one 64-bit slot, linear probing, at most a quarter full, deletion by backward shift: no tombstones). A full
/// table refuses new sessions (<see cref="Refused"/>); nothing allocates per packet. <see cref="BytesPerSession"/>
/// reports the cost.
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
        public ulong Payload;
        public int Generation;
        public TcpState Tcp;
        public byte Class;
        public bool InUse;
        public bool Replied;
    }

    private readonly record struct Due(int Session, int Generation, long At);

    private const int Classes = 5; // tcp-established, tcp-transitory, tcp-closed, udp, other

    private readonly Session[] _sessions;
    private readonly int[] _free;
    private int _freeCount;
    private readonly ulong[] _index; // 0: empty; else hash << 32 | (session * 2 + direction + 1)
    private readonly int _mask;
    private readonly uint _seed;
    private readonly Queue<Due>[] _due = new Queue<Due>[Classes];
    private readonly long[] _timeout = new long[Classes];
    private int _count;

    /// <param name="capacity">Sessions at most (1 to 2^28).</param>
    /// <param name="timeouts">Idle timeouts per state; null: the defaults.</param>
    /// <param name="seed">The hash seed (0: a random one).</param>
    public SessionTable(int capacity, SessionTimeouts? timeouts = null, uint seed = 0)
    {
        if (capacity is < 1 or > 1 << 28) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "1 to 2^28 sessions");
        Capacity = capacity;
        _sessions = HugeArrays.Allocate<Session>(capacity);
        _free = new int[capacity];
        for (var i = 0; i < capacity; i++) _free[i] = capacity - 1 - i;
        _freeCount = capacity;
        var slots = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity * 3));
        _index = HugeArrays.Allocate<ulong>(slots);
        _mask = slots - 1;
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
            field = value;
            _timeout[0] = Ms(value.TcpEstablished);
            _timeout[1] = Ms(value.TcpTransitory);
            _timeout[2] = Ms(value.TcpClosed);
            _timeout[3] = Ms(value.Udp);
            _timeout[4] = Ms(value.Other);
        }
    } = new();

    /// <summary>Bytes of memory per session of <see cref="Capacity"/>: the session array, the index and the due queues as they are now.</summary>
    public double BytesPerSession
    {
        get
        {
            var queued = 0L;
            foreach (var q in _due) queued += q.Count;
            // A queue's array is at most twice its count (it grows by doubling).
            var bytes = (long)_sessions.Length * Unsafe.SizeOf<Session>() + (long)_free.Length * sizeof(int)
                + (long)_index.Length * sizeof(ulong) + 2 * queued * Unsafe.SizeOf<Due>();
            return (double)bytes / Capacity;
        }
    }

    /// <summary>The session of a packet with this key, in either direction (<paramref name="reply"/>: the key is the session's reply key).</summary>
    public bool TryFind(in TKey key, out int session, out bool reply)
    {
        var hash = key.Hash(_seed);
        for (var i = (int)(hash & (uint)_mask); ; i = (i + 1) & _mask)
        {
            var slot = _index[i];
            if (slot == 0) break;
            if ((uint)(slot >> 32) != hash) continue;
            var reference = (int)(uint)slot - 1;
            ref var s = ref _sessions[reference >> 1];
            if (((reference & 1) == 0 ? s.Forward : s.Reverse).Same(key))
            {
                session = reference >> 1;
                reply = (reference & 1) != 0;
                return true;
            }
        }
        session = -1;
        reply = false;
        return false;
    }

    /// <summary>
    /// <see cref="TryFind"/> for a vector of keys, with the memory reads of many keys overlapped (a large table is out
    /// of cache: each lookup is an index slot and a session, two dependent misses): pass one hashes every key and
    /// prefetches its home slot (<see cref="Prepare"/>), pass two reads the slots and prefetches the sessions they
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

    /// <summary>Step one of a lookup: the key's hash, with its home slot of the index prefetched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe uint Prepare(in TKey key)
    {
        var hash = key.Hash(_seed);
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref _index[(int)(hash & (uint)_mask)]));
        return hash;
    }

    /// <summary>
    /// Step two: the first entry of the hash's probe run with that hash (most likely the key's session), with the
    /// session prefetched, both ends of it (a session is not a whole cache line, so it often straddles two); -1: none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe int Probe(uint hash)
    {
        for (var j = (int)(hash & (uint)_mask); ; j = (j + 1) & _mask)
        {
            var slot = _index[j];
            if (slot == 0) return -1;
            if ((uint)(slot >> 32) != hash) continue;
            var candidate = (int)(uint)slot - 1;
            if (Sse.IsSupported)
            {
                ref var s = ref _sessions[candidate >> 1];
                Sse.Prefetch0(Unsafe.AsPointer(ref s));
                Sse.Prefetch0((byte*)Unsafe.AsPointer(ref s) + Unsafe.SizeOf<Session>() - 1);
            }
            return candidate;
        }
    }

    /// <summary>Step three: the key's session (or -1) and direction, from the candidate <see cref="Probe"/> gave.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Confirm(in TKey key, uint hash, int candidate, out bool reply)
    {
        if (candidate >= 0)
        {
            ref var s = ref _sessions[candidate >> 1];
            if (((candidate & 1) == 0 ? s.Forward : s.Reverse).Same(key))
            {
                reply = (candidate & 1) != 0;
                return candidate >> 1;
            }
        }
        // No entry with its hash, or another key with the same hash first: the full probe.
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
        if (_freeCount == 0)
        {
            Refused++;
            return -1;
        }
        // A key belongs to one session and one direction (a flow from an endpoint to itself has no reply key of its own).
        if (forward.Same(reverse) || TryFind(forward, out _, out _) || TryFind(reverse, out _, out _)) return -1;
        var n = _free[--_freeCount];
        ref var s = ref _sessions[n];
        var generation = s.Generation + 1;
        s = new Session { Forward = forward, Reverse = reverse, LastSeen = now, Payload = payload, Generation = generation, InUse = true };
        if (forward.Protocol == 6)
            s.Tcp = (tcpFlags & Rst) != 0 ? TcpState.Closed : (tcpFlags & (Syn | Ack)) == Syn ? TcpState.SynSent : TcpState.Established;
        s.Class = ClassOf(forward.Protocol, s.Tcp);
        Insert(forward.Hash(_seed), n * 2);
        Insert(reverse.Hash(_seed), n * 2 + 1);
        _due[s.Class].Enqueue(new Due(n, generation, now + _timeout[s.Class]));
        Volatile.Write(ref _count, _count + 1);
        Created++;
        return n;
    }

    /// <summary>A packet of the session went by: it is seen now, and TCP flags move its state.</summary>
    public void Touch(int session, bool reply, byte tcpFlags, long now)
    {
        ref var s = ref _sessions[session];
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
        _due[c].Enqueue(new Due(session, s.Generation, now + _timeout[c]));
    }

    /// <summary>
    /// What a packet that found its session (<see cref="FindMany"/>) needs, in one visit of the session: false when the
    /// session is past its idle timeout (for the caller to remove); else the key of the session's other direction
    /// (a translation's target) and its payload, and with <paramref name="touch"/> the session is seen now
    /// (<see cref="Touch"/>).
    /// </summary>
    public bool Refresh(int session, bool reply, bool touch, byte tcpFlags, long now, out TKey other, out ulong payload)
    {
        ref var s = ref _sessions[session];
        other = reply ? s.Forward : s.Reverse;
        payload = s.Payload;
        if (!s.InUse || now - s.LastSeen > _timeout[s.Class]) return false;
        if (touch && (s.Tcp != TcpState.None || s.LastSeen != now || reply && !s.Replied)) Touch(session, reply, tcpFlags, now);
        return true;
    }

    /// <summary>Whether the session is within its idle timeout (an expired one lingers until <see cref="Expire"/> reaches it).</summary>
    public bool IsLive(int session, long now)
    {
        ref var s = ref _sessions[session];
        return s.InUse && now - s.LastSeen <= _timeout[s.Class];
    }

    public TKey Forward(int session) => _sessions[session].Forward;

    public TKey Reverse(int session) => _sessions[session].Reverse;

    public TcpState State(int session) => _sessions[session].Tcp;

    /// <summary>Whether a packet of the reply direction was seen.</summary>
    public bool Replied(int session) => _sessions[session].Replied;

    /// <summary>The owner's word of the session (a translation, a backend).</summary>
    public ref ulong Payload(int session) => ref _sessions[session].Payload;

    /// <summary>The open sessions' numbers (read from another thread while the worker runs: a snapshot that may be torn).</summary>
    public IEnumerable<int> Open()
    {
        for (var i = 0; i < _sessions.Length; i++)
            if (_sessions[i].InUse) yield return i;
    }

    /// <summary>Ends a session now.</summary>
    public void Remove(int session)
    {
        ref var s = ref _sessions[session];
        if (!s.InUse) throw new ArgumentException($"session {session} is not open", nameof(session));
        Delete(s.Forward.Hash(_seed), session * 2);
        Delete(s.Reverse.Hash(_seed), session * 2 + 1);
        s.InUse = false;
        s.Generation++;
        _free[_freeCount++] = session;
        Volatile.Write(ref _count, _count - 1);
    }

    /// <summary>Ends sessions idle past their timeout, looking at no more than <paramref name="budget"/> queued entries; returns how many ended.</summary>
    public int Expire(long now, int budget = 256)
    {
        var ended = 0;
        for (var c = 0; c < Classes; c++)
        {
            var queue = _due[c];
            while (budget > 0 && queue.TryPeek(out var due) && due.At <= now)
            {
                budget--;
                queue.Dequeue();
                ref var s = ref _sessions[due.Session];
                if (!s.InUse || s.Generation != due.Generation || s.Class != c) continue; // gone, reused, or queued elsewhere
                var at = s.LastSeen + _timeout[c];
                if (at > now)
                {
                    queue.Enqueue(due with { At = at }); // seen since: due again later
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

    private void Insert(uint hash, int reference)
    {
        var i = (int)(hash & (uint)_mask);
        while (_index[i] != 0) i = (i + 1) & _mask;
        _index[i] = (ulong)hash << 32 | (uint)(reference + 1);
    }

    // Removes the entry for reference, then shifts later entries of its probe run back (Knuth's algorithm R).
    private void Delete(uint hash, int reference)
    {
        var target = (ulong)hash << 32 | (uint)(reference + 1);
        var i = (int)(hash & (uint)_mask);
        while (_index[i] != target)
        {
            if (_index[i] == 0) throw new InvalidOperationException("session index lost an entry");
            i = (i + 1) & _mask;
        }
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            var slot = _index[j];
            if (slot == 0) break;
            var home = (int)((uint)(slot >> 32) & (uint)_mask);
            // The entry at j may move to the hole at i when its home is not cyclically within (i, j].
            var between = i <= j ? home > i && home <= j : home > i || home <= j;
            if (between) continue;
            _index[i] = slot;
            i = j;
        }
        _index[i] = 0;
    }

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;
}
