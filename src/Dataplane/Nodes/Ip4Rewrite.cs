using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Forwards: TTL decrement with an incremental checksum update (ICMP time exceeded at 1), the egress MTU (ICMP
/// fragmentation needed when DF is set), the neighbor's MAC and the Ethernet header in front; then to
/// interface-output. A packet for a neighbor not yet known waits in a bounded hold queue while ARP asks for it
/// (<see cref="HoldPerNeighbor"/> per neighbor, <see cref="HoldTotal"/> in all, <see cref="HoldMilliseconds"/> at most).
/// </summary>
internal sealed class Ip4Rewrite(Worker w) : GraphNode("ip4-rewrite")
{
    public const int HoldPerNeighbor = 8, HoldTotal = 512, HoldMilliseconds = 1000;

    // Unresolved next hops: when ARP was first asked and last asked (once per 100 ms at most), and the packets held.
    private readonly Dictionary<(int, uint), Unresolved> _unresolved = [];
    private int _held;

    // Neighbor lookups of this worker, direct-mapped by next hop, valid while the table's version stays the same.
    private const int CacheSize = 1024;
    private readonly (int Interface, uint Address, ulong Mac)[] _cache = new (int, uint, ulong)[CacheSize];
    private int _cacheVersion = -1;

    private bool TryNeighbor(int interfaceIndex, uint address, out ulong mac)
    {
        var table = w.Dataplane.Neighbors;
        var version = table.Version;
        if (version != _cacheVersion)
        {
            Array.Clear(_cache);
            _cacheVersion = version;
        }
        ref var slot = ref _cache[(int)((address * 2654435761u) >> 22)];
        if (slot.Mac != 0 && slot.Address == address && slot.Interface == interfaceIndex)
        {
            mac = slot.Mac;
            return true;
        }
        if (!table.TryGet(interfaceIndex, address, out mac)) return false;
        slot = (interfaceIndex, address, mac);
        return true;
    }

    private sealed class Unresolved(long now)
    {
        public readonly long Since = now;
        public long Asked = now;
        public readonly List<int> Packets = new(HoldPerNeighbor);
    }

    /// <summary>A neighbor became known: its held packets go out (they are rewritten again, now with its MAC).</summary>
    public void Resolved(int interfaceIndex, uint address)
    {
        if (!_unresolved.Remove((interfaceIndex, address), out var pending)) return;
        _held -= pending.Packets.Count;
        foreach (var p in pending.Packets) w.Graph.Enqueue(this, p);
    }

    /// <summary>Drops what waited too long for a neighbor that did not answer.</summary>
    private void Expire(long now)
    {
        if (_unresolved.Count == 0) return;
        List<(int, uint)>? gone = null;
        foreach (var (key, pending) in _unresolved)
            if (now - pending.Since >= HoldMilliseconds) (gone ??= []).Add(key);
        if (gone is null) return;
        foreach (var key in gone)
        {
            _unresolved.Remove(key, out var pending);
            _held -= pending!.Packets.Count;
            foreach (var p in pending.Packets) w.Discard(p, DropReason.NeighborMiss);
        }
    }

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        Expire(Environment.TickCount64);
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var h = w.Pool.Data(p);
            var itf = w.Interface(m.TxInterface);
            if (itf is null || !itf.OperUp)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            if (!m.Originated && !m.Held)
            {
                if (Ip4.Ttl(h) <= 1)
                {
                    Ip4IcmpError.Send(w, p, 11, 0, DropReason.TtlExpired);
                    continue;
                }
                Ip4.DecrementTtl(h);
            }
            if (h.Length > itf.Mtu)
            {
                if (Ip4.DontFragment(h)) Ip4IcmpError.Send(w, p, 3, 4, DropReason.FragmentationNeeded, (ushort)itf.Mtu);
                else w.Discard(p, DropReason.FragmentationNeeded); // fragmentation is not done yet
                continue;
            }
            if (!TryNeighbor(itf.Index, m.NextHop, out var mac))
            {
                Hold(p, itf, m.NextHop);
                continue;
            }
            w.Pool.Advance(p, -Ethernet.HeaderLength);
            Ethernet.WriteHeader(w.Pool.Data(p), mac, itf.Mac, Ethernet.TypeIp4);
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"to {itf.Name} {Ethernet.Format(mac)}");
            w.Graph.Enqueue(w.Output, p);
        }
    }

    private void Hold(int p, Interfaces.DpInterface itf, uint nextHop)
    {
        var now = Environment.TickCount64;
        var key = (itf.Index, nextHop);
        if (!_unresolved.TryGetValue(key, out var pending))
        {
            _unresolved[key] = pending = new Unresolved(now);
            ArpInput.Request(w, itf, nextHop);
        }
        else if (now - pending.Asked >= 100)
        {
            pending.Asked = now;
            ArpInput.Request(w, itf, nextHop);
        }
        if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"no neighbor {Ip4.Format(nextHop)} on {itf.Name}: held, ARP request");
        if (pending.Packets.Count >= HoldPerNeighbor || _held >= HoldTotal || _unresolved.Count > HoldTotal)
        {
            w.Discard(p, DropReason.NeighborMiss);
            return;
        }
        w.Pool.Meta[p].Held = true;
        pending.Packets.Add(p);
        _held++;
    }
}
