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
    public override (string Module, string Name) Kind => ("ietf-netconf-notifications", "netconf-config-change");

    public static ConfigChangeEvent From(Transactions.ChangeSet set, Session session, DatastoreName datastore) =>
        new(set.Info.Time, session.User, session.Id, session.Northbound, datastore,
            set.Changes.Select(c => new ConfigEdit(c.Path, c.Kind switch
            {
                DiffKind.Created => "create",
                DiffKind.Deleted => "delete",
                _ => "merge",
            })).ToList());
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
