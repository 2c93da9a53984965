namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>
/// Client affinity (Kubernetes' sessionAffinity ClientIP with its timeout): the server a client's new connections
/// to a VIP, or to a scope of VIPs (a service port on all its addresses), go to, for as long as the client opens
/// another connection within the VIP's timeout of its last one and the server still takes new flows. Otherwise the
/// client gets the server its address picks (the same on every worker while the servers stay), remembered from then.
/// </summary>
/// <remarks>
/// Shared by the workers: one client's connections are steered to different workers. Only new flows of affinity
/// VIPs come here, so a lock does. At most <see cref="Capacity"/> clients: a full table drops its expired clients
/// (at most once a second) and, when none has expired, does not remember a new client (<see cref="Unremembered"/>;
/// its server is still the one its address picks).
/// </remarks>
internal sealed class LbAffinity(int capacity)
{
    private readonly record struct Key(UInt128 Client, int Scope);

    private readonly record struct Entry(int Server, long Expires);

    private readonly Dictionary<Key, Entry> _clients = [];
    private readonly Lock _lock = new();
    private long _nextSweep;

    public int Capacity { get; } = capacity;

    public int Count
    {
        get
        {
            lock (_lock) return _clients.Count;
        }
    }

    /// <summary>New clients not remembered because the table was full.</summary>
    public long Unremembered { get; private set; }

    /// <summary>
    /// The server for a new connection of <paramref name="client"/> to <paramref name="vip"/> at <paramref name="now"/>
    /// (milliseconds): the client's own while it lasts, else <paramref name="picked"/> (which becomes the client's).
    /// </summary>
    public int Choose(LoadBalancer.Vip vip, UInt128 client, int picked, long now)
    {
        var timeout = (long)vip.Config.ClientAffinity!.Value.TotalMilliseconds;
        var key = new Key(client, vip.AffinityScope);
        lock (_lock)
        {
            var known = _clients.TryGetValue(key, out var e);
            if (known && e.Expires >= now && vip.TakesNewFlows(e.Server))
            {
                _clients[key] = e with { Expires = now + timeout };
                return e.Server;
            }
            if (picked < 0) return picked;
            if (!known && _clients.Count >= Capacity && Sweep(now) == 0)
            {
                Unremembered++;
                return picked;
            }
            _clients[key] = new Entry(picked, now + timeout);
            return picked;
        }
    }

    private int Sweep(long now)
    {
        if (now < _nextSweep) return 0;
        _nextSweep = now + 1000;
        var removed = 0;
        foreach (var (key, e) in _clients)
            if (e.Expires < now && _clients.Remove(key)) removed++;
        return removed;
    }
}
