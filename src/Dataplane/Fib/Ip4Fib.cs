namespace Mgmt.Dataplane.Fib;

/// <summary>
/// One IPv4 forwarding table (a VRF): the routes by prefix for the control plane, and the <see cref="Ip4Mtrie"/>
/// whose leaves index the adjacencies the workers read. Changes come from one control thread while workers
/// look up without locks; routes with the same decision share its adjacency,
/// and adjacency slots are never reused, so a worker holding an old leaf still finds the decision it was made for.
/// </summary>
public sealed class Ip4Fib
{
    private readonly Ip4Mtrie _trie = new();
    private readonly Dictionary<(uint, int), uint> _routes = [];
    private readonly Adjacencies<Adjacency> _adjacencies = new(1024);
    private int _version;

    public int Count => _routes.Count;

    /// <summary>
    /// Changes with every route added, replaced or removed, after the change: a worker that keeps a lookup's
    /// decision (the load balancer's route to a server) reads it before the lookup and keeps the decision while
    /// it stays the same.
    /// </summary>
    internal int Version => Volatile.Read(ref _version);

    /// <summary>The next hops of multipath routes.</summary>
    public PathSets<Adjacency> Paths { get; } = new();

    /// <summary>The decision for a destination (kind None when no route covers it).</summary>
    public Adjacency Lookup(uint destination) => _adjacencies.Current[_trie.Lookup(destination)];

    /// <summary>The first half of <see cref="Lookup"/> for a vector of destinations: the trie's leaves (<see cref="Ip4Mtrie.LookupMany"/>).</summary>
    internal void Leaves(ReadOnlySpan<uint> destinations, Span<uint> leaves) => _trie.LookupMany(destinations, leaves);

    /// <summary>The second half of <see cref="Lookup"/>: the decision a leaf stands for.</summary>
    internal Adjacency Decision(uint leaf) => _adjacencies.Current[leaf];

    /// <summary>Adds a route or replaces the one with the same prefix and length.</summary>
    public void Add(Ip4Route route)
    {
        Check(route.Prefix, route.Length);
        var leaf = _adjacencies.Leaf(route.Adjacency);
        _routes[(route.Prefix, route.Length)] = leaf;
        _trie.Insert(route.Prefix, route.Length, leaf);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Removes a route; false when there is none with that prefix and length.</summary>
    public bool Remove(uint prefix, int length)
    {
        Check(prefix, length);
        if (!_routes.Remove((prefix, length))) return false;
        var (coverLeaf, coverLength) = Cover(prefix, length);
        _trie.Remove(prefix, length, coverLeaf, coverLength);
        Interlocked.Increment(ref _version);
        return true;
    }

    public bool TryGet(uint prefix, int length, out Adjacency adjacency)
    {
        adjacency = default;
        if (!_routes.TryGetValue((prefix, length), out var leaf)) return false;
        adjacency = _adjacencies[leaf];
        return true;
    }

    public IEnumerable<Ip4Route> Routes => _routes.Select(r => new Ip4Route(r.Key.Item1, r.Key.Item2, _adjacencies[r.Value]));

    /// <summary>The longest route shorter than prefix/length that covers it, or no route.</summary>
    private (uint Leaf, int Length) Cover(uint prefix, int length)
    {
        for (var l = length - 1; l >= 0; l--)
            if (_routes.TryGetValue((prefix & Mask(l), l), out var leaf)) return (leaf, l);
        return (0, 0);
    }

    public static uint Mask(int length) => length == 0 ? 0 : uint.MaxValue << (32 - length);

    private static void Check(uint prefix, int length)
    {
        if (length is < 0 or > 32) throw new DataplaneException($"prefix length {length} is not between 0 and 32");
        if ((prefix & ~Mask(length)) != 0)
            throw new DataplaneException($"{Mgmt.Dataplane.Packets.Ip4.Format(prefix)}/{length} has host bits set");
    }
}
