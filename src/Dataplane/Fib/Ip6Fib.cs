using System.Collections.Concurrent;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Fib;

/// <summary>A route's IPv6 decision as the workers read it (a multipath route: its path set's index).</summary>
public readonly record struct Ip6Adjacency(RouteKind Kind, int Interface, UInt128 NextHop, int PathSet = 0);

/// <summary>
/// One IPv6 forwarding table: a hash table per prefix length in use, searched from the longest length down (as
/// VPP's IPv6 FIB does with its bihash per length). Prefixes longer than /32 are also indexed by their first 32
/// bits: the set of lengths present under that /32, so that a lookup probes only those (typically one to three)
/// and then the lengths up to /32, instead of every length in the table. Lock-free reads; the sets and the list
/// of short lengths are replaced as a whole when they change.
/// </summary>
public sealed class Ip6Fib
{
    private readonly ConcurrentDictionary<Key6, Ip6Adjacency>?[] _byLength = new ConcurrentDictionary<Key6, Ip6Adjacency>?[129];
    private int[] _shortLengths = [];
    private readonly ConcurrentDictionary<uint, LengthSet> _blocks = new();
    private readonly Dictionary<(uint Block, int Length), int> _blockCounts = [];

    /// <summary>Lengths 33..128 present under one /32, longest first.</summary>
    private sealed class LengthSet(int[] lengths)
    {
        public readonly int[] Lengths = lengths;
    }

    public int Count { get; private set; }

    /// <summary>The next hops of multipath routes.</summary>
    public PathSets<Ip6Adjacency> Paths { get; } = new();

    public Ip6Adjacency Lookup(UInt128 destination) => Lookup((ulong)(destination >> 64), (ulong)destination);

    /// <summary>The lookup on the address as its two 64-bit halves (as read from a header: no 128-bit arithmetic).</summary>
    public Ip6Adjacency Lookup(ulong hi, ulong lo)
    {
        if (_blocks.TryGetValue((uint)(hi >> 32), out var set))
            foreach (var length in set.Lengths)
                if (_byLength[length]!.TryGetValue(new Key6(hi & HiMask[length], lo & LoMask[length]), out var a)) return a;
        foreach (var length in Volatile.Read(ref _shortLengths))
            if (_byLength[length]!.TryGetValue(new Key6(hi & HiMask[length], 0), out var a)) return a;
        return default;
    }

    private static readonly ulong[] HiMask = [.. Enumerable.Range(0, 129).Select(l => l == 0 ? 0 : l >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - l))];
    private static readonly ulong[] LoMask = [.. Enumerable.Range(0, 129).Select(l => l <= 64 ? 0 : l == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - l))];

    /// <summary>A prefix as two halves with a cheap hash (128-bit integer operations are slow on the packet path).</summary>
    private readonly struct Key6(ulong hi, ulong lo) : IEquatable<Key6>
    {
        public readonly ulong Hi = hi, Lo = lo;

        public static Key6 Of(UInt128 a) => new((ulong)(a >> 64), (ulong)a);

        public UInt128 Value => ((UInt128)Hi << 64) | Lo;

        public bool Equals(Key6 o) => Hi == o.Hi && Lo == o.Lo;

        public override bool Equals(object? obj) => obj is Key6 o && Equals(o);

        public override int GetHashCode()
        {
            var h = Hi * 0x9e3779b97f4a7c15UL ^ Lo * 0xc2b2ae3d27d4eb4fUL;
            return (int)(h ^ h >> 32);
        }
    }

    private void Index(UInt128 prefix, int length, int delta)
    {
        if (length <= 32) return;
        var block = (uint)(prefix >> 96);
        var key = (block, length);
        var exists = _blockCounts.TryGetValue(key, out var before);
        var count = before + delta;
        if (count > 0)
        {
            _blockCounts[key] = count;
            if (exists) return;
        }
        else
        {
            if (!exists) return;
            _blockCounts.Remove(key);
        }
        // The length appeared under this /32 or left it: its set is replaced.
        var lengths = _blocks.TryGetValue(block, out var old) ? old.Lengths.ToList() : [];
        if (count > 0) lengths.Add(length);
        else lengths.Remove(length);
        if (lengths.Count == 0) _blocks.TryRemove(block, out _);
        else _blocks[block] = new LengthSet([.. lengths.OrderDescending()]);
    }

    public void Add(UInt128 prefix, int length, Ip6Adjacency adjacency)
    {
        Check(prefix, length);
        var table = _byLength[length];
        if (table is null)
        {
            _byLength[length] = table = new ConcurrentDictionary<Key6, Ip6Adjacency>();
            if (length <= 32) Volatile.Write(ref _shortLengths, [.. _shortLengths.Append(length).OrderDescending()]);
        }
        var key = Key6.Of(prefix);
        if (table.TryGetValue(key, out _)) table[key] = adjacency;
        else
        {
            table[key] = adjacency;
            Index(prefix, length, +1);
            Count++;
        }
    }

    public bool Remove(UInt128 prefix, int length)
    {
        Check(prefix, length);
        if (_byLength[length]?.TryRemove(Key6.Of(prefix), out _) != true) return false;
        Index(prefix, length, -1);
        Count--;
        return true;
    }

    public bool TryGet(UInt128 prefix, int length, out Ip6Adjacency adjacency)
    {
        adjacency = default;
        return (uint)length <= 128 && _byLength[length] is { } t && t.TryGetValue(Key6.Of(prefix), out adjacency);
    }

    public IEnumerable<(UInt128 Prefix, int Length, Ip6Adjacency Adjacency)> Routes =>
        Enumerable.Range(0, 129).Where(l => _byLength[l] is not null).SelectMany(l => _byLength[l]!.Select(r => (r.Key.Value, l, r.Value)));

    private static void Check(UInt128 prefix, int length)
    {
        if (length is < 0 or > 128) throw new DataplaneException($"prefix length {length} is not between 0 and 128");
        if ((prefix & ~Ip6.Mask(length)) != UInt128.Zero) throw new DataplaneException($"{Ip6.Format(prefix)}/{length} has host bits set");
    }
}
