using System.Collections.Frozen;
using Mgmt.Dataplane.Nat;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>
/// A load balancer configuration as the workers use it, made once per change and published whole: the VIPs with
/// their Maglev tables, found by address, protocol and port; the servers by a number that stays the same across
/// changes (flows keep the number of their server, also once it is removed: a removed server keeps its flows until
/// they end, VPP's and Kubernetes' draining).
/// </summary>
/// <remarks>
/// Steering with several workers: tunnel and L3 DSR modes see one direction only, so the plain flow hash will do.
/// NAT mode sees the server's replies too, which carry other addresses; both directions are steered by the
/// client's port and protocol, which both carry (a hairpinned client's address is translated, its port is not):
/// the source port of a packet to a NAT VIP endpoint or to a server's endpoint, the destination port of a packet
/// from a server's endpoint.
/// </remarks>
internal sealed class LoadBalancer
{
    /// <summary>A VIP as the workers use it.</summary>
    internal sealed class Vip(LbVip config, int serial, int[]? table, int[] serverIds, int affinityScope)
    {
        private readonly FrozenSet<int> _live = table is null ? FrozenSet<int>.Empty : table.Distinct().Select(i => serverIds[i]).ToFrozenSet();
        private readonly FrozenDictionary<int, ushort> _ports = Enumerable.Range(0, serverIds.Length).Where(i => config.Servers[i].Port != 0)
            .ToFrozenDictionary(i => serverIds[i], i => config.Servers[i].Port);

        public LbVip Config { get; } = config;

        /// <summary>The same for the same prefix, protocol and port in every configuration: flows know their VIP by it.</summary>
        public int Serial { get; } = serial;

        /// <summary>Maglev's table: an entry per slot, the index into <see cref="ServerIds"/>; null: no server takes new flows.</summary>
        public int[]? Table { get; } = table;

        public int[] ServerIds { get; } = serverIds;

        /// <summary>Where its clients' affinity is kept: its own serial, or the number of its <see cref="LbVip.AffinityScope"/> (negative).</summary>
        public int AffinityScope { get; } = affinityScope;

        /// <summary>Whether a server (by its number) is one of this VIP's with a weight above 0.</summary>
        public bool TakesNewFlows(int server) => _live.Contains(server);

        public bool Outer6 { get; } = config.Mode is LbMode.Gre6 or LbMode.IpIp6;

        /// <summary>GRE or IP in IPv4 to the server.</summary>
        public bool Outer4 { get; } = config.Mode is LbMode.Gre4 or LbMode.IpIp4;

        public bool Gre { get; } = config.Mode is LbMode.Gre4 or LbMode.Gre6;

        public ushort TargetPort(ushort port) => Config.TargetPort != 0 ? Config.TargetPort : port;

        /// <summary>The port a NAT flow to this server goes to: the server's own, or the VIP's target port.</summary>
        public ushort TargetPort(int server, ushort port) => _ports.Count > 0 && _ports.TryGetValue(server, out var own) ? own : TargetPort(port);

        /// <summary>A server's endpoint port (for the steering of its answers).</summary>
        public ushort ServerPort(LbServer server) => server.Port != 0 ? server.Port : TargetPort(Config.Port);
    }

    internal readonly record struct VipKey(UInt128 Prefix, int Length, byte Protocol, ushort Port);

    /// <summary>Numbers given to servers and VIPs: grow with every new one, never reused.</summary>
    internal sealed record Numbering(FrozenDictionary<UInt128, int> ServerIds, UInt128[] Servers, FrozenDictionary<VipKey, int> VipSerials,
        FrozenDictionary<string, int> AffinityScopes);

    private const uint MaglevSeed = 0x4d41_474c;

    private readonly FrozenDictionary<NatEndpoint, Vip> _exact4;
    private readonly FrozenDictionary<(UInt128, byte, ushort), Vip> _exact6;
    private readonly Vip[] _prefixes; // VIPs shorter than a host prefix, longest first
    private readonly Vip?[] _bySerial;
    private readonly FrozenSet<NatEndpoint> _natVipEndpoints;
    private readonly FrozenSet<NatEndpoint> _natServerEndpoints;
    private readonly FrozenSet<uint> _vipAddresses4;
    private readonly FrozenSet<(UInt128, byte, ushort)> _natVipEndpoints6;
    private readonly FrozenSet<UInt128> _vipAddresses6;
    private readonly FrozenSet<UInt128> _solicitedNodes6;
    private readonly FrozenSet<(UInt128, byte, ushort)> _natServerEndpoints6;

    public LoadBalancer(LbConfig config, Numbering registry, int workers, LbAffinity affinity, LbFragments fragments)
    {
        Config = config;
        Affinity = affinity;
        Fragments = fragments;
        Registry = registry;
        Workers = workers;
        var vips = new List<Vip>();
        foreach (var v in config.Vips)
        {
            var ids = v.Servers.Select(s => registry.ServerIds[s.Address]).ToArray();
            var live = Enumerable.Range(0, v.Servers.Count).Where(i => v.Servers[i].Weight > 0).ToArray();
            int[]? table = null;
            if (live.Length > 0)
            {
                var slots = Maglev.Build([.. live.Select(i => new MaglevBackend(Format(v.Servers[i].Address), v.Servers[i].Weight))], v.TableSize);
                table = [.. slots.Select(i => live[i])];
            }
            var serial = registry.VipSerials[Key(v)];
            vips.Add(new Vip(v, serial, table, ids, v.AffinityScope is { } scope ? -registry.AffinityScopes[scope] : serial));
        }
        Vips = [.. vips];
        _exact4 = vips.Where(v => v.Config.IsV4 && v.Config.Length == 128)
            .ToFrozenDictionary(v => new NatEndpoint((uint)v.Config.Prefix, v.Config.Protocol, v.Config.Port));
        _exact6 = vips.Where(v => !v.Config.IsV4 && v.Config.Length == 128)
            .ToFrozenDictionary(v => (v.Config.Prefix, v.Config.Protocol, v.Config.Port));
        _prefixes = [.. vips.Where(v => v.Config.Length < 128).OrderByDescending(v => v.Config.Length)];
        _bySerial = new Vip?[vips.Count == 0 ? 1 : vips.Max(v => v.Serial) + 1];
        foreach (var v in vips) _bySerial[v.Serial] = v;
        var nat = vips.Where(v => v.Config.IsV4 && v.Config.Mode is LbMode.Nat or LbMode.FullNat).ToList();
        var nat6 = vips.Where(v => !v.Config.IsV4 && v.Config.Mode is LbMode.Nat or LbMode.FullNat).ToList();
        HasNat = nat.Count > 0 || nat6.Count > 0;
        HasNat6 = nat6.Count > 0;
        _vipAddresses6 = vips.Where(v => !v.Config.IsV4 && v.Config.Length == 128).Select(v => v.Config.Prefix).Concat(config.LocalAddresses6).ToFrozenSet();
        _solicitedNodes6 = _vipAddresses6.Select(Ip6.SolicitedNode).ToFrozenSet();
        _natVipEndpoints6 = nat6.Select(v => (v.Config.Prefix, v.Config.Protocol, v.Config.Port)).ToFrozenSet();
        _natServerEndpoints6 = nat6.SelectMany(v => v.Config.Servers.Select(s => (s.Address, v.Config.Protocol, v.ServerPort(s)))).ToFrozenSet();
        HasVip6 = vips.Any(v => !v.Config.IsV4);
        HasTunnel6 = vips.Any(v => !v.Config.IsV4 && v.Config.Mode is not (LbMode.Nat or LbMode.FullNat));
        _natVipEndpoints = nat.Select(v => new NatEndpoint((uint)v.Config.Prefix, v.Config.Protocol, v.Config.Port)).ToFrozenSet();
        _natServerEndpoints = nat.SelectMany(v => v.Config.Servers.Select(s => new NatEndpoint((uint)s.Address, v.Config.Protocol, v.ServerPort(s))))
            .ToFrozenSet();
        _vipAddresses4 = vips.Where(v => v.Config.IsV4 && v.Config.Length == 128).Select(v => (uint)v.Config.Prefix).Concat(config.LocalAddresses).ToFrozenSet();
    }

    public LbConfig Config { get; }

    /// <summary>The clients of affinity VIPs and their servers (kept across configurations).</summary>
    public LbAffinity Affinity { get; }

    /// <summary>How the first fragments of recent packets went (kept across configurations).</summary>
    public LbFragments Fragments { get; }

    public Numbering Registry { get; }

    public Vip[] Vips { get; }

    public int Workers { get; }

    /// <summary>Whether a VIP is in NAT mode (its servers' replies come through here).</summary>
    public bool HasNat { get; }

    public bool HasVip6 { get; }

    /// <summary>Whether an IPv6 VIP is in a tunnel mode (its flows are sticky entries).</summary>
    public bool HasTunnel6 { get; }

    /// <summary>Whether an IPv6 VIP is in NAT mode (its servers' replies come through here too).</summary>
    public bool HasNat6 { get; }

    public static VipKey Key(LbVip v) => new(v.Prefix, v.Length, v.Protocol, v.Port);

    /// <summary>The VIP a packet to this destination, protocol and port belongs to: its own port's first, then one for all of the address's traffic, then a prefix.</summary>
    public Vip? Match4(uint destination, byte protocol, ushort port)
    {
        if (_exact4.Count > 0 && (_exact4.TryGetValue(new NatEndpoint(destination, protocol, port), out var v) || _exact4.TryGetValue(new NatEndpoint(destination, 0, 0), out v)))
            return v;
        return _prefixes.Length == 0 ? null : MatchPrefix(Ip6.Mapped(destination), protocol, port);
    }

    public Vip? Match6(UInt128 destination, byte protocol, ushort port)
    {
        if (_exact6.Count > 0 && (_exact6.TryGetValue((destination, protocol, port), out var v) || _exact6.TryGetValue((destination, 0, 0), out v)))
            return v;
        return _prefixes.Length == 0 ? null : MatchPrefix(destination, protocol, port);
    }

    private Vip? MatchPrefix(UInt128 destination, byte protocol, ushort port)
    {
        foreach (var v in _prefixes)
            if ((destination & Ip6.Mask(v.Config.Length)) == v.Config.Prefix && (v.Config.Protocol == 0 || v.Config.Protocol == protocol && v.Config.Port == port))
                return v;
        return null;
    }

    /// <summary>Whether an IPv6 address is a VIP's or a full-NAT local address (the dataplane answers neighbor solicitations for it).</summary>
    public bool IsVipAddress6(UInt128 address) => _vipAddresses6.Contains(address);

    /// <summary>Whether a multicast group is the solicited-node group of a VIP or local IPv6 address (RFC 4861 §7.2.1).</summary>
    public bool ListensTo6(UInt128 group) => _solicitedNodes6.Contains(group);

    public Vip? BySerial(int serial) => (uint)serial < (uint)_bySerial.Length ? _bySerial[serial] : null;

    /// <summary>Whether an IPv4 address is a VIP's or a full-NAT local address (the dataplane answers ARP for it).</summary>
    public bool IsVipAddress(uint address) => _vipAddresses4.Contains(address);

    /// <summary>The server a new flow goes to (Maglev: the same flow hash finds the same server while the server set stays), or -1.</summary>
    public static int Choose(Vip vip, uint flowHash) => vip.Table is { } t ? vip.ServerIds[t[Maglev.Entry(flowHash, t.Length)]] : -1;

    /// <summary>
    /// The server a new IPv4 flow goes to, or -1: by the flow's hash; with client affinity the client's server
    /// (<see cref="LbAffinity"/>), or the one its address alone picks.
    /// </summary>
    public int Pick4(Vip vip, in FlowKey4 key, long now) => vip.Config.ClientAffinity is null
        ? Choose(vip, key.Hash(MaglevSeed))
        : Affinity.Choose(vip, Ip6.Mapped(key.Source), Choose(vip, new FlowKey4(key.Source, 0, 0, 0, 0).Hash(MaglevSeed)), now);

    /// <summary>The same for an IPv6 flow.</summary>
    public int Pick6(Vip vip, in FlowKey6 key, long now) => vip.Config.ClientAffinity is null
        ? Choose(vip, key.Hash(MaglevSeed))
        : Affinity.Choose(vip, key.Source, Choose(vip, new FlowKey6(key.Source, 0, 0, 0, 0).Hash(MaglevSeed)), now);

    /// <summary>For NAT VIPs: the worker of a packet by its client's endpoint (see the remarks on the type); false: not NAT load balancer traffic.</summary>
    public bool TrySteer(in FlowKey4 key, out int worker)
    {
        worker = 0;
        if (_natVipEndpoints.Contains(new NatEndpoint(key.Destination, key.Protocol, key.DestinationPort))
            || _natVipEndpoints.Contains(new NatEndpoint(key.Destination, 0, 0))
            || _natServerEndpoints.Contains(new NatEndpoint(key.Destination, key.Protocol, key.DestinationPort)))
            worker = FlowHash.Pick(FlowHash.OfTuple(0, 0, key.SourcePort, 0, key.Protocol), Workers);
        else if (_natServerEndpoints.Contains(new NatEndpoint(key.Source, key.Protocol, key.SourcePort)))
            worker = FlowHash.Pick(FlowHash.OfTuple(0, 0, key.DestinationPort, 0, key.Protocol), Workers);
        else return false;
        return true;
    }

    /// <summary><see cref="TrySteer"/> for IPv6 NAT VIPs: by the client's port and protocol.</summary>
    public bool TrySteer6(in FlowKey6 key, out int worker)
    {
        worker = 0;
        if (_natVipEndpoints6.Contains((key.Destination, key.Protocol, key.DestinationPort)) || _natServerEndpoints6.Contains((key.Destination, key.Protocol, key.DestinationPort)))
            worker = FlowHash.Pick(FlowHash.OfTuple(0, 0, key.SourcePort, 0, key.Protocol), Workers);
        else if (_natServerEndpoints6.Contains((key.Source, key.Protocol, key.SourcePort)))
            worker = FlowHash.Pick(FlowHash.OfTuple(0, 0, key.DestinationPort, 0, key.Protocol), Workers);
        else return false;
        return true;
    }

    public static string Format(UInt128 address) => Ip6.IsMapped(address) ? Ip4.Format((uint)address) : Ip6.Format(address);
}
