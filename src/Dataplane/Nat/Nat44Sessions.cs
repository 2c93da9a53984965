using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Nat;

/// <summary>
/// One worker's NAT44 sessions and counters, and the choice of a new flow's external endpoint. A session's forward
/// key is its first packet as it arrived, its reverse key the reply as it will arrive; a packet matching one is
/// rewritten to the other reversed, so the session needs nothing else (its payload holds the configuration
/// generation it was checked against).
/// </summary>
internal sealed class Nat44Sessions(int worker, int capacity, Acl.SessionTimeouts timeouts)
{
    private readonly Random _random = new();

    public SessionTable<FlowKey4> Table { get; } = new(capacity, timeouts);

    public long InToOut, OutToIn, Hairpinned, IcmpErrors, NoSession, NoPorts, Fragments, Unsupported;

    /// <summary>
    /// The external source for a new flow from inside with key <paramref name="flow"/> going to
    /// <paramref name="destination"/>:<paramref name="destinationPort"/> after translation: the static mapping of
    /// its source if it has one, else a pool address (the same one for every flow of an inside host, RFC 4787
    /// REQ-2) and a port of this worker's slice, the source port itself when it is free there (port preservation).
    /// False when every candidate's reply key is taken.
    /// </summary>
    public bool TryPickSource(Nat44 nat, in FlowKey4 flow, uint destination, ushort destinationPort, bool ported, out uint source, out ushort port)
    {
        if (nat.ByLocal(flow.Source, flow.Protocol, flow.SourcePort) is { } m)
        {
            source = m.External;
            port = m.IsPortMapping ? m.ExternalPort : flow.SourcePort;
            return Free(nat, flow.Protocol, source, port, destination, destinationPort, dynamic: false);
        }
        source = 0;
        port = 0;
        if (nat.Pool.Length == 0 || !ported) return false; // no pool, or no ports to share an address by
        source = nat.Pool[(int)((ulong)Mix(flow.Source) * (uint)nat.Pool.Length >> 32)];
        var first = nat.SliceStart(worker);
        var count = nat.PortsPerWorker;
        if (nat.OwnerOf(flow.SourcePort) == worker && Free(nat, flow.Protocol, source, flow.SourcePort, destination, destinationPort, dynamic: true))
        {
            port = flow.SourcePort;
            return true;
        }
        // Endpoint-dependent: a port is free for this destination when no session has this reply key; a bounded
        // walk from a random place in the slice.
        var start = _random.Next(count);
        for (var i = 0; i < Math.Min(count, 512); i++)
        {
            var candidate = (ushort)(first + (start + i) % count);
            if (Free(nat, flow.Protocol, source, candidate, destination, destinationPort, dynamic: true))
            {
                port = candidate;
                return true;
            }
        }
        return false;
    }

    // Whether replies to source:port from the destination would be this flow's alone (a port forward's external
    // port is never handed out dynamically).
    private bool Free(Nat44 nat, byte protocol, uint source, ushort port, uint destination, ushort destinationPort, bool dynamic)
    {
        if (dynamic && nat.ByExternal(source, protocol, port) is { IsPortMapping: true }) return false;
        var reply = protocol == Packets.Ip4.ProtoIcmp
            ? new FlowKey4(destination, source, port, port, protocol) // an echo's identifier is both ports
            : new FlowKey4(destination, source, destinationPort, port, protocol);
        return !Table.TryFind(reply, out _, out _);
    }

    /// <summary>
    /// Whether a session made under an older configuration still translates as this one would: its static
    /// mapping is still there, or its dynamic address still in the pool and its port in this worker's slice.
    /// </summary>
    public bool StillValid(Nat44 nat, int session)
    {
        var forward = Table.Forward(session);
        var translated = Table.Reverse(session).Reversed;
        if (translated.Source != forward.Source || translated.SourcePort != forward.SourcePort)
        {
            var ok = nat.ByLocal(forward.Source, forward.Protocol, forward.SourcePort) is { } m
                ? m.External == translated.Source && translated.SourcePort == (m.IsPortMapping ? m.ExternalPort : forward.SourcePort)
                : nat.InPool(translated.Source) && nat.OwnerOf(translated.SourcePort) == worker;
            if (!ok) return false;
        }
        if (translated.Destination != forward.Destination || translated.DestinationPort != forward.DestinationPort)
        {
            if (nat.ByExternal(forward.Destination, forward.Protocol, forward.DestinationPort) is not { } m) return false;
            if (m.Local != translated.Destination || translated.DestinationPort != (m.IsPortMapping ? m.LocalPort : forward.DestinationPort)) return false;
        }
        return true;
    }

    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x7feb_352d;
        x ^= x >> 15;
        x *= 0x846c_a68b;
        return x ^ (x >> 16);
    }
}
