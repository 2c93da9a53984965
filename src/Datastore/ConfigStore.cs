using Mgmt.Yang.Data;

namespace Mgmt.Datastore;

/// <summary>
/// One configuration datastore: its tree and the reader/writer lock that keeps readers from seeing a change
/// half-applied. Readers hold the read lock while they copy or serialize; the transaction engine holds the
/// write lock from the first change to the commit or the undo.
/// </summary>
public sealed class ConfigStore(DatastoreName name, DataRoot tree)
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    public DatastoreName Name { get; } = name;

    /// <summary>The live tree: only touch it inside <see cref="Read{T}"/> or while holding the write lock.</summary>
    internal DataRoot Tree { get; set; } = tree;

    /// <summary>
    /// True while <see cref="Tree"/> is known to be valid as a whole (it passed validation and only validated
    /// edits followed): an edit is then validated by what it touches only.
    /// </summary>
    internal bool Valid { get; set; }

    /// <summary>Runs <paramref name="reader"/> on a consistent tree (no commit runs meanwhile); it must not keep references.</summary>
    public T Read<T>(Func<DataRoot, T> reader)
    {
        _lock.EnterReadLock();
        try
        {
            return reader(Tree);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>A private copy of the whole configuration.</summary>
    public DataRoot Snapshot() => Read(t => t.DeepClone());

    internal IDisposable Write()
    {
        _lock.EnterWriteLock();
        return new Releaser(_lock);
    }

    private sealed class Releaser(ReaderWriterLockSlim l) : IDisposable
    {
        private ReaderWriterLockSlim? _l = l;

        public void Dispose()
        {
            _l?.ExitWriteLock();
            _l = null;
        }
    }
}
