using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.LoadBalancing;
using Mgmt.Dataplane.Nat;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// The load balancer for IPv4 packets (lb4), after ip4-input and the input ACL, before NAT44 and the lookup (VPP's
/// LB as a node ahead of the FIB). A packet of a known flow goes to the flow's server; a new flow to a VIP gets its
/// server from the VIP's Maglev table and a flow that keeps it (the sticky table). To the server: in GRE or IP in
/// IPv4/IPv6 from the configured source, by L3 DSR (destination and DSCP rewritten), or by NAT (destination and
/// port rewritten, and the server's replies, which come back through here, rewritten to come from the VIP). A VIP
/// without a server that takes new flows drops them, or in NAT mode refuses them: a TCP reset, or ICMP port
/// unreachable for UDP (kube-proxy's reject). Other packets go on untouched.
/// </summary>
internal sealed class Lb4Node(Worker w) : GraphNode("lb4")
{
    private readonly FlowSlice _slice = new();
    private ushort _id;

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var lb = w.Dataplane.Lb;
        var flows = w.LbFlows;
        if (lb is null || flows is null)
        {
            foreach (var p in packets) w.Graph.Enqueue(Next(p), p); // turned off while these were on their way
            return;
        }
        var now = Environment.TickCount64;
        flows.Expire4(now);
        for (var start = 0; start < packets.Length; start += FlowSlice.Size)
            Balance(packets.Slice(start, Math.Min(FlowSlice.Size, packets.Length - start)), lb, flows, now);
    }

    // Where a packet the load balancer leaves alone goes: NAT44 of its interface's side, or the lookup.
    private GraphNode Next(int p) => w.Interface(w.Pool.Meta[p].RxInterface) is { } itf ? w.AfterLb4(itf) : w.Lookup;

    private void Balance(ReadOnlySpan<int> packets, LoadBalancer lb, LbFlows flows, long now)
    {
        var pool = w.Pool;
        var meta = pool.Meta;
        var sticky = flows.Sticky4;
        var slice = _slice;
        slice.Load(pool, packets, flows.Four, sticky, now);
        var n = packets.Length;
        var kinds = slice.Kinds.AsSpan(0, n);
        var entries = slice.Entries.AsSpan(0, n);
        var sessions = slice.Sessions.AsSpan(0, n);
        var replies = slice.Replies.AsSpan(0, n);
        var keys = slice.Keys.AsSpan(0, n);
        var flags = slice.Flags.AsSpan(0, n);
        var l4 = slice.L4.AsSpan(0, n);
        int forwarded = 0, returned = 0;
        var four = flows.Four;
        for (var i = 0; i < n; i++)
        {
            var p = packets[i];
            slice.Refresh(i, four, sticky, now);
            // The common cases, kept lean: a client's packet of a flow to an IPv4 tunnel or L3 DSR mode's server, and a
            // packet of either direction of a NAT mode's flow (not a first fragment: its followers need a record).
            if (kinds[i] != NatPacketKind.Flow || meta[p].Traced)
            {
                BalanceOther(i, p, lb, flows, now);
                continue;
            }
            var e = entries[i];
            if (e >= 0)
            {
                var pair = flows.PairOf(sticky!.Target(e));
                var vip = lb.BySerial(LbFlows.VipOf(pair));
                if (vip is { Outer4: true })
                {
                    sticky.Touch(e, keys[i].Protocol, flags[i], now);
                    if (Encapsulate4(p, vip, LbFlows.ServerOf(pair), lb, now)) forwarded++;
                    continue;
                }
                if (vip is { Config.Mode: LbMode.L3Dsr } && !NatPacket.MoreFragments(pool.Data(p)))
                {
                    // L3 DSR: the destination becomes the server's, DSCP the VIP's.
                    sticky.Touch(e, keys[i].Protocol, flags[i], now);
                    var server = LbFlows.ServerOf(pair);
                    var address = (uint)lb.Registry.Servers[server];
                    ref readonly var key = ref keys[i];
                    var ip = pool.Data(p);
                    NatPacket.RewriteFlow(ip, l4[i], key, new FlowKey4(key.Source, address, key.SourcePort, key.DestinationPort, key.Protocol));
                    SetDscp(ip, vip.Config.Dscp);
                    forwarded++;
                    _routes.Send4(p, ref meta[p], server, address);
                    continue;
                }
            }
            else if (sessions[i] is var s and >= 0 && !NatPacket.MoreFragments(pool.Data(p))
                && lb.BySerial(LbFlows.VipOf(four!.Payload(s))) is { Config.Mode: LbMode.Nat or LbMode.FullNat }
                && four.Refresh(s, replies[i], true, flags[i], now, out var other, out var payload))
            {
                var to = other.Reversed;
                NatPacket.RewriteFlow(pool.Data(p), l4[i], keys[i], to);
                if (replies[i])
                {
                    returned++;
                    w.Graph.Enqueue(w.Lookup, p); // back to the client: from the VIP
                }
                else
                {
                    forwarded++;
                    _routes.Send4(p, ref meta[p], LbFlows.ServerOf(payload), to.Destination);
                }
                continue;
            }
            BalanceOther(i, p, lb, flows, now);
        }
        flows.Forwarded += forwarded;
        flows.Returned += returned;
    }

    // GRE or IP in IPv4 to the server, for the lean path.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Encapsulate4(int p, LoadBalancer.Vip vip, int server, LoadBalancer lb, long now)
    {
        ref var m = ref w.Pool.Meta[p];
        var overhead = vip.Gre ? Ip4.MinHeaderLength + 4 : Ip4.MinHeaderLength;
        if (m.Offset < overhead + Ethernet.HeaderLength)
        {
            w.Discard(p, DropReason.NoBuffer);
            return false;
        }
        m.Offset -= overhead;
        m.Length += overhead;
        var h = w.Pool.Data(p);
        Encapsulation.Write4(h, overhead, vip.Gre, lb.Config.Ip4Source, (uint)lb.Registry.Servers[server], _id++);
        if (NatPacket.MoreFragments(h[overhead..])) lb.Fragments.Sent.Record(h[overhead..], (uint)vip.Serial, (uint)server, w.Index, now); // the rest follow
        m.Originated = true; // the outer packet is the load balancer's own: its TTL starts at 64
        m.TunnelOverhead = (byte)overhead;
        _routes.Send4(p, ref m, server, (uint)lb.Registry.Servers[server]);
        return true;
    }


    private readonly ServerRoutes _routes = new(w);

    // A fragment after the first of a packet the load balancer handled: the same way as its first (false: not one).
    private bool FollowFirst(int p, LoadBalancer lb, LbFlows flows, in FlowKey4 key, int l4, long now)
    {
        var ip = w.Pool.Data(p);
        if (lb.Fragments.Translated.TryFind(ip, now, out _, out var source, out var destination))
        {
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"fragment -> {Ip4.Format(source)} -> {Ip4.Format(destination)}");
            NatPacket.RewriteAddresses(ip, source, destination);
            flows.Forwarded++;
            w.Graph.Enqueue(w.Lookup, p);
            return true;
        }
        if (lb.Fragments.Sent.TryFind(ip, now, out _, out var serial, out var server)
            && lb.BySerial((int)serial) is { } vip && server < (uint)lb.Registry.Servers.Length)
        {
            Forward(p, vip, lb.Registry.Servers[server], NatPacketKind.Fragment, l4, key, default, lb.Config);
            flows.Forwarded++;
            return true;
        }
        return false;
    }

    // Every other packet: new flows, replies, NAT modes, ICMP errors, fragments, traced packets.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void BalanceOther(int i, int p, LoadBalancer lb, LbFlows flows, long now)
    {
        var pool = w.Pool;
        var meta = pool.Meta;
        var graph = w.Graph;
        var table = flows.Four;
        var sticky = flows.Sticky4;
        var slice = _slice;
        var kind = slice.Kinds[i];
        ref var key = ref slice.Keys[i];
        if (kind == NatPacketKind.Fragment && FollowFirst(p, lb, flows, key, slice.L4[i], now)) return;
        var s = slice.Sessions[i];
        var reply = slice.Replies[i];
        LoadBalancer.Vip? vip = null;
        FlowKey4 other = default;
        var server = -1;
        if (slice.Entries[i] is var e and >= 0)
        {
            // A tunnel or DSR flow (ICMP errors about it go its way too); one whose VIP is gone or now in a NAT mode ends.
            var pair = flows.PairOf(sticky!.Target(e));
            vip = lb.BySerial(LbFlows.VipOf(pair));
            if (vip is null || vip.Config.Mode is LbMode.Nat or LbMode.FullNat)
            {
                sticky.Remove(e);
                vip = null;
            }
            else
            {
                if (kind != NatPacketKind.IcmpError) sticky.Touch(e, key.Protocol, slice.Flags[i], now);
                server = LbFlows.ServerOf(pair);
                s = -1; // a session of the same key (from before the VIP's mode changed) is not this packet's
            }
        }
        if (s >= 0 && table is not null)
        {
            if (!table.Refresh(s, reply, kind != NatPacketKind.IcmpError, slice.Flags[i], now, out other, out var payload)
                || (vip = lb.BySerial(LbFlows.VipOf(payload))) is null)
            {
                table.Remove(s); // idle past its timeout, or its VIP is gone
                s = -1;
                vip = null;
            }
            else server = LbFlows.ServerOf(payload);
        }
        if (s >= 0 && reply)
        {
            if (vip!.Config.Mode is not (LbMode.Nat or LbMode.FullNat))
            {
                graph.Enqueue(Next(p), p); // the tunnel modes never see replies: not the load balancer's
                return;
            }
            // A NAT flow's reply: from the VIP again.
            var to = other.Reversed;
            if (meta[p].Traced) w.Trace(p, Name, $"reply {key} -> {to}");
            if (kind == NatPacketKind.Flow && NatPacket.MoreFragments(pool.Data(p)))
                lb.Fragments.Translated.Record(pool.Data(p), to.Source, to.Destination, w.Index, now); // the rest follow
            NatPacket.Rewrite(pool.Data(p), kind, slice.L4[i], key, to);
            flows.Returned++;
            graph.Enqueue(w.Lookup, p);
            return;
        }
        if (s < 0 && server < 0)
        {
            if (kind == NatPacketKind.Fragment && (lb.IsVipAddress(key.Destination) || lb.Match4(key.Destination, key.Protocol, 0) is not null))
            {
                w.Discard(p, DropReason.LbFragment); // its first fragment was not seen (yet): its flow cannot be told
                return;
            }
            vip = kind is NatPacketKind.Flow or NatPacketKind.Other ? lb.Match4(key.Destination, key.Protocol, key.DestinationPort) : null;
            if (vip is null)
            {
                graph.Enqueue(Next(p), p);
                return;
            }
            server = lb.Pick4(vip, key, now);
            if (server < 0)
            {
                flows.NoServer++;
                if (meta[p].Traced) w.Trace(p, Name, $"{key}: VIP {vip.Config} has no server");
                if (vip.Config.Mode is not (LbMode.Nat or LbMode.FullNat)) w.Discard(p, DropReason.LbNoServer);
                else if (key.Protocol != Ip4.ProtoTcp) Ip4IcmpError.Send(w, p, 3, 3, DropReason.LbNoServer);
                else if (TcpReset.Answer4(pool.Data(p)) is var length and > 0)
                {
                    meta[p].Length = length; // the reset, from the VIP
                    meta[p].Originated = true;
                    graph.Enqueue(w.Lookup, p);
                }
                else w.Discard(p, DropReason.LbNoServer);
                return;
            }
            var address = lb.Registry.Servers[server];
            var nat = vip.Config.Mode is LbMode.Nat or LbMode.FullNat;
            // A client that is its own server (a pod reaching its own service) is answered through here only if
            // it appears to come from elsewhere: the receiving interface's address (kube-proxy's masquerade).
            var source = nat && key.Source == (uint)address && w.Interface(meta[p].RxInterface) is { Addresses: [var own, ..] } ? own.Address : key.Source;
            var sourcePort = key.SourcePort;
            var targetPort = vip.TargetPort(server, key.DestinationPort);
            if (vip.Config.Mode == LbMode.FullNat && !TryLocalEndpoint(lb, table!, key, (uint)address, targetPort, out source, out sourcePort))
            {
                w.Discard(p, DropReason.LbNoFlow); // every local port this worker owns is taken towards that server
                return;
            }
            // NAT mode keeps the client's port unless another flow's answers already come from that server endpoint
            // to it (the client's port to two VIPs of one server, or a hairpinned pod and another client): then a
            // port of its own, as conntrack resolves the clash.
            if (vip.Config.Mode == LbMode.Nat && table!.TryFind(new FlowKey4((uint)address, source, targetPort, sourcePort, key.Protocol), out _, out _)
                && !TryFreePort(lb, table, source, (uint)address, targetPort, key.Protocol, out sourcePort))
            {
                w.Discard(p, DropReason.LbNoFlow);
                return;
            }
            var translated = new FlowKey4(source, (uint)address, sourcePort, targetPort, key.Protocol);
            if (nat)
            {
                if (table!.Create(key, translated.Reversed, now, slice.Flags[i], LbFlows.Payload(vip.Serial, server)) < 0)
                {
                    w.Discard(p, DropReason.LbNoFlow); // the table is full: a NAT flow without its entry could not be answered
                    return;
                }
            }
            else if (flows.TargetOf(vip.Serial, server) is var target and >= 0)
                sticky!.Add(slice.StickyHashes[i], key.Protocol, slice.Flags[i], target, now); // full: sent on without a flow
            other = translated.Reversed;
        }
        if (kind == NatPacketKind.Flow && NatPacket.MoreFragments(pool.Data(p)))
        {
            // A first fragment: the rest follow it (FollowFirst).
            if (vip!.Config.Mode is LbMode.Nat or LbMode.FullNat)
                lb.Fragments.Translated.Record(pool.Data(p), other.Reversed.Source, other.Reversed.Destination, w.Index, now);
            else lb.Fragments.Sent.Record(pool.Data(p), (uint)vip.Serial, (uint)server, w.Index, now);
        }
        Forward(p, vip!, lb.Registry.Servers[server], kind, slice.L4[i], key, other.Reversed, lb.Config);
        flows.Forwarded++;
    }

    // To the server, by the VIP's mode; `translated` is the packet as NAT mode sends it.
    private void Forward(int p, LoadBalancer.Vip vip, UInt128 server, NatPacketKind kind, int l4, in FlowKey4 key, in FlowKey4 translated, LbConfig config)
    {
        ref var m = ref w.Pool.Meta[p];
        var mode = vip.Config.Mode;
        if (m.Traced) w.Trace(p, Name, $"{key}: VIP {vip.Config} to {LoadBalancer.Format(server)}");
        switch (mode)
        {
            case LbMode.Nat or LbMode.FullNat:
                NatPacket.Rewrite(w.Pool.Data(p), kind, l4, key, translated);
                w.Graph.Enqueue(w.Lookup, p);
                return;
            case LbMode.L3Dsr:
            {
                var ip = w.Pool.Data(p);
                NatPacket.Rewrite(ip, kind, l4, key, new FlowKey4(key.Source, (uint)server, key.SourcePort, key.DestinationPort, key.Protocol));
                SetDscp(ip, vip.Config.Dscp);
                w.Graph.Enqueue(w.Lookup, p);
                return;
            }
            default:
            {
                var outer6 = vip.Outer6;
                var overhead = Encapsulation.Overhead(outer6, vip.Gre, key: false);
                if (m.Offset < overhead + Ethernet.HeaderLength)
                {
                    w.Discard(p, DropReason.NoBuffer);
                    return;
                }
                w.Pool.Advance(p, -overhead);
                Encapsulation.Write(w.Pool.Data(p), overhead, outer6, vip.Gre, null, outer6 ? config.Ip6Source : config.Ip4Source, outer6 ? server : (uint)server, _id++);
                m.Originated = true; // the outer packet is the load balancer's own: its TTL starts at 64
                m.TunnelOverhead = (byte)overhead;
                w.Graph.Enqueue(outer6 ? w.Lookup6 : w.Lookup, p);
                return;
            }
        }
    }

    // A full-NAT flow's source: a local address (the same for a client's flows) and a free port (TryFreePort).
    private bool TryLocalEndpoint(LoadBalancer lb, SessionTable<FlowKey4> table, in FlowKey4 key, uint server, ushort serverPort, out uint local, out ushort port)
    {
        var locals = lb.Config.LocalAddresses;
        local = locals[FreePorts.LocalFor(key.Source, locals.Count)];
        return TryFreePort(lb, table, local, server, serverPort, key.Protocol, out port);
    }

    // A source port for a translated flow from `source`: one whose answers the steering brings to this worker
    // (LoadBalancer.TrySteer goes by the port of the server's answer), and which no flow's answers from this server
    // endpoint use yet.
    private bool TryFreePort(LoadBalancer lb, SessionTable<FlowKey4> table, uint source, uint server, ushort serverPort, byte protocol, out ushort port) =>
        FreePorts.TryFind(_random, lb.Workers, w.Index, table, source, server, serverPort, protocol, out port);

    private readonly Random _random = new();

    // DSCP in the upper six bits of the type of service byte, ECN kept; the header checksum updated (RFC 1624).
    private static void SetDscp(Span<byte> ip, byte dscp)
    {
        var old = BinaryPrimitives.ReadUInt16BigEndian(ip);
        ip[1] = (byte)(dscp << 2 | ip[1] & 3);
        var now = BinaryPrimitives.ReadUInt16BigEndian(ip);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(ip[10..]), old, now));
    }
}

/// <summary>Source ports for translated flows (NAT mode's clashes, full NAT): a free one that steers to the worker.</summary>
internal static class FreePorts
{
    /// <summary>Which of <paramref name="count"/> local addresses a client's full-NAT flows come from (all of one client's from the same).</summary>
    public static int LocalFor(uint client, int count) => (int)((ulong)(client * 0x9e37_79b1u) * (uint)count >> 32);

    private const int First = 1024;

    /// <summary>
    /// A port for a flow from <paramref name="source"/> to a server endpoint, from a random start (1024 and up), whose
    /// answers the steering brings to <paramref name="worker"/> and which no flow's answers from that endpoint use.
    /// </summary>
    public static bool TryFind(Random random, int workers, int worker, SessionTable<FlowKey4> table, uint source, uint server, ushort serverPort, byte protocol, out ushort port) =>
        Search(random, workers, worker, protocol, new Answers4(table, source, server, serverPort, protocol), out port);

    /// <summary>The same for an IPv6 flow.</summary>
    public static bool TryFind(Random random, int workers, int worker, SessionTable<FlowKey6> table, UInt128 source, UInt128 server, ushort serverPort, byte protocol, out ushort port) =>
        Search(random, workers, worker, protocol, new Answers6(table, source, server, serverPort, protocol), out port);

    private interface IAnswers
    {
        bool Taken(ushort port);
    }

    // Struct probes: a new flow's search allocates nothing.
    private readonly struct Answers4(SessionTable<FlowKey4> table, uint source, uint server, ushort serverPort, byte protocol) : IAnswers
    {
        public bool Taken(ushort port) => table.TryFind(new FlowKey4(server, source, serverPort, port, protocol), out _, out _);
    }

    private readonly struct Answers6(SessionTable<FlowKey6> table, UInt128 source, UInt128 server, ushort serverPort, byte protocol) : IAnswers
    {
        public bool Taken(ushort port) => table.TryFind(new FlowKey6(server, source, serverPort, port, protocol), out _, out _);
    }

    private static bool Search<TAnswers>(Random random, int workers, int worker, byte protocol, TAnswers answers, out ushort port) where TAnswers : struct, IAnswers
    {
        var start = random.Next(65536 - First);
        for (var i = 0; i < 65536 - First; i++)
        {
            port = (ushort)(First + (start + i) % (65536 - First));
            if (workers > 1 && FlowHash.Pick(FlowHash.OfTuple(0, 0, port, 0, protocol), workers) != worker) continue;
            if (!answers.Taken(port)) return true;
            if (i > 4096) break; // crowded: give up rather than walk every port for each new flow
        }
        port = 0;
        return false;
    }
}

/// <summary>
/// The load balancer for IPv6 packets (lb6): IPv6 VIPs with the same Maglev tables and sticky flows as lb4, one
/// packet at a time: the tunnel modes (GRE or IP in IPv4/IPv6 to the server) and NAT mode (destination and port
/// rewritten, the server's replies rewritten to come from the VIP; a VIP without a server refuses: a TCP reset or
/// ICMPv6 port unreachable). Later fragments follow their first (LbFragments); ICMPv6 errors about NAT flows are translated.
/// </summary>
internal sealed class Lb6Node(Worker w) : GraphNode("lb6")
{
    private const byte NeighborSolicitation = 135;

    private ushort _id;
    private readonly Random _random = new();

    // A vector's packets as read in the first pass: the key, where the upper layer starts (-1: no ports to read, a
    // later fragment) and the key's hash for the sticky table (its bucket prefetched), for the second.
    private readonly FlowKey6[] _keys = new FlowKey6[Frame.Size];
    private readonly int[] _offsets = new int[Frame.Size];
    private readonly ulong[] _hashes = new ulong[Frame.Size];

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var lb = w.Dataplane.Lb;
        var flows = w.LbFlows;
        var now = Environment.TickCount64;
        if (flows is { HasSix: true }) flows.Six.Expire(now);
        if (flows is { HasSticky6: true }) flows.Sticky6.Expire(now);
        // Pass one reads every packet's key and prefetches its sticky bucket, so that the vector's misses overlap.
        var sticky = lb is not null && flows is not null && (flows.HasSticky6 || lb.HasTunnel6) ? flows.Sticky6 : null;
        for (var i = 0; i < packets.Length; i++)
        {
            var h = w.Pool.Data(packets[i]);
            if (!Ip6.UpperLayer(h, out var protocol, out var offset))
            {
                _offsets[i] = -1;
                continue;
            }
            ushort sport = 0, dport = 0;
            if (protocol is Ip4.ProtoTcp or Ip4.ProtoUdp && h.Length >= offset + 4)
            {
                sport = BinaryPrimitives.ReadUInt16BigEndian(h[offset..]);
                dport = BinaryPrimitives.ReadUInt16BigEndian(h[(offset + 2)..]);
            }
            _keys[i] = new FlowKey6(Ip6.Source(h), Ip6.Destination(h), sport, dport, protocol);
            _offsets[i] = offset;
            if (sticky is not null) _hashes[i] = sticky.Prepare(_keys[i]);
        }
        for (var i = 0; i < packets.Length; i++)
        {
            var p = packets[i];
            var h = w.Pool.Data(p);
            var offset = _offsets[i];
            if (lb is null || flows is null || offset < 0)
            {
                // A fragment after the first (no ports): as its first went, if the load balancer had it.
                if (lb is null || flows is null || !FollowFirst(p, h, lb, flows, now)) w.Graph.Enqueue(w.Lookup6, p);
                continue;
            }
            ref var key = ref _keys[i];
            var protocol = key.Protocol;
            if (protocol == Ip6.ProtoIcmp6 && lb.HasNat6 && flows.HasSix && TranslateError(p, h, offset, lb, flows.Six, now)) continue;
            if (protocol == Ip6.ProtoIcmp6 && h.Length > offset && h[offset] == NeighborSolicitation && lb.IsVipAddress6(Ip6.Destination(h)))
            {
                w.Graph.Enqueue(w.Local6, p); // a neighbor's reachability probe (RFC 4861 §7.3.3) of a VIP or local address: answered
                continue;
            }
            var flags = protocol == Ip4.ProtoTcp && h.Length >= offset + 14 ? h[offset + 13] : (byte)0;
            Balance(p, h, lb, flows, key, offset, flags, now, sticky is not null ? _hashes[i] : 0);
        }
    }

    // `hash`: the key's sticky table hash (pass one's), 0 without a sticky table.
    private void Balance(int p, Span<byte> h, LoadBalancer lb, LbFlows flows, in FlowKey6 key, int l4, byte flags, long now, ulong hash)
    {
        ref var m = ref w.Pool.Meta[p];
        LoadBalancer.Vip? vip = null;
        var server = -1;
        FlowKey6 other = default;
        var reply = false;
        // A tunnel flow (seen from the client only: a sticky entry), else a NAT flow's session, either direction.
        var sticky = flows.HasSticky6 || lb.HasTunnel6 ? flows.Sticky6 : null;
        if (sticky?.Find(hash, now) is { } e and >= 0)
        {
            var pair = flows.PairOf(sticky.Target(e));
            vip = lb.BySerial(LbFlows.VipOf(pair));
            if (vip is null || vip.Config.Mode is LbMode.Nat or LbMode.FullNat)
            {
                sticky.Remove(e); // its VIP is gone, or in a NAT mode now
                vip = null;
            }
            else
            {
                sticky.Touch(e, key.Protocol, flags, now);
                server = LbFlows.ServerOf(pair);
            }
        }
        var table = flows.HasSix || lb.HasNat6 ? flows.Six : null;
        if (server < 0 && table is not null && table.TryFind(key, out var s, out reply))
        {
            if (table.Refresh(s, reply, true, flags, now, out other, out var payload) && (vip = lb.BySerial(LbFlows.VipOf(payload))) is not null)
                server = LbFlows.ServerOf(payload);
            else
            {
                table.Remove(s);
                vip = null;
                reply = false;
            }
        }
        if (server >= 0 && reply)
        {
            if (vip!.Config.Mode is not (LbMode.Nat or LbMode.FullNat))
            {
                w.Graph.Enqueue(w.Lookup6, p); // the tunnel modes never see replies: not the load balancer's
                return;
            }
            // A NAT flow's reply: from the VIP again.
            if (m.Traced) w.Trace(p, Name, $"reply {Ip6.Format(key.Source)} -> {Ip6.Format(other.Source)}");
            RecordFirst(h, l4, lb.Fragments.Translated6, other.Destination, other.Source, now);
            NatPacket6.Rewrite(h, l4, key, other.Reversed);
            flows.Returned++;
            w.Graph.Enqueue(w.Lookup6, p);
            return;
        }
        var address = UInt128.Zero;
        if (server < 0)
        {
            vip = lb.Match6(key.Destination, key.Protocol, key.DestinationPort);
            if (vip is null)
            {
                w.Graph.Enqueue(w.Lookup6, p);
                return;
            }
            server = lb.Pick6(vip, key, now);
            if (server < 0)
            {
                flows.NoServer++;
                if (vip.Config.Mode is not (LbMode.Nat or LbMode.FullNat)) w.Discard(p, DropReason.LbNoServer);
                else if (key.Protocol != Ip4.ProtoTcp) Ip6IcmpError.Send(w, p, 1, 4, DropReason.LbNoServer); // port unreachable
                else if (TcpReset.Answer6(h, l4) is var length and > 0)
                {
                    m.Length = length; // the reset, from the VIP
                    m.Originated = true;
                    w.Graph.Enqueue(w.Lookup6, p);
                }
                else w.Discard(p, DropReason.LbNoServer);
                return;
            }
            address = lb.Registry.Servers[server];
            if (vip.Config.Mode is LbMode.Nat or LbMode.FullNat)
            {
                if (!OpenNat(p, lb, flows.Six, key, vip, server, address, flags, now, out other)) return;
            }
            else if (flows.TargetOf(vip.Serial, server) is var target and >= 0)
                flows.Sticky6.Add(hash, key.Protocol, flags, target, now); // full: sent on without a flow
        }
        else address = lb.Registry.Servers[server];
        if (vip!.Config.Mode is LbMode.Nat or LbMode.FullNat)
        {
            if (m.Traced) w.Trace(p, Name, $"{Ip6.Format(key.Source)} -> VIP {vip.Config} to {LoadBalancer.Format(address)}");
            RecordFirst(h, l4, lb.Fragments.Translated6, other.Destination, other.Source, now);
            if (!NatPacket6.Rewrite(h, l4, key, other.Reversed))
            {
                w.Discard(p, DropReason.Ip6Malformed);
                return;
            }
            flows.Forwarded++;
            w.Graph.Enqueue(w.Lookup6, p);
            return;
        }
        RecordFirst(h, l4, lb.Fragments.Sent6, (UInt128)(uint)vip.Serial, (UInt128)(uint)server, now);
        Encapsulate(p, lb, vip, server, address, flows);
    }

    // To the server in GRE or IP in IPv4/IPv6.
    private void Encapsulate(int p, LoadBalancer lb, LoadBalancer.Vip vip, int server, UInt128 address, LbFlows flows)
    {
        ref var m = ref w.Pool.Meta[p];
        var outer6 = vip.Outer6;
        var overhead = Encapsulation.Overhead(outer6, vip.Gre, key: false);
        if (m.Offset < overhead + Ethernet.HeaderLength)
        {
            w.Discard(p, DropReason.NoBuffer);
            return;
        }
        if (m.Traced) w.Trace(p, Name, $"VIP {vip.Config} to {LoadBalancer.Format(address)}");
        w.Pool.Advance(p, -overhead);
        var source = outer6 ? lb.Config.Ip6Source : lb.Config.Ip4Source;
        Encapsulation.Write(w.Pool.Data(p), overhead, outer6, vip.Gre, null, source, outer6 ? address : (uint)address, _id++);
        m.Originated = true;
        m.TunnelOverhead = (byte)overhead;
        flows.Forwarded++;
        if (outer6) _routes.Send6(p, ref m, server, address);
        else _routes.Send4(p, ref m, server, (uint)address);
    }

    private readonly ServerRoutes _routes = new(w);

    // A first fragment (offset 0, more to come; only packets with extension headers can be one): how it went, for the rest.
    private static void RecordFirst(ReadOnlySpan<byte> h, int l4, Fragments6 table, UInt128 a, UInt128 b, long now)
    {
        if (l4 == Ip6.HeaderLength) return;
        var at = Ip6.FragmentHeader(h);
        if (at >= 0 && Ip6.FragmentOffset(h, at) == 0 && Ip6.MoreFragments(h, at)) table.Record(Ip6.Source(h), Ip6.Destination(h), Ip6.FragmentId(h, at), a, b, now);
    }

    // A later fragment: the addresses its first was translated to, or its first's server; dropped when it is to a
    // VIP whose first was not seen (false: not the load balancer's).
    private bool FollowFirst(int p, Span<byte> h, LoadBalancer lb, LbFlows flows, long now)
    {
        var at = Ip6.FragmentHeader(h);
        if (at < 0 || Ip6.FragmentOffset(h, at) == 0) return false;
        var (source, destination, id) = (Ip6.Source(h), Ip6.Destination(h), Ip6.FragmentId(h, at));
        if (lb.Fragments.Translated6.TryFind(source, destination, id, now, out var newSource, out var newDestination))
        {
            // No transport header here: the addresses only (IPv6 has no header checksum).
            BinaryPrimitives.WriteUInt128BigEndian(h[8..], newSource);
            BinaryPrimitives.WriteUInt128BigEndian(h[24..], newDestination);
            flows.Forwarded++;
            w.Graph.Enqueue(w.Lookup6, p);
            return true;
        }
        if (lb.Fragments.Sent6.TryFind(source, destination, id, now, out var serial, out var server)
            && lb.BySerial((int)(uint)serial) is { } vip && (uint)server < (uint)lb.Registry.Servers.Length)
        {
            Encapsulate(p, lb, vip, (int)(uint)server, lb.Registry.Servers[(int)(uint)server], flows);
            return true;
        }
        if (!lb.IsVipAddress6(destination)) return false;
        w.Discard(p, DropReason.LbFragment);
        return true;
    }

    // An ICMPv6 error (destination unreachable, packet too big, time exceeded, parameter problem) about a NAT flow's
    // packet: the packet it quotes becomes the one its endpoint sent (that flow's other side), the outer address that
    // was the flow's moves with it (a router on the way keeps its own), the ICMPv6 checksum is summed afresh; so the
    // client learns its path MTU through the VIP and the server through the load balancer. False: not such an error.
    private bool TranslateError(int p, Span<byte> h, int l4, LoadBalancer lb, SessionTable<FlowKey6> table, long now)
    {
        var end = Math.Min(h.Length, Ip6.HeaderLength + Ip6.PayloadLength(h));
        if (end < l4 + 8 + Ip6.HeaderLength + 4 || h[l4] is not (1 or 2 or 3 or 4)) return false;
        var inner = h[(l4 + 8)..end];
        if (inner[0] >> 4 != 6 || !Ip6.UpperLayer(inner, out var protocol, out var innerL4) || protocol is not (Ip4.ProtoTcp or Ip4.ProtoUdp)
            || inner.Length < innerL4 + 4)
            return false;
        var reported = new FlowKey6(Ip6.Source(inner), Ip6.Destination(inner), BinaryPrimitives.ReadUInt16BigEndian(inner[innerL4..]),
            BinaryPrimitives.ReadUInt16BigEndian(inner[(innerL4 + 2)..]), protocol);
        var key = reported.Reversed; // the error travels against the packet it reports on
        if (!table.TryFind(key, out var s, out var reply) || !table.IsLive(s, now)
            || lb.BySerial(LbFlows.VipOf(table.Payload(s))) is not { Config.Mode: LbMode.Nat or LbMode.FullNat })
            return false;
        var to = (reply ? table.Forward(s) : table.Reverse(s)).Reversed;
        if (!NatPacket6.Rewrite(inner, innerL4, reported, to.Reversed)) return false;
        var source = Ip6.Source(h);
        var destination = Ip6.Destination(h);
        BinaryPrimitives.WriteUInt128BigEndian(h[8..], source == key.Source ? to.Source : source);
        BinaryPrimitives.WriteUInt128BigEndian(h[24..], destination == key.Destination ? to.Destination : destination);
        var icmp = h[l4..end];
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Ip6.UpperChecksum(h, icmp, Ip6.ProtoIcmp6));
        if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"ICMPv6 error about {Ip6.Format(reported.Source)} -> {Ip6.Format(reported.Destination)}: to {Ip6.Format(to.Destination)}");
        w.Graph.Enqueue(w.Lookup6, p);
        return true;
    }

    // A NAT flow's session: to the server's target port, from the client (or, for a client that is its own server,
    // the receiving interface's address), with a port of its own when another flow's answers already use the client's.
    // Full NAT: from a local address (the same for a client's flows) and a free port whose answers steer here.
    private bool OpenNat(int p, LoadBalancer lb, SessionTable<FlowKey6> table, in FlowKey6 key, LoadBalancer.Vip vip, int server, UInt128 address, byte flags, long now, out FlowKey6 other)
    {
        other = default;
        var full = vip.Config.Mode == LbMode.FullNat;
        var locals = lb.Config.LocalAddresses6;
        var source = full ? locals[FreePorts.LocalFor(Fold(key.Source), locals.Count)]
            : key.Source == address && w.Interface(w.Pool.Meta[p].RxInterface) is { Addresses6: [var own, ..] } ? own.Address : key.Source;
        var sourcePort = key.SourcePort;
        var target = vip.TargetPort(server, key.DestinationPort);
        var protocol = key.Protocol;
        if ((full || table.TryFind(new FlowKey6(address, source, target, sourcePort, protocol), out _, out _))
            && !FreePorts.TryFind(_random, lb.Workers, w.Index, table, source, address, target, protocol, out sourcePort))
        {
            w.Discard(p, DropReason.LbNoFlow);
            return false;
        }
        var translated = new FlowKey6(source, address, sourcePort, target, protocol);
        if (table.Create(key, translated.Reversed, now, flags, LbFlows.Payload(vip.Serial, server)) < 0)
        {
            w.Discard(p, DropReason.LbNoFlow); // the table is full: a NAT flow without its entry could not be answered
            return false;
        }
        other = translated.Reversed;
        return true;
    }

    private static uint Fold(UInt128 a) => (uint)(a ^ a >> 32 ^ a >> 64 ^ a >> 96);
}
