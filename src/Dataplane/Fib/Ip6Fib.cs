using System.Collections.Concurrent;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Fib;

/// <summary>A route's IPv6 decision as the workers read it.</summary>
public readonly record struct Ip6Adjacency(RouteKind Kind, int Interface, UInt128 NextHop);

/// <summary>
/// One IPv6 forwarding table: a hash table per prefix length in use, searched from the longest length down (as
/// VPP's IPv6 FIB does with its bihash per length). Tables have lock-free reads; the list of lengths in use is
/// replaced as a whole when it changes.
/// </summary>
public sealed class Ip6Fib
{
    private readonly ConcurrentDictionary<UInt128, Ip6Adjacency>?[] _byLength = new ConcurrentDictionary<UInt128, Ip6Adjacency>?[129];
    private int[] _lengths = [];

    public int Count { get; private set; }

    public Ip6Adjacency Lookup(UInt128 destination)
    {
        foreach (var length in Volatile.Read(ref _lengths))
            if (_byLength[length]!.TryGetValue(destination & Ip6.Mask(length), out var a)) return a;
        return default;
    }

    public void Add(UInt128 prefix, int length, Ip6Adjacency adjacency)
    {
        Check(prefix, length);
        var table = _byLength[length];
        if (table is null)
        {
            _byLength[length] = table = new ConcurrentDictionary<UInt128, Ip6Adjacency>();
            Volatile.Write(ref _lengths, [.. _lengths.Append(length).OrderDescending()]);
        }
        if (table.TryGetValue(prefix, out _)) table[prefix] = adjacency;
        else
        {
            table[prefix] = adjacency;
            Count++;
        }
    }

    public bool Remove(UInt128 prefix, int length)
    {
        Check(prefix, length);
        if (_byLength[length]?.TryRemove(prefix, out _) != true) return false;
        Count--;
        return true;
    }

    public bool TryGet(UInt128 prefix, int length, out Ip6Adjacency adjacency)
    {
        adjacency = default;
        return (uint)length <= 128 && _byLength[length] is { } t && t.TryGetValue(prefix, out adjacency);
    }

    public IEnumerable<(UInt128 Prefix, int Length, Ip6Adjacency Adjacency)> Routes =>
        _lengths.SelectMany(l => _byLength[l]!.Select(r => (r.Key, l, r.Value)));

    private static void Check(UInt128 prefix, int length)
    {
        if (length is < 0 or > 128) throw new DataplaneException($"prefix length {length} is not between 0 and 128");
        if ((prefix & ~Ip6.Mask(length)) != UInt128.Zero) throw new DataplaneException($"{Ip6.Format(prefix)}/{length} has host bits set");
    }
}
