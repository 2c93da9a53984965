using Mgmt.Yang.Data;

namespace Mgmt.Datastore.Notifications;

/// <summary>An event of the NETCONF stream (RFC 5277), independent of any encoding.</summary>
public abstract record NotificationEvent(DateTimeOffset Time)
{
    /// <summary>The module and name of the YANG notification, for access control (RFC 8341 §3.4.6).</summary>
    public abstract (string Module, string Name) Kind { get; }
}

/// <param name="Path">Instance path of the changed node (RFC 7951 form).</param>
/// <param name="Operation">merge, create, delete (RFC 6470 edit-operation names).</param>
public sealed record ConfigEdit(string Path, string Operation);

/// <summary>RFC 6470 netconf-config-change: who changed which datastore, and what.</summary>
public sealed record ConfigChangeEvent(DateTimeOffset Time, string User, long SessionId, string Northbound, DatastoreName Datastore, IReadOnlyList<ConfigEdit> Edits)
    : NotificationEvent(Time)
{
    /// <summary>
    /// At most this many edit records per event: a commit that changes more is reported by the parents of the
    /// changed nodes, or failing that by the changed top-level nodes, each as a merge. A bulk load of 100k list
    /// entries is then one edit of the list's parent, not a 10 MB notification kept in the replay log.
    /// </summary>
    public const int MaxEdits = 100;

    public override (string Module, string Name) Kind => ("ietf-netconf-notifications", "netconf-config-change");

    public static ConfigChangeEvent From(Transactions.ChangeSet set, Session session, DatastoreName datastore) =>
        new(set.Info.Time, session.User, session.Id, session.Northbound, datastore, EditsOf(set.Changes));

    private static List<ConfigEdit> EditsOf(IReadOnlyList<DataChange> changes)
    {
        if (changes.Count <= MaxEdits)
            return [.. changes.Select(c => new ConfigEdit(c.Path, c.Kind switch
            {
                DiffKind.Created => "create",
                DiffKind.Deleted => "delete",
                _ => "merge",
            }))];
        var byParent = Coalesce(changes, c => c.Parent is null or DataRoot ? null : c.Parent);
        return byParent.Count <= MaxEdits ? byParent : Coalesce(changes, TopLevel);
    }

    /// <summary>One merge edit per distinct container of the changes (a top-level change stands for itself).</summary>
    private static List<ConfigEdit> Coalesce(IReadOnlyList<DataChange> changes, Func<DataChange, DataInner?> container)
    {
        var seen = new HashSet<DataNode>(ReferenceEqualityComparer.Instance);
        var edits = new List<ConfigEdit>();
        foreach (var c in changes)
        {
            var at = (DataNode?)container(c) ?? c.After ?? c.Before!;
            if (seen.Add(at)) edits.Add(new ConfigEdit(ReferenceEquals(at, c.After ?? c.Before) ? c.Path : DataPath.Of(at), "merge"));
        }
        return edits;
    }

    /// <summary>The top-level node a change is under, or null when the change is itself at the top.</summary>
    private static DataInner? TopLevel(DataChange c)
    {
        var p = c.Parent;
        if (p is null or DataRoot) return null;
        while (p.Parent is { } up && up is not DataRoot) p = up;
        return p;
    }
}

/// <summary>Why a session ended (RFC 6470 netconf-session-end termination-reason).</summary>
public enum TerminationReason { Closed, Killed, Dropped, Timeout, BadHello, Other }

/// <summary>Who a session-related event is about (RFC 6470 common-session-parms).</summary>
/// <param name="SourceHost">The peer's IP address when known.</param>
public sealed record SessionParms(string User, long SessionId, string? SourceHost);

/// <summary>RFC 6470 netconf-session-start: a session finished its hello exchange.</summary>
public sealed record SessionStartEvent(DateTimeOffset Time, SessionParms Session) : NotificationEvent(Time)
{
    public override (string Module, string Name) Kind => ("ietf-netconf-notifications", "netconf-session-start");
}

/// <summary>RFC 6470 netconf-session-end: a session ended, how, and who killed it.</summary>
/// <param name="KilledBy">The session that sent kill-session (with <see cref="TerminationReason.Killed"/>).</param>
public sealed record SessionEndEvent(DateTimeOffset Time, SessionParms Session, TerminationReason Reason, long? KilledBy = null) : NotificationEvent(Time)
{
    public override (string Module, string Name) Kind => ("ietf-netconf-notifications", "netconf-session-end");
}

/// <summary>What happened to a confirmed commit (RFC 6470 confirm-event).</summary>
public enum ConfirmEvent { Start, Cancel, Timeout, Extend, Complete }

/// <summary>RFC 6470 netconf-confirmed-commit; no session on a timeout.</summary>
/// <param name="TimeoutSeconds">Seconds until the rollback, for start and extend.</param>
public sealed record ConfirmedCommitEvent(DateTimeOffset Time, SessionParms? Session, ConfirmEvent Event, uint? TimeoutSeconds = null) : NotificationEvent(Time)
{
    public override (string Module, string Name) Kind => ("ietf-netconf-notifications", "netconf-confirmed-commit");
}

/// <summary>
/// RFC 6470 netconf-capability-change: capabilities that appeared, disappeared, or kept their base URI with other
/// parameters (the new URI is given). <paramref name="ChangedBy"/> null: the server itself changed them.
/// </summary>
public sealed record CapabilityChangeEvent(DateTimeOffset Time, SessionParms? ChangedBy, IReadOnlyList<string> Added,
    IReadOnlyList<string> Deleted, IReadOnlyList<string> Modified) : NotificationEvent(Time)
{
    public override (string Module, string Name) Kind => ("ietf-netconf-notifications", "netconf-capability-change");
}

/// <summary>RFC 8525 yang-library-update: the YANG library changed; its new content-id.</summary>
public sealed record YangLibraryUpdateEvent(DateTimeOffset Time, string ContentId) : NotificationEvent(Time)
{
    public override (string Module, string Name) Kind => ("ietf-yang-library", "yang-library-update");
}

/// <summary>
/// The NETCONF event stream: publishes events to subscribers as they happen and keeps the last ones for
/// replay (RFC 5277 §2.1.1 startTime). Thread-safe; a slow subscriber does not hold up the publisher.
/// </summary>
public sealed class NotificationBus(int replayCapacity = 1000)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<NotificationEvent> _replay = new();
    private readonly List<Action<NotificationEvent>> _subscribers = [];

    /// <summary>The oldest event still available for replay (RFC 5277 replayLogCreationTime/AgedTime).</summary>
    public DateTimeOffset? OldestKept
    {
        get
        {
            lock (_gate) return _replay.First?.Value.Time;
        }
    }

    public void Publish(NotificationEvent e)
    {
        Action<NotificationEvent>[] subscribers;
        lock (_gate)
        {
            _replay.AddLast(e);
            while (_replay.Count > replayCapacity) _replay.RemoveFirst();
            subscribers = [.. _subscribers];
        }
        foreach (var s in subscribers) s(e);
    }

    /// <summary>
    /// Subscribes; the events kept since <paramref name="replayFrom"/> (if given) come first, in order, then
    /// live ones. Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable Subscribe(Action<NotificationEvent> onEvent, DateTimeOffset? replayFrom, out IReadOnlyList<NotificationEvent> replay)
    {
        lock (_gate)
        {
            replay = replayFrom is { } from ? _replay.Where(e => e.Time >= from).ToList() : [];
            _subscribers.Add(onEvent);
        }
        return new Subscription(this, onEvent);
    }

    private sealed class Subscription(NotificationBus bus, Action<NotificationEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (bus._gate) bus._subscribers.Remove(handler);
        }
    }
}
