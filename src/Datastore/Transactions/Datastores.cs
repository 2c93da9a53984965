using Mgmt.Datastore.Locking;
using Mgmt.Datastore.Nacm;
using Mgmt.Datastore.Persistence;
using Mgmt.Datastore.Users;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Datastore.Transactions;

/// <summary>How an edit is checked before it is kept (NETCONF test-option, RFC 6241 §8.6).</summary>
public enum TestOption { TestThenSet, Set, TestOnly }

/// <summary>
/// The configuration datastores and the one transaction engine every northbound shares: a NETCONF
/// edit-config, a RESTCONF PATCH and a gNMI Set all end in <see cref="Edit"/>. A change to running is
/// applied to the live tree under its write lock, validated as a whole, offered to the change handlers
/// (prepare, then commit; abort in reverse order when one refuses), saved, and then published; any failure
/// undoes it, so readers and the file see the old or the new configuration, never a mix. One commit at a time.
/// </summary>
public sealed partial class Datastores
{
    public const string RunningFile = "running.json";
    public const string StartupFile = "startup.json";

    private readonly List<IChangeHandler> _handlers = [];
    private readonly Lock _commitGate = new();
    private readonly ConfigFile _runningFile;
    private readonly ConfigFile _startupFile;
    private long _commitId;

    // The candidate follows running until its first change (RFC 6241 §8.3: it starts as a copy of running
    // and discard-changes returns it there); it is copied only then, so commits to running stay cheap.
    private bool _candidateFollowsRunning = true;

    private Datastores(SchemaContext context, string stateDir, ConfigFile runningFile, DataRoot running, DataRoot? startup)
    {
        Context = context;
        StateDir = stateDir;
        _runningFile = runningFile;
        _startupFile = new ConfigFile(Path.Combine(stateDir, StartupFile));
        Running = new ConfigStore(DatastoreName.Running, running);
        Candidate = new ConfigStore(DatastoreName.Candidate, new DataRoot(context));
        Startup = new ConfigStore(DatastoreName.Startup, startup ?? new DataRoot(context));
        var users = UserStore.Open(stateDir);
        Nacm = new NacmEngine(user => users.Find(user)?.Groups ?? []);
        Nacm.Rules = RulesOf(running);
        History = new Mgmt.Datastore.History.CommitHistory(stateDir);
        _commitId = History.NextId() - 1;
        RegisterBuiltinRpcs();
        AddStateProvider(new NacmState(Nacm));
    }

    /// <summary>Access control over every read, write and operation (RFC 8341).</summary>
    public NacmEngine Nacm { get; }

    private NacmRules RulesOf(DataRoot running) =>
        Context.GetModule(NacmRules.ModuleName) is { Implemented: true } ? NacmRules.From(running) : NacmRules.Initial;

    /// <summary>
    /// The configuration of a new state dir: NACM on, and one rule-list giving group admin all access
    /// (only when the served schema has ietf-netconf-acm; otherwise the same rules are built in).
    /// </summary>
    private static DataRoot InitialRunning(SchemaContext context)
    {
        if (context.GetModule(NacmRules.ModuleName) is not { Implemented: true }) return new DataRoot(context);
        const string json = """
            {"ietf-netconf-acm:nacm": {"enable-nacm": true, "rule-list": [{"name": "admin", "group": ["admin"],
              "rule": [{"name": "permit-all", "module-name": "*", "access-operations": "*", "action": "permit",
                        "comment": "Group admin may do everything; created with the state dir."}]}]}}
            """;
        return Yang.Encoding.JsonDataReader.Parse(context, json, new Yang.Encoding.DataParseOptions(Yang.Encoding.DataContent.Config));
    }

    /// <summary>
    /// Opens the datastores of a state dir: running from <c>running.json</c>, or a copy of startup when running
    /// was never saved; startup from <c>startup.json</c> when present. An invalid file stops the start with its name and the first error.
    /// </summary>
    public static Datastores Open(SchemaContext context, string stateDir)
    {
        Directory.CreateDirectory(stateDir);
        var runningFile = new ConfigFile(Path.Combine(stateDir, RunningFile), journaled: true);
        var startupFile = new ConfigFile(Path.Combine(stateDir, StartupFile));
        var startup = startupFile.Exists ? startupFile.Load(context) : null;
        var running = runningFile.Exists ? runningFile.Load(context) : startup?.DeepClone() ?? InitialRunning(context);
        var ds = new Datastores(context, stateDir, runningFile, running, startup);
        ds.Running.Valid = runningFile.Exists; // loading validated it
        if (!runningFile.Exists && running.HasChildren) runningFile.Save(running);
        return ds;
    }

    public SchemaContext Context { get; }

    public string StateDir { get; }

    public ConfigStore Running { get; }

    public ConfigStore Candidate { get; }

    public ConfigStore Startup { get; }

    public LockTable Locks { get; } = new();

    /// <summary>True once the candidate differs from running by its own edits (until commit or discard-changes).</summary>
    public bool CandidateModified => !Volatile.Read(ref _candidateFollowsRunning);

    /// <summary>Raised after every commit to running that changed something, outside every lock.</summary>
    public event Action<ChangeSet>? Committed;

    /// <summary>The NETCONF event stream: config-change events of every commit to running or startup, for replay and subscribers.</summary>
    public Notifications.NotificationBus Events { get; } = new();

    public void AddHandler(IChangeHandler handler)
    {
        lock (_commitGate) _handlers.Add(handler);
    }

    /// <summary>Runs <paramref name="reader"/> on a consistent view of a configuration datastore (intended is running).</summary>
    public T Read<T>(DatastoreName name, Func<DataRoot, T> reader) => name switch
    {
        DatastoreName.Running or DatastoreName.Intended => Running.Read(reader),
        DatastoreName.Candidate => ReadCandidate(reader),
        DatastoreName.Startup => Startup.Read(reader),
        _ => throw new ArgumentException("operational data is read through the operational view", nameof(name)),
    };

    /// <summary>
    /// A session's read: <paramref name="select"/> copies what was asked for (whole tree or filtered) under the
    /// read lock, then the nodes the session may not read are pruned from the copy (RFC 8341 §3.4.5).
    /// </summary>
    /// <param name="allDefaults">
    /// The reader reports defaults (with-defaults report-all or report-all-tagged): <paramref name="select"/>
    /// sees a copy with every default, including those a configuration does not store (see <see cref="DataDefaults"/>).
    /// </param>
    public DataRoot ReadFor(Session session, DatastoreName name, Func<DataRoot, DataRoot> select, bool allDefaults = false)
    {
        DataRoot copy;
        if (allDefaults)
        {
            var whole = Read(name, t => t.DeepClone());
            DataDefaults.AddAll(whole);
            copy = select(whole);
        }
        else copy = Read(name, select);
        Nacm.PruneForRead(session, copy);
        return copy;
    }

    private T ReadCandidate<T>(Func<DataRoot, T> reader)
    {
        lock (_commitGate)
        {
            // Under the commit gate the follows flag cannot change while the view is chosen.
            return _candidateFollowsRunning ? Running.Read(reader) : Candidate.Read(reader);
        }
    }

    /// <summary>
    /// Applies an edit document to a writable datastore. Running: validated and committed (handlers, file,
    /// notification). Candidate: validated unless <see cref="TestOption.Set"/>, committed later. Startup:
    /// validated and saved. <see cref="TestOption.TestOnly"/> changes nothing.
    /// </summary>
    public void Edit(Session session, DatastoreName target, DataRoot edit, EditOperation defaultOperation = EditOperation.Merge,
        TestOption test = TestOption.TestThenSet, string? comment = null)
    {
        Transaction(session, target, store => ApplyEdit(store, edit, defaultOperation), test, comment);
    }

    /// <summary>
    /// edit-config with error-option continue-on-error (RFC 6241 §7.2): the parts of the edit
    /// (<see cref="DataEditor.SplitIntoParts"/>) are applied in order, each checked on its own (edit, access
    /// control, validation of the result); a part that fails is left out and its errors returned, the others
    /// are committed together as one transaction. Returns the errors of the parts left out (none: all applied).
    /// </summary>
    public IReadOnlyList<DataError> EditContinuing(Session session, DatastoreName target, DataRoot edit, EditOperation defaultOperation = EditOperation.Merge,
        TestOption test = TestOption.TestThenSet, string? comment = null)
    {
        var skipped = new List<DataError>();
        var parts = DataEditor.SplitIntoParts(edit);
        var validate = test != TestOption.Set || target != DatastoreName.Candidate;
        Transaction(session, target, store =>
        {
            var kept = new List<DataEditor.AppliedEdit>();
            var wasValid = store.Valid;
            foreach (var part in parts)
            {
                DataEditor.AppliedEdit a;
                try
                {
                    a = DataEditor.ApplyUndoable(store.Tree, part, defaultOperation);
                }
                catch (DataException e)
                {
                    skipped.AddRange(e.Errors);
                    continue;
                }
                var errors = Nacm.CheckWrite(session, a.Changes) is { } denied ? [denied]
                    : validate ? DataValidator.ValidateEdit(store.Tree, a, new ValidationOptions(ConfigOnly: true), treeWasValid: store.Valid)
                    : [];
                if (errors.Count > 0)
                {
                    a.Undo();
                    skipped.AddRange(errors);
                    continue;
                }
                if (validate) store.Valid = true;
                kept.Add(a);
            }
            return new Applied([.. kept.SelectMany(k => k.Changes)], () =>
            {
                for (var i = kept.Count - 1; i >= 0; i--) kept[i].Undo();
                store.Valid = wasValid;
            }) { Validated = validate };
        }, test, comment);
        return skipped;
    }

    /// <summary>copy-config: replaces a whole datastore with another one's content or an inline configuration.</summary>
    public void Copy(Session session, DataRoot source, DatastoreName target, string? comment = null) =>
        Transaction(session, target, store => ReplaceAll(store, source), TestOption.TestThenSet, comment);

    public void Copy(Session session, DatastoreName source, DatastoreName target, string? comment = null)
    {
        if (source == target) return;
        Copy(session, Read(source, t => t.DeepClone()), target, comment);
    }

    /// <summary>delete-config (RFC 6241 §7.4): startup (and candidate, which is then emptied); never running.</summary>
    public void Delete(Session session, DatastoreName target)
    {
        if (target is DatastoreName.Running or DatastoreName.Intended or DatastoreName.Operational)
            throw new DataException(new DataError(ErrorTag.OperationNotSupported, null, $"the {target.Wire()} datastore cannot be deleted", Type: ErrorType.Protocol));
        Copy(session, new DataRoot(Context), target);
        if (target == DatastoreName.Startup) lock (_commitGate) _startupFile.Delete();
    }

    /// <summary>
    /// lock (RFC 6241 §7.5): refused while another session holds it, and for the candidate while it holds
    /// changes that were neither committed nor discarded.
    /// </summary>
    public void Lock(Session session, DatastoreName target)
    {
        if (!target.IsWritable())
            throw new DataException(new DataError(ErrorTag.OperationNotSupported, null, $"the {target.Wire()} datastore cannot be locked", Type: ErrorType.Protocol));
        lock (_commitGate)
        {
            if (target == DatastoreName.Candidate && CandidateModified && Locks.Owner(target) is null)
                throw new DataException(new DataError(ErrorTag.LockDenied, null, "the candidate holds uncommitted changes", Type: ErrorType.Protocol) { LockOwner = 0 });
            Locks.Acquire(target, session);
        }
    }

    public void Unlock(Session session, DatastoreName target) => Locks.Release(target, session);

    /// <summary>
    /// commit (RFC 6241 §8.3.4.1): running becomes the candidate. While a confirmed commit is pending it is
    /// the confirming commit (from the same session, or with the matching persist-id).
    /// </summary>
    public void Commit(Session session, string? comment = null, string? persistId = null)
    {
        lock (_commitGate)
        {
            Locks.CheckWritable(DatastoreName.Candidate, session);
            if (_pending is not null)
            {
                CheckMayConfirm(session, persistId);
                CommitCandidate(session, comment);
                EndPending();
                PublishConfirm(session, Notifications.ConfirmEvent.Complete);
                return;
            }
            if (persistId is not null)
                throw new DataException(new DataError(ErrorTag.InvalidValue, null, "no confirmed commit is pending", Type: ErrorType.Protocol, BadElement: "persist-id"));
            CommitCandidate(session, comment);
        }
    }

    private void CommitCandidate(Session session, string? comment)
    {
        lock (_commitGate)
        {
            if (_candidateFollowsRunning) return; // nothing to commit
            var candidate = Candidate.Snapshot();
            Transaction(session, DatastoreName.Running, store => ReplaceAll(store, candidate), TestOption.TestThenSet, comment);
            _candidateFollowsRunning = true;
            Candidate.Tree = new DataRoot(Context);
            Candidate.Valid = false;
        }
    }

    /// <summary>discard-changes (RFC 6241 §8.3.4.2): the candidate returns to running.</summary>
    public void DiscardChanges(Session session)
    {
        lock (_commitGate)
        {
            Locks.CheckWritable(DatastoreName.Candidate, session);
            _candidateFollowsRunning = true;
            using (Candidate.Write())
            {
                Candidate.Tree = new DataRoot(Context);
                Candidate.Valid = false;
            }
        }
    }

    /// <summary>validate (RFC 6241 §8.6.4.1) of a datastore: every error, none changed.</summary>
    public IReadOnlyList<DataError> Validate(DatastoreName source) => Validate(Read(source, t => t.DeepClone()));

    public IReadOnlyList<DataError> Validate(DataRoot config) =>
        DataValidator.Validate(config, new ValidationOptions(ConfigOnly: true));

    /// <summary>The session is gone: its locks are released.</summary>
    public void SessionEnded(long sessionId)
    {
        Locks.ReleaseAll(sessionId);
        RollBackIfOwnerLeft(sessionId);
    }

    private delegate Applied Mutation(ConfigStore store);

    private void Transaction(Session session, DatastoreName target, Mutation mutate, TestOption test, string? comment)
    {
        if (!target.IsWritable())
            throw new DataException(new DataError(ErrorTag.InvalidValue, null, $"the {target.Wire()} datastore cannot be written", Type: ErrorType.Protocol));
        ChangeSet? published = null;
        lock (_commitGate)
        {
            // The daemon's own transactions (confirmed-commit rollback) are not held up by client locks.
            if (session.Id != Session.Daemon.Id) Locks.CheckWritable(target, session);
            if (target == DatastoreName.Candidate && _candidateFollowsRunning && test != TestOption.TestOnly)
            {
                using (Candidate.Write())
                {
                    Candidate.Tree = Running.Snapshot();
                    Candidate.Valid = Running.Valid;
                }
                _candidateFollowsRunning = false;
            }
            var store = target switch
            {
                DatastoreName.Running => Running,
                DatastoreName.Startup => Startup,
                _ => _candidateFollowsRunning ? Running : Candidate,
            };
            using (store.Write())
            {
                var applied = mutate(store);
                try
                {
                    if (Nacm.CheckWrite(session, applied.Changes) is { } denied) throw new DataException(denied);
                    if (test != TestOption.Set || target != DatastoreName.Candidate)
                    {
                        var errors = applied.Validated ? []
                            : applied.Edit is { } edit ? DataValidator.ValidateEdit(store.Tree, edit, new ValidationOptions(ConfigOnly: true), treeWasValid: store.Valid)
                            : Validate(store.Tree);
                        if (errors.Count > 0) throw new DataException(errors);
                    }
                    // Valid as a whole from now on, unless the candidate took an edit without validation.
                    var validNow = test != TestOption.Set || target != DatastoreName.Candidate || (store.Valid && applied.Changes.Count == 0);
                    if (test == TestOption.TestOnly || applied.Changes.Count == 0)
                    {
                        if (test == TestOption.TestOnly) applied.Undo();
                        else store.Valid = validNow;
                        return;
                    }
                    switch (target)
                    {
                        case DatastoreName.Running:
                            published = CommitRunning(session, applied, comment);
                            break;
                        case DatastoreName.Startup:
                            Save(_startupFile, store.Tree);
                            break;
                    }
                    store.Valid = validNow;
                }
                catch
                {
                    applied.Undo();
                    throw;
                }
            }
        }
        if (published is not null)
        {
            Committed?.Invoke(published);
            Events.Publish(Notifications.ConfigChangeEvent.From(published, session, DatastoreName.Running));
        }
    }

    /// <summary>Handlers in two phases and the file; throws (after aborting the prepared handlers) when one refuses.</summary>
    private ChangeSet CommitRunning(Session session, Applied applied, string? comment)
    {
        var info = new CommitInfo(Interlocked.Increment(ref _commitId), session.User, session.Northbound, DateTimeOffset.UtcNow, comment);
        var changes = new ChangeSet(applied.Changes, Running.Tree, info);
        var prepared = new List<IChangeHandler>(_handlers.Count);
        byte[]? journalRecord = null;
        try
        {
            foreach (var h in _handlers)
            {
                h.Prepare(changes);
                prepared.Add(h);
            }
            try
            {
                // The first commit the history keeps is a snapshot, so that every kept configuration can be rebuilt.
                journalRecord = _runningFile.Commit(Running.Tree, applied.Changes, snapshot: !History.HasSnapshot);
            }
            catch (IOException io)
            {
                throw new DataException(new DataError(ErrorTag.OperationFailed, null, $"cannot save {_runningFile.Path}: {io.Message}"));
            }
        }
        catch (Exception e)
        {
            for (var i = prepared.Count - 1; i >= 0; i--)
            {
                try
                {
                    prepared[i].Abort(changes);
                }
                catch (Exception)
                {
                    // An abort that fails cannot stop the others from releasing what they reserved.
                }
            }
            if (e is DataException) throw;
            throw new DataException(new DataError(ErrorTag.OperationFailed, null, $"commit failed: {e.Message}"));
        }
        try
        {
            History.Record(info, changes.Changes, journalRecord is null ? _runningFile.Path : null, journalRecord);
        }
        catch (IOException)
        {
            // The commit is saved; a history that cannot be written loses an entry, not the commit.
        }
        if (changes.Changes.Any(c => c.Path.StartsWith("/" + NacmRules.ModuleName + ":", StringComparison.Ordinal)))
            Nacm.Rules = RulesOf(Running.Tree); // still under the write lock: the rules match the configuration
        foreach (var h in _handlers)
        {
            try
            {
                h.Commit(changes);
            }
            catch (Exception)
            {
                // Commit must not fail; a handler that does is its own bug and cannot undo the others.
            }
        }
        return changes;
    }

    private static void Save(ConfigFile file, DataRoot tree)
    {
        try
        {
            file.Save(tree);
        }
        catch (IOException e)
        {
            throw new DataException(new DataError(ErrorTag.OperationFailed, null, $"cannot save {file.Path}: {e.Message}"));
        }
    }

    /// <summary>Swaps in a copy of <paramref name="source"/>; the changes are the fine-grained difference, so handlers see only what differs.</summary>
    private static Applied ReplaceAll(ConfigStore store, DataRoot source)
    {
        var old = store.Tree;
        var replacement = source.DeepClone();
        var changes = DataDiff.Compute(old, replacement);
        var wasValid = store.Valid;
        store.Tree = replacement;
        store.Valid = false;
        return new Applied(changes, () =>
        {
            store.Tree = old;
            store.Valid = wasValid;
        });
    }

    private static Applied ApplyEdit(ConfigStore store, DataRoot edit, EditOperation defaultOperation)
    {
        var applied = DataEditor.ApplyUndoable(store.Tree, edit, defaultOperation);
        return new Applied(applied.Changes, applied.Undo) { Edit = applied };
    }

    /// <summary>A change made to a store's tree, not yet kept: what it changed and how to take it back.</summary>
    private sealed record Applied(IReadOnlyList<DataChange> Changes, Action Undo)
    {
        /// <summary>The edit, when the change is one (validated by what it touches); null for a whole replacement.</summary>
        public DataEditor.AppliedEdit? Edit { get; init; }

        /// <summary>Already validated part by part (continue-on-error).</summary>
        public bool Validated { get; init; }
    }
}
