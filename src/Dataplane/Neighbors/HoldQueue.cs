using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Neighbors;

/// <summary>
/// Packets waiting for a neighbor that is being resolved (ARP or neighbor solicitation), per worker and address
/// family: at most <see cref="PerNeighbor"/> per neighbor and <see cref="Total"/> in all, for at most
/// <see cref="Milliseconds"/>; the request is repeated at most every 100 ms. Also a cache of resolved lookups,
/// valid while the neighbor table's version stays the same and the entry is confirmed recently enough
/// (<see cref="NeighborAging"/>); a stale entry is probed by unicast and removed when the probes go unanswered.
/// </summary>
internal sealed class HoldQueue(Worker w)
{
    public const int PerNeighbor = 8, Total = 512, Milliseconds = 1000;

    private readonly Dictionary<(int, UInt128), Unresolved> _unresolved = [];
    private int _held;

    private const int CacheSize = 1024;
    private readonly (int Interface, UInt128 Address, ulong Mac, long Confirmed)[] _cache = new (int, UInt128, ulong, long)[CacheSize];
    // Stale neighbors this worker probed, and when.
    private readonly Dictionary<(int, UInt128), long> _probed = [];
    private int _cacheVersion = -1;

    private sealed class Unresolved(long now)
    {
        public readonly long Since = now;
        public long Asked = now;
        public readonly List<int> Packets = new(PerNeighbor);
    }

    public bool TryNeighbor(int interfaceIndex, UInt128 address, long now, out ulong mac, out bool probe)
    {
        probe = false;
        var table = w.Dataplane.Neighbors;
        var version = table.Version;
        if (version != _cacheVersion)
        {
            Array.Clear(_cache);
            _cacheVersion = version;
        }
        var aging = table.Aging;
        var reachable = (long)aging.Reachable.TotalMilliseconds;
        ref var slot = ref _cache[(int)(((uint)address ^ (uint)(address >> 96)) * 2654435761u >> 22)];
        if (slot.Mac != 0 && slot.Address == address && slot.Interface == interfaceIndex && now - slot.Confirmed <= reachable)
        {
            mac = slot.Mac;
            return true;
        }
        if (!table.TryGetEntry(interfaceIndex, address, out var n))
        {
            mac = 0;
            return false;
        }
        mac = n.Mac;
        if (n.Static || now - n.LearnedTicks <= reachable)
        {
            slot = (interfaceIndex, address, n.Mac, n.Static ? long.MaxValue / 2 : n.LearnedTicks);
            if (_probed.Count > 0) _probed.Remove((interfaceIndex, address));
            return true;
        }
        // Not confirmed for a while: still used, probed by unicast now and then; removed when the probes went unanswered.
        var interval = (long)aging.ProbeInterval.TotalMilliseconds;
        if (now - n.LearnedTicks - reachable > aging.Probes * interval && table.RemoveIfUnchanged(interfaceIndex, address, n))
        {
            _probed.Remove((interfaceIndex, address));
            mac = 0;
            return false;
        }
        if (!_probed.TryGetValue((interfaceIndex, address), out var last) || now - last >= interval)
        {
            _probed[(interfaceIndex, address)] = now;
            probe = true;
        }
        return true;
    }

    /// <summary>Holds a packet for an unresolved neighbor (or drops it when full); <paramref name="ask"/> sends the request when due.</summary>
    public void Hold(int p, int interfaceIndex, UInt128 address, Action ask)
    {
        var now = Environment.TickCount64;
        var key = (interfaceIndex, address);
        if (!_unresolved.TryGetValue(key, out var pending))
        {
            if (_unresolved.Count >= Total)
            {
                w.Discard(p, DropReason.NeighborMiss);
                return;
            }
            _unresolved[key] = pending = new Unresolved(now);
            ask();
        }
        else if (now - pending.Asked >= 100)
        {
            pending.Asked = now;
            ask();
        }
        if (pending.Packets.Count >= PerNeighbor || _held >= Total)
        {
            w.Discard(p, DropReason.NeighborMiss);
            return;
        }
        w.Pool.Meta[p].Held = true;
        pending.Packets.Add(p);
        _held++;
    }

    /// <summary>A neighbor became known: its held packets go back to <paramref name="rewrite"/>.</summary>
    public void Resolved(int interfaceIndex, UInt128 address, Graph.GraphNode rewrite)
    {
        if (!_unresolved.Remove((interfaceIndex, address), out var pending)) return;
        _held -= pending.Packets.Count;
        foreach (var p in pending.Packets) w.Graph.Enqueue(rewrite, p);
    }

    /// <summary>Drops what waited too long for a neighbor that did not answer.</summary>
    public void Expire(long now)
    {
        if (_unresolved.Count == 0) return;
        List<(int, UInt128)>? gone = null;
        foreach (var (key, pending) in _unresolved)
            if (now - pending.Since >= Milliseconds) (gone ??= []).Add(key);
        if (gone is null) return;
        foreach (var key in gone)
        {
            _unresolved.Remove(key, out var pending);
            _held -= pending!.Packets.Count;
            foreach (var p in pending.Packets) w.Discard(p, DropReason.NeighborMiss);
        }
    }
}
