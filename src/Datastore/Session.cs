namespace Mgmt.Datastore;

/// <summary>
/// Who is acting: a northbound session (NETCONF session, RESTCONF request, gNMI stream) or the daemon itself.
/// Locks are owned by a session id and released when the session ends.
/// </summary>
/// <param name="Id">Unique while the daemon runs (NETCONF session-id, RFC 6241 §8.1); 0 is the daemon itself.</param>
/// <param name="User">The authenticated user name.</param>
/// <param name="Northbound">netconf, restconf, gnmi, cli, daemon.</param>
/// <param name="IsRecovery">The recovery session of RFC 8341 §3.4.6 (bypasses access control).</param>
public sealed record Session(long Id, string User, string Northbound, bool IsRecovery = false)
{
    /// <summary>The peer's IP address when the transport knows it (notifications name it).</summary>
    public string? SourceHost { get; init; }

    private static long s_next;

    public static long NextId() => Interlocked.Increment(ref s_next);

    /// <summary>The daemon's own session (start-up loading, confirmed-commit rollback).</summary>
    public static Session Daemon { get; } = new(0, "mgmtd", "daemon", IsRecovery: true);
}
