using System.Collections.Frozen;
using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane;

/// <summary>The dataplane's load balancer API: one configuration of every VIP, checked whole and applied at once; counters to read.</summary>
public sealed partial class Dataplane
{
    private LoadBalancing.LoadBalancer? _lb;
    private LoadBalancing.LoadBalancer.Numbering _lbRegistry = new(FrozenDictionary<UInt128, int>.Empty, [], FrozenDictionary<LoadBalancing.LoadBalancer.VipKey, int>.Empty,
        FrozenDictionary<string, int>.Empty);
    private LbAffinity _lbAffinity = new(1);
    private readonly LbFragments _lbFragments = new();

    private LbConfig _lbOwn = new();
    private IReadOnlyList<LbVip> _serviceVips = [];

    internal LoadBalancing.LoadBalancer? Lb => Volatile.Read(ref _lb);

    /// <summary>The load balancer configuration in force (the VIPs set here and those of services), or null (no VIPs).</summary>
    public LbConfig? LoadBalancer => Lb?.Config;

    /// <summary>
    /// Sets the services the service proxy serves (<see cref="ServiceProxy"/>: NAT-mode VIPs on cluster IPs,
    /// external IPs and node ports on <paramref name="nodeAddresses"/> and, for dual-stack and IPv6 services,
    /// <paramref name="nodeAddresses6"/>), next to the VIPs of <see cref="SetLoadBalancer"/>; checked whole with them.
    /// </summary>
    public void SetServices(IReadOnlyList<Service> services, IReadOnlyList<uint> nodeAddresses, IReadOnlyList<UInt128>? nodeAddresses6 = null)
    {
        lock (_api)
        {
            var vips = ServiceProxy.Compile(services, nodeAddresses, nodeAddresses6);
            Apply(_lbOwn, vips);
            _serviceVips = vips;
        }
    }

    /// <summary>
    /// Sets the load balancer's VIPs (null or none: off). Checked whole before anything changes. Flows keep their
    /// server while they last, also when the server is removed or drained (weight 0); flows of a removed VIP end at
    /// their next packet. A new flow limit starts every worker's flows afresh.
    /// </summary>
    public void SetLoadBalancer(LbConfig? config)
    {
        lock (_api)
        {
            config ??= new LbConfig();
            Apply(config, _serviceVips);
            _lbOwn = config;
        }
    }

    private void Apply(LbConfig own, IReadOnlyList<LbVip> serviceVips)
    {
        var config = serviceVips.Count == 0 ? own : own with { Vips = [.. own.Vips, .. serviceVips] };
        if (config.Vips.Count == 0)
        {
            Volatile.Write(ref _lb, null);
            WaitForWorkers();
            foreach (var w in Workers) w.LbFlows = null;
            return;
        }
        CheckLb(config);
        var old = Lb;
        if (old is null || old.Config.FlowsPerWorker != config.FlowsPerWorker)
        {
            foreach (var w in Workers)
            {
                var flows = new LbFlows(config.FlowsPerWorker, config.Timeouts);
                flows.Prepare(config);
                w.LbFlows = flows;
            }
            WaitForWorkers();
        }
        else
            foreach (var w in Workers)
            {
                w.LbFlows!.Timeouts = config.Timeouts;
                w.LbFlows.Prepare(config); // a table for a kind of VIP new in this configuration
            }
        // Numbers for new servers and VIPs; the old ones keep theirs (flows hold them).
        var servers = _lbRegistry.ServerIds.ToDictionary();
        var list = _lbRegistry.Servers.ToList();
        foreach (var s in config.Vips.SelectMany(v => v.Servers))
            if (servers.TryAdd(s.Address, list.Count)) list.Add(s.Address);
        var vips = _lbRegistry.VipSerials.ToDictionary();
        foreach (var v in config.Vips) vips.TryAdd(LoadBalancing.LoadBalancer.Key(v), vips.Count + 1);
        var scopes = _lbRegistry.AffinityScopes.ToDictionary();
        foreach (var v in config.Vips)
            if (v.AffinityScope is { } scope) scopes.TryAdd(scope, scopes.Count + 1);
        _lbRegistry = new LoadBalancing.LoadBalancer.Numbering(servers.ToFrozenDictionary(), [.. list], vips.ToFrozenDictionary(), scopes.ToFrozenDictionary());
        if (old is null || old.Config.AffinityClients != config.AffinityClients) _lbAffinity = new LbAffinity(config.AffinityClients);
        Volatile.Write(ref _lb, new LoadBalancing.LoadBalancer(config, _lbRegistry, Workers.Count, _lbAffinity, _lbFragments));
    }

    /// <summary>
    /// Marks an interface whose neighbors are pods behind the load balancer's two-level DSR: IP-in-IPv4 and GRE
    /// packets routed to a neighbor there lose their outer header and reach the pod as the client sent them.
    /// </summary>
    public void SetDsrDecap(string interfaceName, bool on)
    {
        lock (_api) Interface(interfaceName).DsrDecap = on;
    }

    /// <summary>Load balancer counters summed over the workers.</summary>
    public LbCounters LbCounters
    {
        get
        {
            long flows = 0, created = 0, expired = 0, forwarded = 0, returned = 0, noServer = 0, refused = 0;
            foreach (var w in Workers)
            {
                if (w.LbFlows is not { } f) continue;
                var six = f.HasSix ? f.Six : null;
                var sticky6 = f.HasSticky6 ? f.Sticky6 : null;
                flows += f.Count4 + (six?.Count ?? 0) + (sticky6?.Count ?? 0);
                created += (f.Four?.Created ?? 0) + (f.Sticky4?.Created ?? 0) + (six?.Created ?? 0) + (sticky6?.Created ?? 0);
                expired += (f.Four?.Expired ?? 0) + (f.Sticky4?.Expired ?? 0) + (six?.Expired ?? 0) + (sticky6?.Expired ?? 0);
                refused += (f.Four?.Refused ?? 0) + (f.Sticky4?.Refused ?? 0) + (six?.Refused ?? 0) + (sticky6?.Refused ?? 0);
                forwarded += f.Forwarded;
                returned += f.Returned;
                noServer += f.NoServer;
            }
            return new LbCounters(flows, created, expired, forwarded, returned, noServer, refused);
        }
    }

    /// <summary>Clients client affinity remembers now (all VIPs together).</summary>
    public int LbAffinityClients => Lb?.Affinity.Count ?? 0;

    /// <summary>Memory per flow of the flow tables made so far (their fixed part, at capacity; 0 while off).</summary>
    public double LbBytesPerFlow => Workers.Select(w => w.LbFlows?.BytesPerFlow ?? 0).DefaultIfEmpty().Average();

    /// <summary>The servers the workers' flows are on now, with how many flows each (IPv4 and IPv6 flows).</summary>
    public IReadOnlyDictionary<UInt128, int> LbFlowsByServer()
    {
        var counts = new Dictionary<UInt128, int>();
        var servers = _lbRegistry.Servers;
        foreach (var w in Workers)
        {
            if (w.LbFlows is not { } f) continue;
            if (f.Four is { } four) foreach (var s in four.Open()) Count(LbFlows.ServerOf(four.Payload(s)));
            foreach (var server in f.StickyServers()) Count(server);
            if (f.HasSix) foreach (var s in f.Six.Open()) Count(LbFlows.ServerOf(f.Six.Payload(s)));
        }
        return counts;

        void Count(int server)
        {
            if ((uint)server < (uint)servers.Length) counts[servers[server]] = counts.GetValueOrDefault(servers[server]) + 1;
        }
    }

    private void CheckLb(LbConfig c)
    {
        if (c.FlowsPerWorker is < 1 or > 1 << 24) throw new DataplaneException($"{c.FlowsPerWorker} flows per worker: 1 to {1 << 24}");
        if (c.AffinityClients is < 1 or > 1 << 24) throw new DataplaneException($"{c.AffinityClients} affinity clients: 1 to {1 << 24}");
        (c.Timeouts ?? throw new DataplaneException("load balancer timeouts are missing")).Check("load balancer");
        foreach (var a in c.LocalAddresses)
            if (a == 0 || a >> 28 >= 0xe || a >> 24 == 127) throw new DataplaneException($"local address {Ip4.Format(a)} is not a unicast address");
        foreach (var a in c.LocalAddresses6)
            if (a == UInt128.Zero || a == UInt128.One || Ip6.IsMulticast(a) || Ip6.IsMapped(a))
                throw new DataplaneException($"local address {Ip6.Format(a)} is not a unicast IPv6 address");
        var keys = new HashSet<LoadBalancing.LoadBalancer.VipKey>();
        foreach (var v in c.Vips)
        {
            var what = $"VIP {v}";
            var v4 = v.IsV4;
            if (Ip6.IsMapped(v.Prefix) && v.Length < 96) throw new DataplaneException($"{what}: an IPv4 VIP's length is its prefix length + 96");
            if (v.Length is < 1 or > 128 || (v.Prefix & ~Ip6.Mask(v.Length)) != UInt128.Zero) throw new DataplaneException($"{what}: not a prefix (host bits set or length outside 1..128)");
            if (v.Protocol is not (0 or Ip4.ProtoTcp or Ip4.ProtoUdp) && !(v.Protocol == 132 && v.Port != 0))
                throw new DataplaneException($"{what}: protocol {v.Protocol}; a VIP with a port is TCP (6), UDP (17) or SCTP (132)");
            if (v.Protocol == 0 && v.Port != 0 || v.Protocol != 0 && v.Port == 0) throw new DataplaneException($"{what}: a port needs a protocol and a protocol a port");
            if (!keys.Add(LoadBalancing.LoadBalancer.Key(v))) throw new DataplaneException($"{what}: defined twice");
            if (v.TableSize is < 3 or > Maglev.MaxSize || !IsPrime(v.TableSize)) throw new DataplaneException($"{what}: Maglev table size {v.TableSize} is not a prime between 3 and {Maglev.MaxSize}");
            if (v.Servers.Count > v.TableSize) throw new DataplaneException($"{what}: {v.Servers.Count} servers for a table of {v.TableSize}");
            if (v.ClientAffinity is { } affinity && (affinity < TimeSpan.FromMilliseconds(1) || affinity > LbVip.MaxAffinity))
                throw new DataplaneException($"{what}: client affinity of {affinity}: 1 ms to {LbVip.MaxAffinity}");
            if (v.AffinityScope is not null && v.ClientAffinity is null) throw new DataplaneException($"{what}: an affinity scope without client affinity");
            if (v.Dscp > 63) throw new DataplaneException($"{what}: DSCP {v.Dscp} is not between 0 and 63");
            if (v.Servers.Select(s => s.Address).Distinct().Count() != v.Servers.Count) throw new DataplaneException($"{what}: a server is named twice");
            foreach (var s in v.Servers)
            {
                if (s.Weight is < 0 or > 1_000_000) throw new DataplaneException($"{what}: server {s}: weight 0 to 1000000");
                var server4 = Ip6.IsMapped(s.Address);
                var wants4 = v.Mode switch { LbMode.Gre4 or LbMode.IpIp4 => true, LbMode.Gre6 or LbMode.IpIp6 => false, _ => v4 };
                if (server4 != wants4) throw new DataplaneException($"{what}: server {LoadBalancing.LoadBalancer.Format(s.Address)} is not an {(wants4 ? "IPv4" : "IPv6")} address, which mode {v.Mode} sends to");
                if (s.Address == UInt128.Zero || s.Address == Ip6.Mapped(0)) throw new DataplaneException($"{what}: server address unspecified");
            }
            if (v.Mode is LbMode.Gre4 or LbMode.IpIp4 && c.Ip4Source == 0) throw new DataplaneException($"{what}: mode {v.Mode} needs the IPv4 tunnel source");
            if (v.Mode is LbMode.Gre6 or LbMode.IpIp6 && c.Ip6Source == UInt128.Zero) throw new DataplaneException($"{what}: mode {v.Mode} needs the IPv6 tunnel source");
            var nat = v.Mode is LbMode.Nat or LbMode.FullNat;
            if (v.Mode is LbMode.L3Dsr && !v4) throw new DataplaneException($"{what}: mode {v.Mode} is for IPv4 VIPs");
            if (nat && (v.Length != 128 || v.Protocol is not (Ip4.ProtoTcp or Ip4.ProtoUdp)))
                throw new DataplaneException($"{what}: NAT mode needs one address, TCP or UDP and a port");
            if (!nat && v.TargetPort != 0) throw new DataplaneException($"{what}: a target port is for NAT mode");
            if (!nat && v.Servers.Any(s => s.Port != 0)) throw new DataplaneException($"{what}: a server's own port is for NAT mode");
            if (v.Mode == LbMode.FullNat && (v4 ? c.LocalAddresses.Count : c.LocalAddresses6.Count) == 0)
                throw new DataplaneException($"{what}: full NAT needs local {(v4 ? "IPv4" : "IPv6")} addresses");
        }
    }

    private static bool IsPrime(int n)
    {
        if (n < 2) return false;
        for (var d = 2; (long)d * d <= n; d++)
            if (n % d == 0) return false;
        return true;
    }
}
