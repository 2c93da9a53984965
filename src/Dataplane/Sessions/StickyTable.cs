using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Mgmt.Dataplane.Acl;

namespace Mgmt.Dataplane.Sessions;

/// <summary>
/// One worker's table of flows seen from one side only (VPP LB's sticky hash, for the load balancer's tunnel and
/// DSR modes: the servers answer the clients directly): each flow's target, a number its owner gives meaning (a VIP
/// and a server), found by the hash of its key. It keeps no keys: an entry is 32 bits of the key's 64-bit hash (the
/// tag), when the flow was last seen, its target and its state, 12 bytes, five entries to a 64-byte bucket chosen by
/// the hash's other half, two buckets per five flows: 26 bytes a flow, and a lookup reads one cache line (a
/// <see cref="SessionTable{TKey}"/>, which keeps both directions' keys to translate replies, reads two: its index
/// and the session). Two flows whose hashes agree in bucket and tag (about 50 bits: at a million flows, one new
/// flow in about a billion meets another's entry) share the entry: the later follows the earlier's target, as in
/// VPP.
/// </summary>
/// <remarks>
/// <para>
/// An entry lives for the idle timeout of its flow's state (<see cref="SessionTimeouts"/>: TCP as one direction
/// shows it, opening after a SYN, established, closing after a FIN, closed after a RST; UDP; others); a lookup
/// never finds an entry past it. Entries past it are taken back by new flows and by a sweep (<see cref="Expire"/>)
/// that passes every bucket about once a second in small steps, so that <see cref="Count"/> and <see cref="Expired"/>
/// follow without a pause. A flow whose home bucket is full goes to the first of the next fifteen with room (with its
/// distance from home, and counted in its home: lookups go on past the home only when that count is not 0); with
/// all full, or <see cref="Capacity"/> flows, the flow is refused (<see cref="Refused"/>).
/// </para>
/// <para>Times are the low 32 bits of milliseconds, compared by their difference (timeouts are at most 24 days).
/// Not thread-safe: one table per worker; <see cref="Count"/> and the counters may be read from any thread.</para>
/// </remarks>
public sealed class StickyTable<TKey> where TKey : unmanaged, IFlowKey<TKey>
{
    // A bucket: 16 words. Words 0-4 the entries' tags (0: free; a stored tag has its low bit set), 5-9 when each was
    // last seen, 10-14 each one's value (target << 7 | distance from its home bucket << 3 | state), 15 how many
    // entries of flows whose home this bucket is went on to the buckets after it (it was full).
    private const int BucketWords = 16, Entries = 5, TimeWord = 5, ValueWord = 10, SpillWord = 15, CacheLine = 64;
    private const uint StateMask = 7, DistanceMask = 15 << 3;
    private const int DistanceShift = 3, TargetShift = 7;

    // How far past its full home bucket a flow may go (runs of full buckets stay short at half full).
    private const int MaxDistance = 15;

    /// <summary>The largest target a flow can have.</summary>
    public const int MaxTarget = (1 << 25) - 1;

    // Flow states (the timeout classes).
    private const byte Established = 0, Opening = 1, Closed = 2, Udp = 3, Other = 4, Closing = 5;
    private const long SweepPeriodMs = 1000;

    private readonly uint[] _words;
    private readonly nint _start; // in words
    private readonly uint _buckets;
    private readonly uint _seed;
    private readonly uint[] _timeout = new uint[6];
    private uint _sweep; // the next bucket the sweep looks at
    private long _sweptAt;
    private int _count;

    /// <param name="capacity">Flows at most (1 to 2^24).</param>
    /// <param name="timeouts">Idle timeouts per state; null: the defaults.</param>
    /// <param name="seed">The hash seed (0: a random one).</param>
    public StickyTable(int capacity, SessionTimeouts? timeouts = null, uint seed = 0)
    {
        if (capacity is < 1 or > 1 << 24) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "1 to 2^24 flows");
        Capacity = capacity;
        _buckets = (uint)Math.Max(2, ((long)capacity * 2 + 4) / 5);
        _words = HugeArrays.AllocateAligned<uint>((long)_buckets * BucketWords, CacheLine, out _start);
        _seed = seed != 0 ? seed : (uint)Random.Shared.Next() | 1;
        Timeouts = timeouts ?? new SessionTimeouts();
    }

    public int Capacity { get; }

    /// <summary>Flows in the table (those past their timeout included until they are taken back).</summary>
    public int Count => Volatile.Read(ref _count);

    public long Created { get; private set; }

    /// <summary>Flows ended by their idle timeout.</summary>
    public long Expired { get; private set; }

    /// <summary>New flows refused: the table was full, or its home bucket and the fifteen after it.</summary>
    public long Refused { get; private set; }

    /// <summary>Idle timeouts per state; flows use new ones from their next lookup on.</summary>
    public SessionTimeouts Timeouts
    {
        get;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Check("flow table");
            field = value;
            _timeout[Established] = Ms(value.TcpEstablished);
            _timeout[Opening] = _timeout[Closing] = Ms(value.TcpTransitory);
            _timeout[Closed] = Ms(value.TcpClosed);
            _timeout[Udp] = Ms(value.Udp);
            _timeout[Other] = Ms(value.Other);
        }
    } = new();

    /// <summary>Changes with every flow added or ended: lookups made before are stale once it differs.</summary>
    internal int Changes { get; private set; }

    /// <summary>Bytes of memory per flow of <see cref="Capacity"/>.</summary>
    public double BytesPerFlow => (double)_words.LongLength * sizeof(uint) / Capacity;

    /// <summary>The key's 64-bit hash, with its home bucket prefetched (step one of a lookup; <see cref="Find"/> is step two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe ulong Prepare(in TKey key)
    {
        var hash = key.Hash64(_seed);
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref Bucket(Home(hash))));
        return hash;
    }

    /// <summary>The hash of a key (without a prefetch).</summary>
    public ulong HashOf(in TKey key) => key.Hash64(_seed);

    /// <summary>The live entry of the flow with this hash (<see cref="Prepare"/>), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong hash, long now)
    {
        var home = Home(hash);
        ref var bucket = ref Bucket(home);
        var tag = Tag(hash);
        for (var m = Matches(ref bucket, tag); m != 0; m &= m - 1)
        {
            var e = System.Numerics.BitOperations.TrailingZeroCount(m);
            if ((Unsafe.Add(ref bucket, ValueWord + e) & DistanceMask) == 0 && Live(ref bucket, e, (uint)now)) return (int)(home * Entries) + e;
        }
        return Unsafe.Add(ref bucket, SpillWord) == 0 ? -1 : FindDisplaced(home, tag, (uint)now);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int FindDisplaced(uint home, uint tag, uint now)
    {
        var b = home;
        for (var d = 1u; d <= MaxDistance; d++)
        {
            b = After(b);
            ref var bucket = ref Bucket(b);
            for (var m = Matches(ref bucket, tag); m != 0; m &= m - 1)
            {
                var e = System.Numerics.BitOperations.TrailingZeroCount(m);
                if ((Unsafe.Add(ref bucket, ValueWord + e) & DistanceMask) == d << DistanceShift && Live(ref bucket, e, now)) return (int)(b * Entries) + e;
            }
        }
        return -1;
    }

    /// <summary>An entry's target.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Target(int entry) => (int)(Value(entry) >> TargetShift);

    /// <summary>A packet of the entry's flow went by: it is seen now, and a TCP segment's flags move its state.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Touch(int entry, byte protocol, byte tcpFlags, long now)
    {
        ref var bucket = ref Checked(entry, out var e);
        Unsafe.Add(ref bucket, TimeWord + e) = (uint)now;
        if (protocol != 6) return;
        ref var value = ref Unsafe.Add(ref bucket, ValueWord + e);
        var state = Next((byte)(value & StateMask), tcpFlags);
        value = value & ~StateMask | state;
    }

    /// <summary>
    /// Adds the flow with this hash (one <see cref="Find"/> did not find) with its target; returns its entry, or -1
    /// when it is refused (<see cref="Refused"/>).
    /// </summary>
    public int Add(ulong hash, byte protocol, byte tcpFlags, int target, long now)
    {
        if ((uint)target > MaxTarget) throw new ArgumentOutOfRangeException(nameof(target), target, "a flow's target is 0 to 2^25 - 1");
        if (_count >= Capacity)
        {
            Refused++;
            return -1;
        }
        var state = protocol switch { 6 => Next(Established, tcpFlags), 17 => Udp, _ => Other };
        var home = Home(hash);
        var b = home;
        for (var d = 0u; d <= MaxDistance; d++, b = After(b))
        {
            var entry = Place(b, d, hash, state, target, (uint)now);
            if (entry < 0) continue;
            if (d > 0) Unsafe.Add(ref Bucket(home), SpillWord)++;
            Volatile.Write(ref _count, _count + 1);
            Created++;
            Changes++;
            return entry;
        }
        Refused++;
        return -1;
    }

    // Into a free entry of the bucket, or one past its timeout (taken back); -1: none.
    private int Place(uint b, uint distance, ulong hash, byte state, int target, uint now)
    {
        ref var bucket = ref Bucket(b);
        for (var e = 0; e < Entries; e++)
        {
            if (Unsafe.Add(ref bucket, e) != 0)
            {
                if (Live(ref bucket, e, now)) continue;
                Free(b, e);
                Expired++;
            }
            Unsafe.Add(ref bucket, e) = Tag(hash);
            Unsafe.Add(ref bucket, TimeWord + e) = now;
            Unsafe.Add(ref bucket, ValueWord + e) = (uint)target << TargetShift | distance << DistanceShift | state;
            return (int)(b * Entries) + e;
        }
        return -1;
    }

    /// <summary>Ends a flow now.</summary>
    public void Remove(int entry)
    {
        ref var bucket = ref Checked(entry, out var e);
        if (Unsafe.Add(ref bucket, e) == 0) throw new ArgumentException($"entry {entry} holds no flow", nameof(entry));
        Free((uint)(entry / Entries), e);
    }

    /// <summary>
    /// Takes back flows past their timeout: the sweep goes on through as many buckets as a pass of all in about a
    /// second allows since its last step, at most <paramref name="budget"/>; returns how many flows ended.
    /// </summary>
    public int Expire(long now, int budget = 256)
    {
        var due = (now - _sweptAt) * _buckets / SweepPeriodMs;
        if (due <= 0) return 0;
        _sweptAt = due >= budget ? now : _sweptAt + due * SweepPeriodMs / _buckets;
        var steps = (int)Math.Min(due, Math.Min(budget, _buckets));
        var ended = 0;
        for (var i = 0; i < steps; i++)
        {
            var b = _sweep;
            _sweep = After(b);
            ref var bucket = ref Bucket(b);
            for (var e = 0; e < Entries; e++)
                if (Unsafe.Add(ref bucket, e) != 0 && !Live(ref bucket, e, (uint)now))
                {
                    Free(b, e);
                    ended++;
                }
        }
        Expired += ended;
        return ended;
    }

    /// <summary>The targets of the flows in the table (read from another thread while the worker runs: a snapshot that may be torn).</summary>
    public IEnumerable<int> Targets()
    {
        for (var b = 0u; b < _buckets; b++)
            for (var e = 0; e < Entries; e++)
            {
                var word = (long)_start + (long)b * BucketWords;
                if (_words[word + e] != 0) yield return (int)(_words[word + ValueWord + e] >> TargetShift);
            }
    }

    private void Free(uint b, int e)
    {
        ref var bucket = ref Bucket(b);
        Unsafe.Add(ref bucket, e) = 0;
        var distance = (Unsafe.Add(ref bucket, ValueWord + e) & DistanceMask) >> DistanceShift;
        if (distance != 0) Unsafe.Add(ref Bucket((b + _buckets - distance) % _buckets), SpillWord)--;
        Volatile.Write(ref _count, _count - 1);
        Changes++;
    }

    // The state after a segment with these flags, seen from the client's side only: a SYN opens (a new connection
    // on the same ports too), a FIN closes, a RST ends; anything else after opening is established.
    private static byte Next(byte state, byte flags)
    {
        const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;
        if ((flags & Rst) != 0) return Closed;
        if ((flags & (Syn | Ack)) == Syn) return Opening;
        if ((flags & Fin) != 0) return Closing;
        return state is Closing or Closed ? state : Established;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Live(ref uint bucket, int e, uint now) =>
        now - Unsafe.Add(ref bucket, TimeWord + e) <= _timeout[Unsafe.Add(ref bucket, ValueWord + e) & StateMask];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Value(int entry) => Unsafe.Add(ref Checked(entry, out var e), ValueWord + e);

    // An entry's bucket, checked (entries come from callers; the words are reached without bounds checks).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint Checked(int entry, out int e)
    {
        var b = (uint)entry / Entries;
        if (b >= _buckets) ThrowNotAnEntry(entry);
        e = entry - (int)(b * Entries);
        return ref Bucket(b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint Bucket(uint bucket) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_words), _start + (nint)bucket * BucketWords);

    // The home bucket from the hash's high half; the tag is the low half (with its low bit set: 0 marks a free entry).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Home(ulong hash) => (uint)((hash >> 32) * _buckets >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Tag(ulong hash) => (uint)hash | 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint After(uint bucket) => bucket + 1 == _buckets ? 0 : bucket + 1;

    // The entries whose tag is `tag`, as a bit mask (the first eight words compared at once: the five tags and three times).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Matches(ref uint bucket, uint tag) =>
        Vector256.Equals(Vector256.LoadUnsafe(ref bucket), Vector256.Create(tag)).ExtractMostSignificantBits() & (1u << Entries) - 1;

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowNotAnEntry(int entry) => throw new ArgumentOutOfRangeException(nameof(entry), entry, $"not an entry of a table of {_buckets * Entries}");

    private static uint Ms(TimeSpan t) => (uint)t.TotalMilliseconds;
}
