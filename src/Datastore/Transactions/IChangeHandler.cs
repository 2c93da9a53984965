using Mgmt.Yang.Data;

namespace Mgmt.Datastore.Transactions;

/// <summary>
/// Receives every change to running in two phases, as the translation layer does to program the dataplane.
/// <see cref="Prepare"/> checks and reserves (throw a <see cref="DataException"/> to refuse the whole commit);
/// <see cref="Commit"/> makes it real and must not fail; <see cref="Abort"/> releases what Prepare reserved
/// when this or a later handler refused. Handlers run one commit at a time, in registration order
/// (aborts in reverse order).
/// </summary>
public interface IChangeHandler
{
    string Name { get; }

    void Prepare(ChangeSet changes);

    void Commit(ChangeSet changes);

    void Abort(ChangeSet changes);
}

/// <summary>What a commit changes, with the new configuration it leads to (read-only while handlers run).</summary>
/// <param name="Changes">Created, deleted and modified nodes in the order the edit made them.</param>
/// <param name="NewConfig">The whole configuration as it will be after the commit.</param>
/// <param name="Info">Who commits, from where, when.</param>
public sealed record ChangeSet(IReadOnlyList<DataChange> Changes, DataRoot NewConfig, CommitInfo Info);

/// <param name="Id">Commit number, increasing for the daemon's life and kept across restarts in the history.</param>
public sealed record CommitInfo(long Id, string User, string Northbound, DateTimeOffset Time, string? Comment = null);
