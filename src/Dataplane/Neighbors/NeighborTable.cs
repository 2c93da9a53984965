using System.Collections.Concurrent;

namespace Mgmt.Dataplane.Neighbors;

/// <summary>
/// An IPv4 or IPv6 neighbor: its MAC, whether the administrator set it (a static entry is never replaced by
/// learning and never ages), and when it was last learned or confirmed (<see cref="Environment.TickCount64"/>).
/// </summary>
public readonly record struct Neighbor(ulong Mac, bool Static, long LearnedTicks);

/// <summary>
/// How learned neighbors age (RFC 4861 §7.3's reachability, RFC 1122 §2.3.2.1's ARP cache validation): an entry
/// not confirmed for <see cref="Reachable"/> is still used, and probed by unicast (ARP request, neighbor
/// solicitation) every <see cref="ProbeInterval"/>, <see cref="Probes"/> times; unanswered, it is removed and the
/// next packet asks by broadcast again.
/// </summary>
public sealed record NeighborAging
{
    public TimeSpan Reachable { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    public int Probes { get; init; } = 3;
}

/// <summary>
/// Neighbors per interface, IPv4 (ARP) and IPv6 (neighbor discovery) in one table: learned from traffic addressed
/// to us, or static from the API. IPv4 addresses are kept IPv4-mapped (<c>::ffff:a.b.c.d</c>). Lock-free reads for
/// the workers; <see cref="Version"/> changes with every change, so that workers can cache lookups.
/// </summary>
public sealed class NeighborTable
{
    private readonly ConcurrentDictionary<(int Interface, UInt128 Address), Neighbor> _entries = new();
    private int _version;

    public int Count => _entries.Count;

    public int Version => Volatile.Read(ref _version);

    /// <summary>How learned entries age; replaced as a whole.</summary>
    public NeighborAging Aging { get; set; } = new();

    public bool TryGetEntry(int interfaceIndex, UInt128 address, out Neighbor entry) => _entries.TryGetValue((interfaceIndex, address), out entry);

    /// <summary>Removes an entry unless it changed (was confirmed or replaced) since it was read.</summary>
    public bool RemoveIfUnchanged(int interfaceIndex, UInt128 address, Neighbor seen)
    {
        if (!_entries.TryRemove(new KeyValuePair<(int, UInt128), Neighbor>((interfaceIndex, address), seen))) return false;
        Interlocked.Increment(ref _version);
        return true;
    }

    public static UInt128 Mapped(uint ip4) => (UInt128)0xffff_0000_0000UL | ip4;

    public bool TryGet(int interfaceIndex, uint address, out ulong mac) => TryGet(interfaceIndex, Mapped(address), out mac);

    public bool TryGet(int interfaceIndex, UInt128 address, out ulong mac)
    {
        var found = _entries.TryGetValue((interfaceIndex, address), out var n);
        mac = n.Mac;
        return found;
    }

    public void SetStatic(int interfaceIndex, uint address, ulong mac) => SetStatic(interfaceIndex, Mapped(address), mac);

    public void SetStatic(int interfaceIndex, UInt128 address, ulong mac)
    {
        _entries[(interfaceIndex, address)] = new Neighbor(mac, true, Environment.TickCount64);
        Interlocked.Increment(ref _version);
    }

    public void Learn(int interfaceIndex, uint address, ulong mac) => Learn(interfaceIndex, Mapped(address), mac);

    /// <summary>Learns a neighbor from ARP or ND, unless a static entry is there.</summary>
    public void Learn(int interfaceIndex, UInt128 address, ulong mac)
    {
        _entries.AddOrUpdate((interfaceIndex, address), new Neighbor(mac, false, Environment.TickCount64),
            (_, old) => old.Static ? old : new Neighbor(mac, false, Environment.TickCount64));
        Interlocked.Increment(ref _version);
    }

    public bool Remove(int interfaceIndex, uint address) => Remove(interfaceIndex, Mapped(address));

    public bool Remove(int interfaceIndex, UInt128 address)
    {
        var removed = _entries.TryRemove((interfaceIndex, address), out _);
        Interlocked.Increment(ref _version);
        return removed;
    }

    /// <summary>Forgets every entry of an interface (when it is deleted).</summary>
    public void RemoveInterface(int interfaceIndex)
    {
        foreach (var key in _entries.Keys)
            if (key.Interface == interfaceIndex) _entries.TryRemove(key, out _);
        Interlocked.Increment(ref _version);
    }

    public IEnumerable<(int Interface, UInt128 Address, Neighbor Entry)> Entries => _entries.Select(e => (e.Key.Interface, e.Key.Address, e.Value));
}
