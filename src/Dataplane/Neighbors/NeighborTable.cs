using System.Collections.Concurrent;

namespace Mgmt.Dataplane.Neighbors;

/// <summary>An IPv4 neighbor: its MAC, and whether the administrator set it (a static entry is never replaced by learning).</summary>
public readonly record struct Neighbor(ulong Mac, bool Static, long LearnedTicks);

/// <summary>
/// IPv4 neighbors (ARP) per interface: learned from ARP traffic addressed to us, or static from the API.
/// Lock-free reads for the workers.
/// </summary>
public sealed class NeighborTable
{
    private readonly ConcurrentDictionary<(int Interface, uint Address), Neighbor> _entries = new();

    private int _version;

    public int Count => _entries.Count;

    /// <summary>Changes with every change of the table: workers keep a cache of lookups as long as it stays the same.</summary>
    public int Version => Volatile.Read(ref _version);

    public bool TryGet(int interfaceIndex, uint address, out ulong mac)
    {
        var found = _entries.TryGetValue((interfaceIndex, address), out var n);
        mac = n.Mac;
        return found;
    }

    public void SetStatic(int interfaceIndex, uint address, ulong mac)
    {
        _entries[(interfaceIndex, address)] = new Neighbor(mac, true, Environment.TickCount64);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Learns a neighbor from ARP, unless a static entry is there.</summary>
    public void Learn(int interfaceIndex, uint address, ulong mac)
    {
        _entries.AddOrUpdate((interfaceIndex, address), new Neighbor(mac, false, Environment.TickCount64),
            (_, old) => old.Static ? old : new Neighbor(mac, false, Environment.TickCount64));
        Interlocked.Increment(ref _version);
    }

    public bool Remove(int interfaceIndex, uint address)
    {
        var removed = _entries.TryRemove((interfaceIndex, address), out _);
        Interlocked.Increment(ref _version);
        return removed;
    }

    /// <summary>Forgets every entry of an interface (when it is deleted or loses an address).</summary>
    public void RemoveInterface(int interfaceIndex)
    {
        foreach (var key in _entries.Keys)
            if (key.Interface == interfaceIndex) _entries.TryRemove(key, out _);
        Interlocked.Increment(ref _version);
    }

    public IEnumerable<(int Interface, uint Address, Neighbor Entry)> Entries => _entries.Select(e => (e.Key.Interface, e.Key.Address, e.Value));
}
