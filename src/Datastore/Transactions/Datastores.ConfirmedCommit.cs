using Mgmt.Datastore.Notifications;
using Mgmt.Yang.Data;

namespace Mgmt.Datastore.Transactions;

/// <summary>
/// Confirmed commit (RFC 6241 §8.4, :confirmed-commit:1.1): running takes the candidate now and goes back
/// to what it was unless a confirming commit comes within the timeout. Without persist, the confirming
/// commit must come from the same session and the loss of that session rolls back; with persist, any
/// session naming the persist-id may confirm or cancel, and the session may end.
/// </summary>
public sealed partial class Datastores
{
    private PendingCommit? _pending;

    private sealed class PendingCommit(DataRoot before, Session owner, string? persist, Timer timer)
    {
        public DataRoot Before { get; } = before;
        public Session Owner { get; } = owner;
        public string? Persist { get; set; } = persist;
        public Timer Timer { get; } = timer;
    }

    /// <summary>True while running holds a confirmed commit that is neither confirmed nor rolled back.</summary>
    public bool ConfirmedCommitPending
    {
        get
        {
            lock (_commitGate) return _pending is not null;
        }
    }

    /// <summary>Raised after a pending confirmed commit was rolled back (timeout, cancel-commit, session loss).</summary>
    public event Action<string>? ConfirmedCommitRolledBack;

    /// <summary>
    /// <c>&lt;commit&gt;&lt;confirmed/&gt;</c>: commits the candidate and arms the rollback. A second confirmed
    /// commit while one is pending (same session or persist-id) commits again and restarts the timer; the
    /// rollback still returns to the configuration before the first.
    /// </summary>
    public void ConfirmedCommit(Session session, TimeSpan timeout, string? persist, string? persistId, string? comment = null)
    {
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromDays(49))
            throw new DataException(new DataError(ErrorTag.InvalidValue, null, "confirm-timeout must be between 1 second and 49 days", Type: ErrorType.Protocol, BadElement: "confirm-timeout"));
        lock (_commitGate)
        {
            Locks.CheckWritable(DatastoreName.Candidate, session);
            if (_pending is not null)
            {
                CheckMayConfirm(session, persistId);
                CommitCandidate(session, comment);
                _pending.Persist = persist;
                _pending.Timer.Change(timeout, Timeout.InfiniteTimeSpan);
                PublishConfirm(session, ConfirmEvent.Extend, timeout);
                return;
            }
            var before = Running.Snapshot();
            CommitCandidate(session, comment);
            var timer = new Timer(_ => RollBack("the confirm-timeout expired", ConfirmEvent.Timeout, null), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _pending = new PendingCommit(before, session, persist, timer);
            timer.Change(timeout, Timeout.InfiniteTimeSpan);
            PublishConfirm(session, ConfirmEvent.Start, timeout);
        }
    }

    /// <summary>The RFC 6470 netconf-confirmed-commit event (sent without the session on a timeout).</summary>
    private void PublishConfirm(Session? session, ConfirmEvent what, TimeSpan? timeout = null) =>
        Events.Publish(new ConfirmedCommitEvent(DateTimeOffset.UtcNow,
            session is null ? null : new SessionParms(session.User, session.Id, session.SourceHost), what,
            timeout is { } t ? (uint)Math.Ceiling(t.TotalSeconds) : null));

    /// <summary>cancel-commit (RFC 6241 §8.4.4.1): rolls the pending confirmed commit back now.</summary>
    public void CancelCommit(Session session, string? persistId)
    {
        lock (_commitGate)
        {
            if (_pending is null)
                throw new DataException(new DataError(ErrorTag.OperationFailed, null, "no confirmed commit is pending", Type: ErrorType.Protocol));
            CheckMayConfirm(session, persistId);
            RollBack("cancel-commit", ConfirmEvent.Cancel, session);
        }
    }

    private void CheckMayConfirm(Session session, string? persistId)
    {
        var p = _pending!;
        var allowed = p.Persist is not null ? persistId == p.Persist : persistId is null && session.Id == p.Owner.Id;
        if (!allowed)
            throw new DataException(new DataError(ErrorTag.InvalidValue, null,
                p.Persist is not null ? "the persist-id does not match the pending confirmed commit" : $"a confirmed commit of session {p.Owner.Id} is pending",
                Type: ErrorType.Protocol, BadElement: p.Persist is not null ? "persist-id" : null));
    }

    private void RollBackIfOwnerLeft(long sessionId)
    {
        lock (_commitGate)
        {
            if (_pending is { Persist: null } p && p.Owner.Id == sessionId) RollBack($"session {sessionId} ended before confirming", ConfirmEvent.Cancel, p.Owner);
        }
    }

    private void RollBack(string why, ConfirmEvent what, Session? by)
    {
        lock (_commitGate)
        {
            var p = _pending;
            if (p is null) return;
            EndPending();
            try
            {
                Transaction(Session.Daemon, DatastoreName.Running, store => ReplaceAll(store, p.Before), TestOption.Set, "rollback: " + why);
            }
            catch (DataException e)
            {
                // Running keeps the confirmed configuration; whoever listens is told why (a timer thread must not throw).
                why += $"; the rollback failed: {e.Errors[0].Message}";
            }
            PublishConfirm(by, what);
        }
        ConfirmedCommitRolledBack?.Invoke(why);
    }

    private void EndPending()
    {
        _pending?.Timer.Dispose();
        _pending = null;
    }
}
