using Mgmt.Dataplane.Nat;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>
/// Fragments after the first of a load-balanced packet carry no ports to find their flow by: the first fragment's
/// decision is kept under the fragments' common identity (<see cref="NatFragments"/>) so that the rest follow it.
/// <see cref="Translated"/>: in the NAT modes, the addresses the first was translated to (both directions);
/// <see cref="Sent"/>: in the other modes, the VIP's serial (as the "source") and the server's number (as the
/// "destination"). Shared by the workers (a later fragment needs no flow, only this), kept across configurations.
/// </summary>
internal sealed class LbFragments
{
    public NatFragments Translated { get; } = new();

    public NatFragments Sent { get; } = new();

    /// <summary><see cref="Translated"/> for IPv6 packets.</summary>
    public Fragments6 Translated6 { get; } = new();

    /// <summary><see cref="Sent"/> for IPv6 packets.</summary>
    public Fragments6 Sent6 { get; } = new();
}

/// <summary>
/// IPv6 first fragments' decisions by the fragments' identity (source, destination, identification), for
/// <see cref="NatFragments.LifetimeMs"/>; fragments are rare, so a lock and a bounded dictionary do (a full table
/// drops its stale entries, else refuses new ones: those packets' later fragments are dropped).
/// </summary>
internal sealed class Fragments6
{
    private const int Limit = 4096;
    private readonly Dictionary<(UInt128, UInt128, uint), (UInt128 A, UInt128 B, long Stamp)> _entries = [];
    private readonly Lock _lock = new();

    public void Record(UInt128 source, UInt128 destination, uint id, UInt128 a, UInt128 b, long now)
    {
        lock (_lock)
        {
            if (_entries.Count >= Limit)
                foreach (var (key, e) in _entries)
                    if (now - e.Stamp > NatFragments.LifetimeMs) _entries.Remove(key);
            if (_entries.Count < Limit) _entries[(source, destination, id)] = (a, b, now);
        }
    }

    public bool TryFind(UInt128 source, UInt128 destination, uint id, long now, out UInt128 a, out UInt128 b)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue((source, destination, id), out var e) && now - e.Stamp <= NatFragments.LifetimeMs)
            {
                (a, b) = (e.A, e.B);
                return true;
            }
        }
        (a, b) = (UInt128.Zero, UInt128.Zero);
        return false;
    }
}
