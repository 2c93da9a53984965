using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>
/// One worker's load balancer flows (VPP's sticky table): each flow keeps the server it was given while it lives,
/// whatever the VIP's servers become. IPv4 flows of the tunnel and DSR modes, which the load balancer sees from the
/// client's side only, are in a <see cref="StickyTable{TKey}"/> (<see cref="Sticky4"/>: no keys, one cache line a
/// lookup); IPv4 flows of the NAT modes in a session table (<see cref="Four"/>) whose reverse key is the server's
/// reply as it comes back, so that the replies find the flow; IPv6 flows the same way in tables made at the first
/// (<see cref="Sticky6"/>, <see cref="Six"/>). Each IPv4 table is made when a VIP of its kind is first configured.
/// A session's payload is its VIP's serial (high half) and its server's number (low half); a sticky flow's target
/// is the number of its pair of VIP and server (<see cref="TargetOf"/>).
/// </summary>
internal sealed class LbFlows(int capacity, SessionTimeouts timeouts)
{
    private SessionTable<FlowKey6>? _six;
    private StickyTable<FlowKey6>? _sticky6;
    private ulong[] _pairs = new ulong[16];
    private int _pairCount;
    private readonly Dictionary<ulong, int> _targets = [];

    /// <summary>IPv4 flows of the NAT modes; null until a NAT VIP is configured.</summary>
    public SessionTable<FlowKey4>? Four { get; private set; }

    /// <summary>IPv4 flows of the tunnel and DSR modes; null until such a VIP is configured.</summary>
    public StickyTable<FlowKey4>? Sticky4 { get; private set; }

    public SessionTable<FlowKey6> Six => _six ??= new SessionTable<FlowKey6>(capacity, Timeouts);

    public bool HasSix => _six is not null;

    /// <summary>IPv6 flows of the tunnel modes.</summary>
    public StickyTable<FlowKey6> Sticky6 => _sticky6 ??= new StickyTable<FlowKey6>(capacity, Timeouts);

    public bool HasSticky6 => _sticky6 is not null;

    public long Forwarded, Returned, NoServer;

    public SessionTimeouts Timeouts
    {
        get;
        set
        {
            field = value;
            Four?.Timeouts = value;
            Sticky4?.Timeouts = value;
            _six?.Timeouts = value;
            _sticky6?.Timeouts = value;
        }
    } = timeouts;

    /// <summary>Makes the IPv4 tables the configuration's VIPs need (before the workers see it).</summary>
    public void Prepare(LbConfig config)
    {
        if (Four is null && config.Vips.Any(v => v.IsV4 && v.Mode is LbMode.Nat or LbMode.FullNat)) Four = new(capacity, Timeouts);
        if (Sticky4 is null && config.Vips.Any(v => v.IsV4 && v.Mode is not (LbMode.Nat or LbMode.FullNat))) Sticky4 = new(capacity, Timeouts);
    }

    /// <summary>Ends flows past their timeout, a few at a time.</summary>
    public void Expire4(long now)
    {
        Four?.Expire(now);
        Sticky4?.Expire(now);
    }

    /// <summary>IPv4 flows now (the sticky and the NAT ones).</summary>
    public int Count4 => (Four?.Count ?? 0) + (Sticky4?.Count ?? 0);

    /// <summary>Memory per flow of the tables made so far (their fixed part, at capacity).</summary>
    public double BytesPerFlow => (Four?.BytesPerSession ?? 0) + (Sticky4?.BytesPerFlow ?? 0) + (_six?.BytesPerSession ?? 0) + (_sticky6?.BytesPerFlow ?? 0);

    public static ulong Payload(int vipSerial, int server) => (ulong)(uint)vipSerial << 32 | (uint)server;

    public static int VipOf(ulong payload) => (int)(payload >> 32);

    public static int ServerOf(ulong payload) => (int)(uint)payload;

    /// <summary>The target number of a pair of VIP and server for <see cref="Sticky4"/> (-1: too many pairs).</summary>
    public int TargetOf(int vipSerial, int server)
    {
        var pair = Payload(vipSerial, server);
        if (_targets.TryGetValue(pair, out var target)) return target;
        if (_pairCount > StickyTable<FlowKey4>.MaxTarget) return -1;
        if (_pairCount == _pairs.Length)
        {
            var grown = new ulong[_pairs.Length * 2];
            _pairs.CopyTo(grown, 0);
            Volatile.Write(ref _pairs, grown);
        }
        _pairs[_pairCount] = pair;
        _targets.Add(pair, _pairCount);
        return _pairCount++;
    }

    /// <summary>The pair of VIP and server (as <see cref="Payload"/>) of a sticky flow's target.</summary>
    public ulong PairOf(int target) => Volatile.Read(ref _pairs)[target];

    /// <summary>The servers of the sticky flows, one per flow (read from another thread: a snapshot).</summary>
    public IEnumerable<int> StickyServers() =>
        (Sticky4?.Targets() ?? []).Concat(_sticky6?.Targets() ?? []).Select(x => ServerOf(PairOf(x)));
}
