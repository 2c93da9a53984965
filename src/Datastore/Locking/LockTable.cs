using Mgmt.Yang.Data;

namespace Mgmt.Datastore.Locking;

/// <summary>
/// Global per-datastore locks (RFC 6241 §7.5): one owner session per datastore, released by unlock or when
/// the session ends. Thread-safe.
/// </summary>
public sealed class LockTable
{
    private readonly Dictionary<DatastoreName, (Session Owner, DateTimeOffset Since)> _locks = [];
    private readonly Lock _gate = new();

    public void Acquire(DatastoreName ds, Session session)
    {
        lock (_gate)
        {
            if (_locks.TryGetValue(ds, out var held))
                throw new DataException(new DataError(ErrorTag.LockDenied, null,
                    held.Owner.Id == session.Id ? $"the {ds.Wire()} datastore is already locked by this session" : $"the {ds.Wire()} datastore is locked by session {held.Owner.Id}",
                    Type: ErrorType.Protocol) { LockOwner = held.Owner.Id });
            _locks[ds] = (session, DateTimeOffset.UtcNow);
        }
    }

    public void Release(DatastoreName ds, Session session)
    {
        lock (_gate)
        {
            if (!_locks.TryGetValue(ds, out var held) || held.Owner.Id != session.Id)
                throw new DataException(new DataError(ErrorTag.OperationFailed, null,
                    $"the {ds.Wire()} datastore is not locked by this session", Type: ErrorType.Protocol));
            _locks.Remove(ds);
        }
    }

    /// <summary>Drops every lock the session holds (session end, kill-session).</summary>
    public void ReleaseAll(long sessionId)
    {
        lock (_gate)
        {
            foreach (var ds in _locks.Where(kv => kv.Value.Owner.Id == sessionId).Select(kv => kv.Key).ToList()) _locks.Remove(ds);
        }
    }

    /// <summary>The session holding the lock, or null.</summary>
    public Session? Owner(DatastoreName ds)
    {
        lock (_gate) return _locks.TryGetValue(ds, out var held) ? held.Owner : null;
    }

    /// <summary>Throws in-use when another session holds the lock (a write by a session that is not the owner).</summary>
    public void CheckWritable(DatastoreName ds, Session session)
    {
        var owner = Owner(ds);
        if (owner is not null && owner.Id != session.Id)
            throw new DataException(new DataError(ErrorTag.InUse, null, $"the {ds.Wire()} datastore is locked by session {owner.Id}",
                Type: ErrorType.Protocol) { LockOwner = owner.Id });
    }

    public IReadOnlyList<(DatastoreName Datastore, Session Owner, DateTimeOffset Since)> Snapshot()
    {
        lock (_gate) return _locks.Select(kv => (kv.Key, kv.Value.Owner, kv.Value.Since)).ToList();
    }
}
