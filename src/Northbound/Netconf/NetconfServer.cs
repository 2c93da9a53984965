using System.Collections.Concurrent;
using Mgmt.Datastore;
using Mgmt.Datastore.Transactions;

using Mgmt.Datastore.Notifications;

namespace Mgmt.Northbound.Netconf;

/// <summary>Limits of a NETCONF server (every one is a defence against a hostile or broken peer).</summary>
public sealed record NetconfOptions
{
    /// <summary>Largest message accepted; a larger one ends the session after a too-big rpc-error.</summary>
    public int MaxMessageBytes { get; init; } = 64 << 20;

    /// <summary>Time a client has to send its hello.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A session that sends nothing for this long is closed (zero: never).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Concurrent sessions; further connections get no hello and are closed.</summary>
    public int MaxSessions { get; init; } = 64;
}

/// <summary>
/// The NETCONF server (RFC 6241) over any byte stream: transports (SSH subsystem forwarder, TLS) hand
/// each authenticated connection to <see cref="RunSessionAsync"/>. Sessions share the datastores, so an
/// edit-config here is the same transaction as a RESTCONF PATCH or a gNMI Set.
/// </summary>
public sealed class NetconfServer
{
    private readonly ConcurrentDictionary<long, NetconfSession> _sessions = new();

    public NetconfServer(Datastores datastores, NetconfOptions? options = null)
    {
        Datastores = datastores;
        Options = options ?? new NetconfOptions();
        Capabilities = [.. BaseCapabilities, YangLibraryState.Capability(datastores.Context), .. ModuleCapabilities(datastores)];
        datastores.AddStateProvider(new NetconfMonitoringState(this));
        datastores.AddStateProvider(new YangLibraryState());
        CapabilityChanges.Announce(this);
    }

    /// <summary>Server-wide counters of ietf-netconf-monitoring's statistics (RFC 6022 §2.1.4).</summary>
    internal NetconfCounters Counters { get; } = new();

    public DateTimeOffset StartTime { get; } = DateTimeOffset.UtcNow;

    internal ICollection<NetconfSession> Sessions => _sessions.Values;

    public Datastores Datastores { get; }

    public NetconfOptions Options { get; }

    public int SessionCount => _sessions.Count;

    /// <summary>Capabilities announced in the server hello (RFC 6241 §8).</summary>
    public IReadOnlyList<string> Capabilities { get; }

    private static readonly string[] BaseCapabilities =
    [
        NetconfNames.Base10, NetconfNames.Base11, NetconfNames.WritableRunning, NetconfNames.Candidate, NetconfNames.ConfirmedCommit11,
        NetconfNames.RollbackOnError, NetconfNames.Validate11, NetconfNames.Startup, NetconfNames.XPath, NetconfNames.WithDefaults,
        NetconfNames.Notification, NetconfNames.Interleave,
    ];

    /// <summary>Features of the NETCONF modules this server does not implement: the daemon compiles its schema
    /// without them, so neither the schema, the capabilities nor the YANG library claim them.</summary>
    public static readonly (string Module, string Feature)[] UnsupportedFeatures = [("ietf-netconf", "url")];

    /// <summary>
    /// One capability per YANG 1.0 module (RFC 6020 §5.6.4): its namespace with module, revision, the features it
    /// supports and the modules that deviate it (YANG 1.1 modules are announced through the YANG library).
    /// </summary>
    private static IEnumerable<string> ModuleCapabilities(Datastores ds) =>
        ds.Context.Modules
            .Where(m => m.YangVersion != "1.1")
            .Select(m =>
            {
                var features = m.Features.Values.Where(f => f.Enabled).Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
                var deviations = m.DeviatedBy.Select(d => d.Name).Distinct().Order(StringComparer.Ordinal).ToList();
                return m.Namespace + "?module=" + m.Name + (m.Revision is null ? "" : "&revision=" + m.Revision)
                    + (features.Count == 0 ? "" : "&features=" + string.Join(',', features))
                    + (deviations.Count == 0 ? "" : "&deviations=" + string.Join(',', deviations));
            });

    /// <summary>Runs one session until the peer closes it, it is killed, it breaks the protocol or the server stops.</summary>
    /// <param name="stream">The connection; disposed when the session ends.</param>
    /// <param name="user">The authenticated Mgmt user.</param>
    /// <param name="isRecovery">The RFC 8341 recovery session (the daemon's own account on the local socket).</param>
    /// <param name="ct">Server shutdown.</param>
    /// <param name="transport">The ietf-netconf-monitoring transport identity (netconf-ssh, netconf-tls).</param>
    /// <param name="sourceHost">The peer's address when known.</param>
    public async Task RunSessionAsync(Stream stream, string user, bool isRecovery, CancellationToken ct, string transport = "netconf-ssh", string? sourceHost = null)
    {
        var session = new NetconfSession(this, stream, new Session(Session.NextId(), user, "netconf", isRecovery) { SourceHost = sourceHost }) { Transport = transport, SourceHost = sourceHost };
        if (_sessions.Count >= Options.MaxSessions)
        {
            Counters.Dropped();
            await stream.DisposeAsync();
            return;
        }
        Counters.SessionStarted();
        _sessions[session.Info.Id] = session;
        try
        {
            await session.RunAsync(ct);
        }
        finally
        {
            _sessions.TryRemove(session.Info.Id, out _);
            Datastores.SessionEnded(session.Info.Id);
            // RFC 6470: the end of every session that got as far as a hello, good or bad.
            if (session.Started || session.EndReason is TerminationReason.BadHello)
                Datastores.Events.Publish(new SessionEndEvent(DateTimeOffset.UtcNow, Parms(session.Info), session.EndReason,
                    session.EndReason == TerminationReason.Killed ? session.KilledBy : null));
        }
    }

    /// <summary>The hello exchange succeeded: RFC 6470 netconf-session-start.</summary>
    internal void SessionStarted(NetconfSession session) =>
        Datastores.Events.Publish(new SessionStartEvent(DateTimeOffset.UtcNow, Parms(session.Info)));

    private static SessionParms Parms(Session s) => new(s.User, s.Id, s.SourceHost);

    internal bool Kill(long sessionId, long by)
    {
        if (!_sessions.TryGetValue(sessionId, out var s)) return false;
        s.Kill(by);
        Counters.Dropped();
        Datastores.SessionEnded(sessionId);
        return true;
    }
}
