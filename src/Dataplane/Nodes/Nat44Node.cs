using System.Runtime.CompilerServices;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Nat;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// NAT44 on the packets an inside (nat44-in2out) or outside (nat44-out2in) interface received, after its input ACL
/// and before ip4-lookup. A packet of a known session is rewritten to the session's other key reversed. A new flow
/// from inside gets a session when it will leave by an outside interface (its source translated) or goes to a
/// static mapping's external endpoint (hairpinning: both translated); a new flow from outside gets one when it
/// goes to a static mapping's external endpoint (DNAT). Outside packets to a pool address without a session are
/// dropped; everything else passes untranslated.
/// </summary>
/// <remarks>
/// The vector is looked up at once (<see cref="SessionTable{TKey}.FindMany"/>: a table of a million sessions is out
/// of cache). ICMP errors are matched by the flow they report on and translated inside and out; they do not
/// refresh the session. Fragments after the first have no ports: they follow their first fragment's translation
/// (<see cref="NatFragments"/>), and one that comes before its first waits for it (up to 64 per node, 2 s).
/// </remarks>
internal sealed class Nat44Node(Worker w, bool inside) : GraphNode(inside ? "nat44-in2out" : "nat44-out2in")
{
    private readonly FlowSlice _slice = new();

    // Later fragments that came before their first (VPP's virtual reassembly keeps them too): released when the
    // first has been translated (by any worker: the record is shared), dropped after the fragments' lifetime.
    private const int HeldAtMost = 64;
    private readonly List<(int Packet, long Since)> _held = new(HeldAtMost);

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var nat = w.Dataplane.Nat;
        var state = w.NatSessions;
        if (nat is null || state is null)
        {
            foreach (var p in packets) w.Graph.Enqueue(w.Lookup, p); // NAT removed while these were on their way
            foreach (var (p, _) in _held) w.Discard(p, DropReason.NatFragment);
            _held.Clear();
            return;
        }
        var now = Environment.TickCount64;
        state.Table.Expire(now);
        // In slices: a slice's packets, index slots and sessions stay in the first-level cache from the lookup to the rewrite.
        for (var start = 0; start < packets.Length; start += FlowSlice.Size)
            Translate(packets.Slice(start, Math.Min(FlowSlice.Size, packets.Length - start)), nat, state, now);
        if (_held.Count > 0) Release(nat, state, now);
    }

    /// <summary>Releases held fragments whose first was translated since (by any worker), between vectors.</summary>
    public void ReleaseHeld()
    {
        if (_held.Count == 0) return;
        if (w.Dataplane.Nat is { } nat && w.NatSessions is { } state) Release(nat, state, Environment.TickCount64);
        else
        {
            foreach (var (p, _) in _held) w.Discard(p, DropReason.NatFragment);
            _held.Clear();
        }
    }

    // The held fragments whose first was translated since go on as it did; those held too long are dropped.
    private void Release(Nat44 nat, Nat44Sessions state, long now)
    {
        for (var i = _held.Count - 1; i >= 0; i--)
        {
            var (p, since) = _held[i];
            var ip = w.Pool.Data(p);
            if (nat.Fragments.TryFind(ip, now, out _, out var source, out var destination))
            {
                NatPacket.RewriteAddresses(ip, source, destination);
                if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"held fragment -> {Ip4.Format(source)} -> {Ip4.Format(destination)}");
                if (inside) state.InToOut++;
                else state.OutToIn++;
                w.Graph.Enqueue(w.Lookup, p);
            }
            else if (now - since > NatFragments.LifetimeMs) w.Discard(p, DropReason.NatFragment);
            else continue;
            _held.RemoveAt(i);
        }
    }

    private void Translate(ReadOnlySpan<int> packets, Nat44 nat, Nat44Sessions state, long now)
    {
        var pool = w.Pool;
        var meta = pool.Meta;
        var graph = w.Graph;
        var lookup = w.Lookup;
        var table = state.Table;
        var slice = _slice;
        slice.Load(pool, packets, table);
        var generation = nat.Generation;
        var n = packets.Length;
        var keys = slice.Keys.AsSpan(0, n);
        var kinds = slice.Kinds.AsSpan(0, n);
        var sessions = slice.Sessions.AsSpan(0, n);
        var replies = slice.Replies.AsSpan(0, n);
        var flags = slice.Flags.AsSpan(0, n);
        var l4 = slice.L4.AsSpan(0, n);
        var translated = 0;
        for (var i = 0; i < n; i++)
        {
            var p = packets[i];
            slice.Refresh(i, table, null, now);
            var s = sessions[i];
            // The common case, kept lean: a packet with ports of a live session, translated as the session says.
            if (s >= 0 && kinds[i] == NatPacketKind.Flow && !meta[p].Traced)
            {
                if (table.Refresh(s, replies[i], true, flags[i], now, out var other, out var checkedBy)
                    && ((int)checkedBy == generation || Revalidate(nat, state, s, generation)))
                {
                    var ip = pool.Data(p);
                    var to = other.Reversed;
                    if (NatPacket.MoreFragments(ip)) nat.Fragments.Record(ip, to.Source, to.Destination, w.Index, now); // a first fragment: for the rest
                    NatPacket.RewriteFlow(ip, l4[i], keys[i], to);
                    graph.Enqueue(lookup, p);
                    translated++;
                    continue;
                }
                table.Remove(s); // idle past its timeout (the sweep had not reached it), or no longer what the configuration says
                sessions[i] = -1;
            }
            TranslateOther(i, p, nat, state, now);
        }
        if (inside) state.InToOut += translated;
        else state.OutToIn += translated;
    }

    // Every other packet: ICMP errors, fragments, traced packets, new flows.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TranslateOther(int i, int p, Nat44 nat, Nat44Sessions state, long now)
    {
        var (pool, graph, lookup, table, slice) = (w.Pool, w.Graph, w.Lookup, state.Table, _slice);
        var meta = pool.Meta;
        var generation = nat.Generation;
        var kind = slice.Kinds[i];
        if (kind == NatPacketKind.Truncated)
        {
            w.Discard(p, DropReason.Ip4Malformed);
            return;
        }
        ref var key = ref slice.Keys[i];
        if (kind == NatPacketKind.Fragment && nat.Fragments.TryFind(pool.Data(p), now, out _, out var fragmentSource, out var fragmentDestination))
        {
            // A later fragment of a packet whose first fragment was translated: the same addresses.
            NatPacket.RewriteAddresses(pool.Data(p), fragmentSource, fragmentDestination);
            if (meta[p].Traced) w.Trace(p, Name, $"fragment -> {Ip4.Format(fragmentSource)} -> {Ip4.Format(fragmentDestination)}");
            if (inside) state.InToOut++;
            else state.OutToIn++;
            graph.Enqueue(lookup, p);
            return;
        }
        var s = slice.Sessions[i];
        var reply = slice.Replies[i];
        FlowKey4 other = default;
        if (s >= 0 && (!table.Refresh(s, reply, kind != NatPacketKind.IcmpError, slice.Flags[i], now, out other, out var checkedBy)
            || (int)checkedBy != generation && !Revalidate(nat, state, s, generation)))
        {
            table.Remove(s); // idle past its timeout (the sweep had not reached it), or no longer what the configuration says
            s = -1;
        }
        if (s < 0)
        {
            var verdict = inside ? NewFromInside(nat, state, p, key, kind, now, out s) : NewFromOutside(nat, state, p, key, kind, now, out s);
            if (verdict == Verdict.Pass)
            {
                if (meta[p].Traced) w.Trace(p, Name, $"{key}: not translated");
                graph.Enqueue(lookup, p);
                return;
            }
            if (verdict == Verdict.Fragment && _held.Count < HeldAtMost)
            {
                if (meta[p].Traced) w.Trace(p, Name, $"{Ip4.Format(key.Source)} -> {Ip4.Format(key.Destination)}: a fragment before its first, held");
                _held.Add((p, now));
                return;
            }
            if (verdict != Verdict.Translate)
            {
                if (meta[p].Traced) w.Trace(p, Name, $"{key}: {verdict}");
                w.Discard(p, verdict switch
                {
                    Verdict.NoSession => DropReason.NatNoSession,
                    Verdict.Fragment => DropReason.NatFragment,
                    Verdict.Unsupported => DropReason.NatUnsupported,
                    _ => DropReason.NatNoTranslation,
                });
                return;
            }
            reply = false;
            other = table.Reverse(s);
        }
        var to = other.Reversed;
        if (kind == NatPacketKind.IcmpError) state.IcmpErrors++;
        if (inside) state.InToOut++;
        else state.OutToIn++;
        if (meta[p].Traced) w.Trace(p, Name, $"{key} -> {to}{(kind == NatPacketKind.IcmpError ? " (ICMP error)" : "")}");
        if (kind == NatPacketKind.Flow && NatPacket.MoreFragments(pool.Data(p)))
            nat.Fragments.Record(pool.Data(p), to.Source, to.Destination, w.Index, now); // a first fragment: for the rest
        NatPacket.Rewrite(pool.Data(p), kind, slice.L4[i], key, to);
        graph.Enqueue(lookup, p);
    }

    private enum Verdict : byte { Translate, Pass, NoSession, NoTranslation, Fragment, Unsupported }

    private Verdict NewFromInside(Nat44 nat, Nat44Sessions state, int p, in FlowKey4 key, NatPacketKind kind, long now, out int session)
    {
        session = -1;
        if (kind == NatPacketKind.IcmpError) return Verdict.Pass; // about a flow NAT did not translate
        // To a static mapping's external endpoint: hairpinned back inside, the source translated too so that the
        // inside server's reply comes back through here (RFC 4787 REQ-9).
        var mapping = kind == NatPacketKind.Fragment ? null : nat.ByExternal(key.Destination, key.Protocol, key.DestinationPort);
        if (mapping is null && !LeavesOutside(p, key))
            return kind == NatPacketKind.Fragment && (nat.InPool(key.Destination) || nat.Answers(key.Destination)) ? Verdict.Fragment : Verdict.Pass;
        if (kind == NatPacketKind.Fragment)
        {
            state.Fragments++;
            return Verdict.Fragment;
        }
        var destination = mapping?.Local ?? key.Destination;
        var destinationPort = mapping is { IsPortMapping: true } ? mapping.LocalPort : key.DestinationPort;
        if (!state.TryPickSource(nat, key, destination, destinationPort, kind == NatPacketKind.Flow, out var source, out var port))
        {
            if (kind == NatPacketKind.Other && nat.ByLocal(key.Source, 0, 0) is null)
            {
                state.Unsupported++;
                return Verdict.Unsupported; // no ports to translate by, no 1:1 mapping
            }
            state.NoPorts++;
            return Verdict.NoTranslation;
        }
        var translated = key.Protocol == Ip4.ProtoIcmp && kind == NatPacketKind.Flow
            ? new FlowKey4(source, destination, port, port, key.Protocol)
            : new FlowKey4(source, destination, port, destinationPort, key.Protocol);
        if (mapping is not null) state.Hairpinned++;
        return Open(state, key, translated, now, p, out session);
    }

    private Verdict NewFromOutside(Nat44 nat, Nat44Sessions state, int p, in FlowKey4 key, NatPacketKind kind, long now, out int session)
    {
        session = -1;
        var mapping = kind is NatPacketKind.Flow or NatPacketKind.Other ? nat.ByExternal(key.Destination, key.Protocol, key.DestinationPort) : null;
        if (mapping is null)
        {
            // A pool address that is not also the router's own (masquerading): nothing there without a session.
            var destination = kind == NatPacketKind.IcmpError ? Ip4.Destination(w.Pool.Data(p)) : key.Destination;
            if (!nat.InPool(destination) || IsLocal(p, destination)) return Verdict.Pass;
            if (kind == NatPacketKind.Fragment)
            {
                state.Fragments++;
                return Verdict.Fragment;
            }
            state.NoSession++;
            return Verdict.NoSession;
        }
        if (kind == NatPacketKind.Fragment)
        {
            state.Fragments++;
            return Verdict.Fragment;
        }
        var port = mapping.IsPortMapping ? mapping.LocalPort : key.DestinationPort;
        var translated = key.Protocol == Ip4.ProtoIcmp ? new FlowKey4(key.Source, mapping.Local, port, port, key.Protocol)
            : new FlowKey4(key.Source, mapping.Local, key.SourcePort, port, key.Protocol);
        return Open(state, key, translated, now, p, out session);
    }

    private Verdict Open(Nat44Sessions state, in FlowKey4 key, in FlowKey4 translated, long now, int p, out int session)
    {
        var flags = key.Protocol == Ip4.ProtoTcp ? w.Pool.Data(p)[Ip4.HeaderLength(w.Pool.Data(p)) + 13] : (byte)0;
        session = state.Table.Create(key, translated.Reversed, now, flags, (ulong)(uint)w.Dataplane.Nat!.Generation);
        if (session >= 0) return Verdict.Translate;
        state.NoPorts++;
        return Verdict.NoTranslation; // the table is full (counted as refused there) or the reply key was taken meanwhile
    }

    private static bool Revalidate(Nat44 nat, Nat44Sessions state, int session, int generation)
    {
        if (!state.StillValid(nat, session)) return false;
        state.Table.Payload(session) = (ulong)(uint)generation;
        return true;
    }

    // Where the packet's table sends it: by an outside interface? (a new flow's question only)
    private bool LeavesOutside(int p, in FlowKey4 key)
    {
        var a = Decide(p, key.Destination);
        return a.Kind is RouteKind.Connected or RouteKind.NextHop && w.Interface(a.Interface)?.NatRole == NatRole.Outside;
    }

    private bool IsLocal(int p, uint destination) => Decide(p, destination).Kind == RouteKind.Local;

    private Adjacency Decide(int p, uint destination)
    {
        if (w.TableOf(w.Pool.Meta[p], out _)?.Fib4 is not { } fib) return default;
        var a = fib.Lookup(destination);
        return a.Kind == RouteKind.Multipath ? fib.Paths.Pick(a.PathSet, FlowHash.OfIp4(w.Pool.Data(p))) : a;
    }
}
