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
}

/// <summary>
/// The sessions of permit-and-reflect rules, per worker: a packet that matched such a rule opens a session for its
/// flow, keyed without direction, so that the replies pass the ACLs of any interface while it lasts. Sessions end
/// after their idle timeout; expiry walks a queue in the order sessions were due, a few at a time, never the
/// whole table. At most <see cref="Capacity"/>: a flow that finds the table full is permitted by its rule but
/// gets no session (counted in <see cref="Refused"/>).
/// </summary>
public sealed class ReflectSessions(int capacity = 100_000)
{
    private readonly Dictionary<FlowKey, Session> _sessions = [];
    // One queue per timeout class: within a class, sessions fall due in the order they were queued.
    private readonly Queue<(FlowKey Key, long Due)>[] _due = [new(), new(), new(), new()];

    private sealed class Session
    {
        public long LastSeen;
        public bool Established;
        public bool Closing;
    }

    public int Capacity { get; } = capacity;

    public int Count => _sessions.Count;

    public long Refused { get; private set; }

    public SessionTimeouts Timeouts { get; set; } = new();

    /// <summary>Whether the packet belongs to a live session (which it refreshes).</summary>
    public bool Match(in PacketKey k, long now)
    {
        if (_sessions.Count == 0) return false;
        var key = FlowKey.Of(k);
        if (!_sessions.TryGetValue(key, out var s)) return false;
        if (now - s.LastSeen > Timeout(key.Protocol, s)) return false; // expired, removed by the sweep
        Touch(s, k, now);
        return true;
    }

    /// <summary>Opens (or refreshes) the session of a packet that matched a permit-and-reflect rule.</summary>
    public void Open(in PacketKey k, long now)
    {
        var key = FlowKey.Of(k);
        if (_sessions.TryGetValue(key, out var s))
        {
            Touch(s, k, now);
            return;
        }
        if (_sessions.Count >= Capacity)
        {
            Refused++;
            return;
        }
        s = new Session { LastSeen = now };
        Touch(s, k, now);
        _sessions.Add(key, s);
        _due[Class(key.Protocol, s)].Enqueue((key, now + Timeout(key.Protocol, s)));
    }

    /// <summary>Ends sessions idle past their timeout, looking at no more than <paramref name="budget"/> due entries.</summary>
    public void Expire(long now, int budget = 256)
    {
        foreach (var queue in _due)
        {
            while (budget > 0 && queue.TryPeek(out var next) && next.Due <= now)
            {
                budget--;
                queue.Dequeue();
                if (!_sessions.TryGetValue(next.Key, out var s)) continue;
                var due = s.LastSeen + Timeout(next.Key.Protocol, s);
                if (due <= now) _sessions.Remove(next.Key);
                else _due[Class(next.Key.Protocol, s)].Enqueue((next.Key, due)); // seen since: due again later
            }
        }
    }

    private static int Class(byte protocol, Session s) => protocol switch
    {
        6 => s.Established && !s.Closing ? 0 : 1,
        17 => 2,
        _ => 3,
    };

    private static void Touch(Session s, in PacketKey k, long now)
    {
        s.LastSeen = now;
        if (k.Protocol != 6 || !k.HasL4) return;
        if ((k.TcpFlags & 0x05) != 0) s.Closing = true; // FIN or RST
        else if ((k.TcpFlags & 0x10) != 0 && (k.TcpFlags & 0x02) == 0) s.Established = true; // an ACK after the SYNs
    }

    private long Timeout(byte protocol, Session s) => (long)(protocol switch
    {
        6 => s.Established && !s.Closing ? Timeouts.TcpEstablished : Timeouts.TcpTransitory,
        17 => Timeouts.Udp,
        _ => Timeouts.Other,
    }).TotalMilliseconds;

    /// <summary>A flow without direction: the lower endpoint first.</summary>
    private readonly record struct FlowKey(UInt128 A, UInt128 B, ushort PortA, ushort PortB, byte Protocol)
    {
        public static FlowKey Of(in PacketKey k)
        {
            var (sp, dp) = k.Protocol is 6 or 17 && k.HasL4 ? (k.SourcePort, k.DestinationPort) : ((ushort)0, (ushort)0);
            if (k.Protocol is 1 or 58 && k.HasL4 && k.IcmpType is 0 or 8 or 128 or 129) (sp, dp) = (0, 0); // echo and its reply
            return k.Source < k.Destination || k.Source == k.Destination && sp <= dp
                ? new FlowKey(k.Source, k.Destination, sp, dp, k.Protocol)
                : new FlowKey(k.Destination, k.Source, dp, sp, k.Protocol);
        }
    }
}
