using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Fib;

/// <summary>A route's IPv6 decision as the workers read it (a multipath route: its path set's index).</summary>
public readonly record struct Ip6Adjacency(RouteKind Kind, int Interface, UInt128 NextHop, int PathSet = 0);

/// <summary>
/// One IPv6 forwarding table. Prefixes up to /32 are in a 16-8-8 multibit trie over the address's first 32 bits
/// (the <see cref="Ip4Mtrie"/> IPv4 uses), so the short routes that cover most of the address space cost two or
/// three array reads. Longer prefixes are in one open-addressing hash table keyed by prefix and length (VPP keeps a
/// bihash), and every /32 that has some records which lengths (33 to 128) are present under it, as a bit mask, so
/// a lookup probes only those lengths, longest first (typically one to three probes), before the trie. Leaves of
/// both index shared adjacencies, whose slots are never reused.
/// </summary>
/// <remarks>
/// One writer (the control plane) and any number of readers (workers) without locks: an entry is written whole
/// before its length (the "occupied" mark) is published; a removed entry is marked deleted; growing builds a new
/// table and publishes it. A reader sees each entry old or new; during a change, a lookup may still get the
/// decision from before it.
/// </remarks>
public sealed class Ip6Fib
{
    private readonly Dictionary<(UInt128 Prefix, int Length), Ip6Adjacency> _routes = [];
    private readonly Ip4Mtrie _short = new();
    private readonly LongPrefixes _long = new();
    private readonly LengthMasks _blocks = new();
    private readonly Dictionary<(uint Block, int Length), int> _blockCounts = [];
    private readonly Adjacencies<Ip6Adjacency> _adjacencies = new(256);

    public int Count => _routes.Count;

    /// <summary>The next hops of multipath routes.</summary>
    public PathSets<Ip6Adjacency> Paths { get; } = new();

    public Ip6Adjacency Lookup(UInt128 destination) => Lookup((ulong)(destination >> 64), (ulong)destination);

    /// <summary>The lookup on the address as its two 64-bit halves (as read from a header: no 128-bit arithmetic).</summary>
    public Ip6Adjacency Lookup(ulong hi, ulong lo) => _adjacencies.Current[Leaf(hi, lo)];

    /// <summary>The decision a leaf of <see cref="Leaves"/> stands for.</summary>
    internal Ip6Adjacency Decision(uint leaf) => _adjacencies.Current[leaf];

    /// <summary>
    /// The leaves of a vector of destinations (their halves), with the table reads of many packets overlapped: a
    /// first pass prefetches each destination's length-mask slot some addresses ahead and reads it when it comes up,
    /// prefetching the long-prefix slot of its longest length; a second pass probes, its lines fetched meanwhile.
    /// </summary>
    internal void Leaves(ReadOnlySpan<ulong> his, ReadOnlySpan<ulong> los, Span<uint> leaves, Span<ulong> highs, Span<uint> lows)
    {
        var n = his.Length;
        if (los.Length < n || leaves.Length < n || highs.Length < n || lows.Length < n) throw new ArgumentException("spans shorter than the destinations");
        for (var i = 0; i < n; i++)
        {
            if (i + Ahead < n) _blocks.Prefetch((uint)(his[i + Ahead] >> 32));
            _blocks.TryGet((uint)(his[i] >> 32), out highs[i], out lows[i]);
            if (highs[i] != 0) _long.Prefetch(his[i], los[i], 65 + 63 - System.Numerics.BitOperations.LeadingZeroCount(highs[i]));
            else if (lows[i] != 0) _long.Prefetch(his[i], 0, 33 + 31 - System.Numerics.BitOperations.LeadingZeroCount(lows[i]));
        }
        for (var i = 0; i < n; i++) leaves[i] = Leaf(his[i], los[i], highs[i], lows[i]);
    }

    private const int Ahead = 8;

    private uint Leaf(ulong hi, ulong lo)
    {
        _blocks.TryGet((uint)(hi >> 32), out var high, out var low);
        return Leaf(hi, lo, high, low);
    }

    // The lookup once the lengths under the address's /32 are known (0, 0: none).
    private uint Leaf(ulong hi, ulong lo, ulong lengths65To128, uint lengths33To64)
    {
        var block = (uint)(hi >> 32);
        {
            while (lengths65To128 != 0)
            {
                var bit = 63 - System.Numerics.BitOperations.LeadingZeroCount(lengths65To128);
                var length = 65 + bit;
                if (_long.TryGet(hi, lo & LoMask[length], length, out var leaf)) return leaf;
                lengths65To128 &= ~(1UL << bit);
            }
            while (lengths33To64 != 0)
            {
                var bit = 31 - System.Numerics.BitOperations.LeadingZeroCount(lengths33To64);
                var length = 33 + bit;
                if (_long.TryGet(hi & HiMask[length], 0, length, out var leaf)) return leaf;
                lengths33To64 &= ~(1u << bit);
            }
        }
        return _short.Lookup(block);
    }

    private static readonly ulong[] HiMask = [.. Enumerable.Range(0, 129).Select(l => l == 0 ? 0 : l >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - l))];
    private static readonly ulong[] LoMask = [.. Enumerable.Range(0, 129).Select(l => l <= 64 ? 0 : l == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - l))];

    private int _version;

    /// <summary>Changes with every route added, replaced or removed, after the change (see <see cref="Ip4Fib.Version"/>).</summary>
    internal int Version => Volatile.Read(ref _version);

    public void Add(UInt128 prefix, int length, Ip6Adjacency adjacency)
    {
        Check(prefix, length);
        var leaf = _adjacencies.Leaf(adjacency);
        var added = !_routes.ContainsKey((prefix, length));
        _routes[(prefix, length)] = adjacency;
        if (length <= 32) _short.Insert((uint)(prefix >> 96), length, leaf);
        else
        {
            _long.Set((ulong)(prefix >> 64), (ulong)prefix, length, leaf);
            if (added) Index(prefix, length, +1);
        }
        Interlocked.Increment(ref _version);
    }

    public bool Remove(UInt128 prefix, int length)
    {
        Check(prefix, length);
        if (!_routes.Remove((prefix, length))) return false;
        if (length <= 32)
        {
            // Its slots go back to the longest shorter prefix that covers it.
            var (cover, coverLength) = (0u, 0);
            for (var l = length - 1; l >= 0; l--)
                if (_routes.TryGetValue((prefix & Ip6.Mask(l), l), out var a))
                {
                    (cover, coverLength) = (_adjacencies.Leaf(a), l);
                    break;
                }
            _short.Remove((uint)(prefix >> 96), length, cover, coverLength);
        }
        else
        {
            _long.Remove((ulong)(prefix >> 64), (ulong)prefix, length);
            Index(prefix, length, -1);
        }
        Interlocked.Increment(ref _version);
        return true;
    }

    public bool TryGet(UInt128 prefix, int length, out Ip6Adjacency adjacency) => _routes.TryGetValue((prefix, length), out adjacency);

    public IEnumerable<(UInt128 Prefix, int Length, Ip6Adjacency Adjacency)> Routes => _routes.Select(r => (r.Key.Prefix, r.Key.Length, r.Value));

    // The lengths present under a /32: a count per (block, length), and the block's mask when a length appears or goes.
    private void Index(UInt128 prefix, int length, int delta)
    {
        var block = (uint)(prefix >> 96);
        var count = _blockCounts.GetValueOrDefault((block, length)) + delta;
        if (count > 0)
        {
            var appeared = !_blockCounts.ContainsKey((block, length));
            _blockCounts[(block, length)] = count;
            if (!appeared) return;
        }
        else _blockCounts.Remove((block, length));
        _blocks.TryGet(block, out var high, out var low);
        if (length > 64) high = count > 0 ? high | 1UL << (length - 65) : high & ~(1UL << (length - 65));
        else low = count > 0 ? low | 1u << (length - 33) : low & ~(1u << (length - 33));
        if (high == 0 && low == 0) _blocks.Remove(block);
        else _blocks.Set(block, high, low);
    }

    private static void Check(UInt128 prefix, int length)
    {
        if (length is < 0 or > 128) throw new DataplaneException($"prefix length {length} is not between 0 and 128");
        if ((prefix & ~Ip6.Mask(length)) != UInt128.Zero) throw new DataplaneException($"{Ip6.Format(prefix)}/{length} has host bits set");
    }

    private static uint Hash(ulong hi, ulong lo, int length)
    {
        var h = (hi * 0x9E3779B97F4A7C15UL) ^ (lo * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)length * 0x165667B19E3779F9UL);
        h ^= h >> 29;
        return (uint)(h * 0xBF58476D1CE4E5B9UL >> 32);
    }

    /// <summary>Prefixes longer than /32 by (halves, length): open addressing, linear probing; length 0 marks a free slot, -1 a deleted one.</summary>
    private sealed class LongPrefixes
    {
        private struct Slot
        {
            public ulong Hi, Lo;
            public uint Leaf;
            public int Length;
        }

        private Slot[] _slots = new Slot[1024];
        private int _used; // occupied and deleted

        /// <summary>Asks for the first slot a probe for this prefix reads (a prefetch never faults, even on a replaced array).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public unsafe void Prefetch(ulong hi, ulong lo, int length)
        {
            if (!Sse.IsSupported) return;
            var slots = Volatile.Read(ref _slots);
            var masked = length > 64 ? lo & LoMask[length] : 0;
            var h = length > 64 ? hi : hi & HiMask[length];
            Sse.Prefetch0(Unsafe.AsPointer(ref slots[(int)Hash(h, masked, length) & (slots.Length - 1)]));
        }

        public bool TryGet(ulong hi, ulong lo, int length, out uint leaf)
        {
            var slots = Volatile.Read(ref _slots);
            var mask = slots.Length - 1;
            for (var i = (int)Hash(hi, lo, length) & mask; ; i = (i + 1) & mask)
            {
                ref var s = ref slots[i];
                var l = Volatile.Read(ref s.Length);
                if (l == 0) break;
                if (l == length && s.Hi == hi && s.Lo == lo)
                {
                    leaf = s.Leaf;
                    return true;
                }
            }
            leaf = 0;
            return false;
        }

        public void Set(ulong hi, ulong lo, int length, uint leaf)
        {
            var mask = _slots.Length - 1;
            var free = -1;
            for (var i = (int)Hash(hi, lo, length) & mask; ; i = (i + 1) & mask)
            {
                ref var s = ref _slots[i];
                if (s.Length == length && s.Hi == hi && s.Lo == lo)
                {
                    Volatile.Write(ref s.Leaf, leaf);
                    return;
                }
                if (s.Length == -1 && free < 0) free = i;
                if (s.Length == 0)
                {
                    if (free < 0)
                    {
                        free = i;
                        _used++;
                    }
                    break;
                }
            }
            ref var slot = ref _slots[free];
            slot.Hi = hi;
            slot.Lo = lo;
            slot.Leaf = leaf;
            Volatile.Write(ref slot.Length, length);
            if (_used * 4 > _slots.Length * 3) Grow();
        }

        public void Remove(ulong hi, ulong lo, int length)
        {
            var mask = _slots.Length - 1;
            for (var i = (int)Hash(hi, lo, length) & mask; _slots[i].Length != 0; i = (i + 1) & mask)
                if (_slots[i].Length == length && _slots[i].Hi == hi && _slots[i].Lo == lo)
                {
                    Volatile.Write(ref _slots[i].Length, -1);
                    return;
                }
        }

        // At three quarters used: twice the size when more than half is live, else the same size without the deleted entries.
        private void Grow()
        {
            var live = _slots.Count(s => s.Length > 0);
            var next = new Slot[live * 2 > _slots.Length ? _slots.Length * 2 : _slots.Length];
            var mask = next.Length - 1;
            foreach (var s in _slots)
            {
                if (s.Length <= 0) continue;
                var i = (int)Hash(s.Hi, s.Lo, s.Length) & mask;
                while (next[i].Length != 0) i = (i + 1) & mask;
                next[i] = s;
            }
            _used = live;
            Volatile.Write(ref _slots, next);
        }
    }

    /// <summary>Per /32 with longer prefixes under it, the lengths present: 65..128 and 33..64 as bit masks. Open addressing like <see cref="LongPrefixes"/>.</summary>
    private sealed class LengthMasks
    {
        private struct Slot
        {
            public ulong High;
            public uint Low;
            public uint Block;
            public int State; // 0 free, 1 occupied, -1 deleted
        }

        private Slot[] _slots = new Slot[1024];
        private int _used;

        private static int Start(uint block, int mask) => (int)Hash(block, 0, 32) & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public unsafe void Prefetch(uint block)
        {
            if (!Sse.IsSupported) return;
            var slots = Volatile.Read(ref _slots);
            Sse.Prefetch0(Unsafe.AsPointer(ref slots[Start(block, slots.Length - 1)]));
        }

        public bool TryGet(uint block, out ulong high, out uint low)
        {
            var slots = Volatile.Read(ref _slots);
            var mask = slots.Length - 1;
            for (var i = Start(block, mask); ; i = (i + 1) & mask)
            {
                ref var s = ref slots[i];
                var state = Volatile.Read(ref s.State);
                if (state == 0) break;
                if (state == 1 && s.Block == block)
                {
                    high = s.High;
                    low = s.Low;
                    return true;
                }
            }
            high = 0;
            low = 0;
            return false;
        }

        public void Set(uint block, ulong high, uint low)
        {
            var mask = _slots.Length - 1;
            var free = -1;
            for (var i = Start(block, mask); ; i = (i + 1) & mask)
            {
                ref var s = ref _slots[i];
                if (s.State == 1 && s.Block == block)
                {
                    // A reader between the two stores sees one mask new and one old: at worst it probes a length
                    // that is gone or misses one being added, as it would a moment earlier or later.
                    Volatile.Write(ref s.High, high);
                    Volatile.Write(ref s.Low, low);
                    return;
                }
                if (s.State == -1 && free < 0) free = i;
                if (s.State == 0)
                {
                    if (free < 0)
                    {
                        free = i;
                        _used++;
                    }
                    break;
                }
            }
            ref var slot = ref _slots[free];
            slot.Block = block;
            slot.High = high;
            slot.Low = low;
            Volatile.Write(ref slot.State, 1);
            if (_used * 4 > _slots.Length * 3) Grow();
        }

        public void Remove(uint block)
        {
            var mask = _slots.Length - 1;
            for (var i = Start(block, mask); _slots[i].State != 0; i = (i + 1) & mask)
                if (_slots[i].State == 1 && _slots[i].Block == block)
                {
                    Volatile.Write(ref _slots[i].State, -1);
                    return;
                }
        }

        private void Grow()
        {
            var live = _slots.Count(s => s.State == 1);
            var next = new Slot[live * 2 > _slots.Length ? _slots.Length * 2 : _slots.Length];
            var mask = next.Length - 1;
            foreach (var s in _slots)
            {
                if (s.State != 1) continue;
                var i = Start(s.Block, mask);
                while (next[i].State != 0) i = (i + 1) & mask;
                next[i] = s;
            }
            _used = live;
            Volatile.Write(ref _slots, next);
        }
    }
}
