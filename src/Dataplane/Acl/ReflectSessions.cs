namespace Mgmt.Dataplane.Acl;

/// <summary>Idle timeouts of reflected sessions, per protocol (defaults from RFC 5382, 4787 and 5508).</summary>
public sealed record SessionTimeouts
{
    /// <summary>An established TCP connection (RFC 5382 REQ-5: at least 2 h 4 min).</summary>
    public TimeSpan TcpEstablished { get; init; } = TimeSpan.FromSeconds(7440);

    /// <summary>TCP before its handshake completed, or after FIN/RST (RFC 5382: 4 minutes).</summary>
    public TimeSpan TcpTransitory { get; init; } = TimeSpan.FromSeconds(240);

    /// <summary>UDP (RFC 4787 REQ-5: at least 2 min, 5 min recommended).</summary>
    public TimeSpan Udp { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>ICMP and other protocols (RFC 5508 REQ-1: at least 60 s).</summary>
    public TimeSpan Other { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP after a reset (connection tracking: the session lingers for stray segments, then goes).</summary>
    public TimeSpan TcpClosed { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest timeout a session table keeps (due times are 32-bit milliseconds apart).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(24);

    /// <summary>Throws a <see cref="DataplaneException"/> naming <paramref name="what"/> unless every timeout is 1 ms to <see cref="Longest"/>.</summary>
    public void Check(string what)
    {
        if (new[] { TcpEstablished, TcpTransitory, TcpClosed, Udp, Other }.Any(t => t < TimeSpan.FromMilliseconds(1) || t > Longest))
            throw new DataplaneException($"{what} timeouts are 1 ms to {Longest.TotalDays} days");
    }
}

/// <summary>
/// The sessions of permit-and-reflect rules, per worker: a packet that matched such a rule opens a session for its
/// flow, found by the flow's key in either direction, so that the replies pass the ACLs of any interface while it
/// lasts. Kept in a connection-tracking <see cref="Sessions.SessionTable{TKey}"/> (TCP states, idle timeouts per
/// state, expiry a few sessions at a time, never the whole table), made at the first session of the worker with
/// room for <see cref="Capacity"/>: a flow that finds it full is permitted by its rule but gets no session
/// (counted in <see cref="Refused"/>).
/// </summary>
public sealed class ReflectSessions(int capacity = 100_000)
{
    // IPv4 flows in a table of 16-byte keys (a session on one cache line), IPv6 flows in one of 128-bit addresses;
    // each made at its family's first session, with room for Capacity sessions.
    private Sessions.SessionTable<Sessions.FlowKey4>? _four;
    private Sessions.SessionTable<Sessions.FlowKey6>? _six;

    /// <summary>Sessions at most per address family.</summary>
    public int Capacity { get; } = capacity;

    public int Count => (_four?.Count ?? 0) + (_six?.Count ?? 0);

    public long Refused => (_four?.Refused ?? 0) + (_six?.Refused ?? 0);

    public SessionTimeouts Timeouts
    {
        get;
        set
        {
            field = value;
            if (_four is not null) _four.Timeouts = value;
            if (_six is not null) _six.Timeouts = value;
        }
    } = new();

    /// <summary>Whether the packet belongs to a live session (which it refreshes).</summary>
    public bool Match(in PacketKey k, long now) => IsFour(k) ? Match(_four, Key4(k), Flags(k), now) : Match(_six, Key6(k), Flags(k), now);

    /// <summary>Opens (or refreshes) the session of a packet that matched a permit-and-reflect rule.</summary>
    public void Open(in PacketKey k, long now)
    {
        if (IsFour(k)) Open(_four ??= new(Capacity, Timeouts), Key4(k), Flags(k), now);
        else Open(_six ??= new(Capacity, Timeouts), Key6(k), Flags(k), now);
    }

    /// <summary>Ends sessions idle past their timeout, looking at no more than <paramref name="budget"/> due entries of each family.</summary>
    public void Expire(long now, int budget = 256)
    {
        _four?.Expire(now, budget);
        _six?.Expire(now, budget);
    }

    private static bool Match<TKey>(Sessions.SessionTable<TKey>? table, in TKey key, byte flags, long now) where TKey : unmanaged, Sessions.IFlowKey<TKey>
    {
        if (table is not { Count: > 0 } || !table.TryFind(key, out var s, out var reply) || !table.IsLive(s, now)) return false; // expired: removed by the sweep
        table.Touch(s, reply, flags, now);
        return true;
    }

    private static void Open<TKey>(Sessions.SessionTable<TKey> table, in TKey key, byte flags, long now) where TKey : unmanaged, Sessions.IFlowKey<TKey>
    {
        if (table.TryFind(key, out var s, out var reply)) table.Touch(s, reply, flags, now);
        else table.Create(key, key.Reversed, now, flags);
    }

    private static bool IsFour(in PacketKey k) => Packets.Ip6.IsMapped(k.Source) && Packets.Ip6.IsMapped(k.Destination);

    private static byte Flags(in PacketKey k) => k.Protocol == 6 && k.HasL4 ? k.TcpFlags : (byte)0;

    // Ports for TCP and UDP; an ICMP echo and its reply share a key without them.
    private static bool HasPorts(in PacketKey k) => k.Protocol is 6 or 17 && k.HasL4;

    private static Sessions.FlowKey6 Key6(in PacketKey k) => HasPorts(k)
        ? new(k.Source, k.Destination, k.SourcePort, k.DestinationPort, k.Protocol)
        : new(k.Source, k.Destination, 0, 0, k.Protocol);

    private static Sessions.FlowKey4 Key4(in PacketKey k) => HasPorts(k)
        ? new((uint)k.Source, (uint)k.Destination, k.SourcePort, k.DestinationPort, k.Protocol)
        : new((uint)k.Source, (uint)k.Destination, 0, 0, k.Protocol);
}
