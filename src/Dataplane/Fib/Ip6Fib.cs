using System.Collections.Concurrent;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Fib;

/// <summary>A route's IPv6 decision as the workers read it (a multipath route: its path set's index).</summary>
public readonly record struct Ip6Adjacency(RouteKind Kind, int Interface, UInt128 NextHop, int PathSet = 0);

/// <summary>
/// One IPv6 forwarding table. Prefixes up to /32 are in a 16-8-8 multibit trie over the address's first 32 bits
/// (the <see cref="Ip4Mtrie"/> IPv4 uses; its leaves index shared adjacencies), so the short routes that cover
/// most of the address space cost two or three array reads. Longer prefixes are in a hash table per length (as
/// VPP's IPv6 FIB keeps a bihash per length), indexed by their first 32 bits: the lengths present under that /32,
/// so that a lookup probes only those (typically one to three) before the trie. Lock-free reads; the length sets
/// are replaced as a whole when they change; adjacency slots are never reused.
/// </summary>
public sealed class Ip6Fib
{
    private readonly ConcurrentDictionary<Key6, Ip6Adjacency>?[] _byLength = new ConcurrentDictionary<Key6, Ip6Adjacency>?[129];
    private readonly Ip4Mtrie _short = new();
    private Ip6Adjacency[] _shortAdjacencies = new Ip6Adjacency[256];
    private int _shortAdjacencyCount = 1; // leaf 0: no route
    private readonly Dictionary<Ip6Adjacency, uint> _shortLeaves = [];
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
        return Volatile.Read(ref _shortAdjacencies)[_short.Lookup((uint)(hi >> 32))];
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
        if (table is null) _byLength[length] = table = new ConcurrentDictionary<Key6, Ip6Adjacency>();
        var key = Key6.Of(prefix);
        if (length <= 32) _short.Insert((uint)(prefix >> 96), length, ShortLeaf(adjacency));
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
        if (length <= 32)
        {
            // Its slots go back to the longest shorter prefix that covers it.
            var (cover, coverLength) = (0u, 0);
            for (var l = length - 1; l >= 0; l--)
                if (_byLength[l] is { } t && t.TryGetValue(Key6.Of(prefix & Ip6.Mask(l)), out var a))
                {
                    (cover, coverLength) = (ShortLeaf(a), l);
                    break;
                }
            _short.Remove((uint)(prefix >> 96), length, cover, coverLength);
        }
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

    // Short routes with the same decision share one adjacency slot of the trie's leaves.
    private uint ShortLeaf(Ip6Adjacency a)
    {
        if (_shortLeaves.TryGetValue(a, out var known)) return known;
        if ((uint)_shortAdjacencyCount >= Ip4Mtrie.PlyFlag - 1) throw new DataplaneException("adjacency table full");
        if (_shortAdjacencyCount == _shortAdjacencies.Length)
        {
            var bigger = new Ip6Adjacency[_shortAdjacencies.Length * 2];
            Array.Copy(_shortAdjacencies, bigger, _shortAdjacencyCount);
            bigger[_shortAdjacencyCount] = a;
            Volatile.Write(ref _shortAdjacencies, bigger);
        }
        else _shortAdjacencies[_shortAdjacencyCount] = a;
        _shortLeaves.Add(a, (uint)_shortAdjacencyCount);
        return (uint)_shortAdjacencyCount++;
    }

    private static void Check(UInt128 prefix, int length)
    {
        if (length is < 0 or > 128) throw new DataplaneException($"prefix length {length} is not between 0 and 128");
        if ((prefix & ~Ip6.Mask(length)) != UInt128.Zero) throw new DataplaneException($"{Ip6.Format(prefix)}/{length} has host bits set");
    }
}
