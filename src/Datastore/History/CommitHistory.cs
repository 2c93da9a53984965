using System.Runtime.InteropServices;
using System.Text.Json;
using Mgmt.Datastore.Persistence;
using Mgmt.Datastore.Transactions;
using Mgmt.Yang.Data;

namespace Mgmt.Datastore.History;

/// <summary>One commit to running as the history keeps it.</summary>
/// <param name="Changes">How many nodes the commit created, deleted or modified.</param>
/// <param name="Paths">The first changed paths (at most <see cref="CommitHistory.PathsKept"/>).</param>
public sealed record CommitRecord(long Id, string User, string Northbound, DateTimeOffset Time, string? Comment, int Changes, IReadOnlyList<string> Paths);

/// <summary>
/// The last N commits to running (<c>STATE/history/</c>): one append-only log (<c>commits.log</c>,
/// <see cref="RecordLog"/> records) with per commit its metadata and the change document the journal
/// recorded, and for a commit that wrote a snapshot a hard link to it (<c>ID.config.json</c>, no copy). The
/// configuration after any kept commit is rebuilt from the nearest snapshot before it and the changes since.
/// A commit appends one record (no file is created); the log is rewritten with the kept commits only once
/// it holds twice as many. Listed and diffed by <c>mgmt config history|diff</c>, restored by the rollback
/// RPC of module mgmt-commits. Nothing here is flushed to disk: a crash may lose history, never configuration.
/// </summary>
public sealed class CommitHistory(string stateDir, int keep = 50)
{
    public const int PathsKept = 100;

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // What the directory holds, read once: then a commit only appends.
    private readonly Lock _gate = new();
    private List<CommitRecord>? _records;
    private HashSet<long>? _snapshots;
    private int _logged;

    public string Dir { get; } = Path.Combine(stateDir, "history");

    private string LogPath => Path.Combine(Dir, "commits.log");

    /// <summary>The next commit id: one past the newest kept, so ids keep increasing across restarts.</summary>
    public long NextId() => List().Select(r => r.Id).DefaultIfEmpty(0).Max() + 1;

    /// <summary>Records a commit that was just saved to the datastore file.</summary>
    /// <param name="info">The commit.</param>
    /// <param name="changes">What it changed.</param>
    /// <param name="snapshot">The snapshot file it wrote, or null when it went to the journal.</param>
    /// <param name="journalRecord">The change document it appended to the journal (when <paramref name="snapshot"/> is null).</param>
    public void Record(CommitInfo info, IReadOnlyList<DataChange> changes, string? snapshot, byte[]? journalRecord)
    {
        lock (_gate)
        {
            Load();
            Directory.CreateDirectory(Dir);
            if (snapshot is not null)
            {
                var config = ConfigPath(info.Id);
                if (File.Exists(config)) File.Delete(config);
                if (OperatingSystem.IsWindows() || link(snapshot, config) != 0) File.Copy(snapshot, config, overwrite: true);
                _snapshots!.Add(info.Id);
            }
            var record = new CommitRecord(info.Id, info.User, info.Northbound, info.Time, info.Comment, changes.Count,
                changes.Take(PathsKept).Select(c => $"{c.Kind.ToString().ToLowerInvariant()} {c.Path}").ToList());
            RecordLog.Append(LogPath, Payload(record, snapshot is null ? journalRecord : null), durable: false);
            _records!.Add(record);
            _logged++;
            if (_records.Count > keep) Prune();
        }
    }

    /// <summary>Forgets the oldest commits beyond the kept number; the log is rewritten once it holds twice that many.</summary>
    private void Prune()
    {
        while (_records!.Count > keep)
        {
            var old = _records[0].Id;
            _records.RemoveAt(0);
            if (_snapshots!.Remove(old)) File.Delete(ConfigPath(old));
        }
        if (_logged < 2 * keep) return;
        var kept = _records.Select(r => r.Id).ToHashSet();
        using var buffer = new MemoryStream();
        foreach (var (record, edit) in ReadLog())
            if (kept.Contains(record.Id)) RecordLog.Write(buffer, Payload(record, edit));
        AtomicFile.Write(LogPath, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Private, durable: false);
        _logged = _records.Count;
    }

    /// <summary>One log record: [metadata length: int32][metadata JSON][change document, possibly empty].</summary>
    private static byte[] Payload(CommitRecord record, byte[]? edit)
    {
        var meta = JsonSerializer.SerializeToUtf8Bytes(record, HistoryJson.Default.CommitRecord);
        var payload = new byte[4 + meta.Length + (edit?.Length ?? 0)];
        BitConverter.TryWriteBytes(payload, meta.Length);
        meta.CopyTo(payload, 4);
        edit?.CopyTo(payload, 4 + meta.Length);
        return payload;
    }

    /// <summary>Every readable record of the log, oldest first, with its change document (null for a snapshot commit).</summary>
    private List<(CommitRecord Record, byte[]? Edit)> ReadLog()
    {
        var result = new List<(CommitRecord, byte[]?)>();
        if (!File.Exists(LogPath)) return result;
        foreach (var payload in RecordLog.ReadAll(File.ReadAllBytes(LogPath)))
        {
            if (payload.Length < 4) continue;
            var metaLength = BitConverter.ToInt32(payload);
            if (metaLength < 0 || 4 + metaLength > payload.Length) continue;
            try
            {
                if (JsonSerializer.Deserialize(payload.AsSpan(4, metaLength), HistoryJson.Default.CommitRecord) is { } r)
                    result.Add((r, payload.Length > 4 + metaLength ? payload[(4 + metaLength)..] : null));
            }
            catch (JsonException)
            {
                // Checksummed, so only a record written by something else: skipped.
            }
        }
        return result;
    }

    /// <summary>True when some kept commit has a snapshot to rebuild configurations from.</summary>
    public bool HasSnapshot
    {
        get
        {
            lock (_gate)
            {
                Load();
                return _snapshots!.Count > 0;
            }
        }
    }

    /// <summary>Kept commits, oldest first.</summary>
    public IReadOnlyList<CommitRecord> List()
    {
        lock (_gate)
        {
            Load();
            return [.. _records!];
        }
    }

    private void Load()
    {
        if (_records is not null) return;
        var log = ReadLog();
        _logged = log.Count;
        List<CommitRecord> records = [.. log.Select(e => e.Record).TakeLast(keep)];
        _snapshots = [.. records.Select(r => r.Id).Where(id => File.Exists(ConfigPath(id)))];
        _records = records;
    }

    /// <summary>
    /// The configuration a commit produced: the nearest kept snapshot at or before it, with the change documents
    /// of the commits after it replayed. Null when the commit, or what is needed to rebuild it, is no longer kept.
    /// </summary>
    public DataRoot? Configuration(long id, Yang.Schema.SchemaContext context)
    {
        List<(CommitRecord Record, byte[]? Edit)> log;
        HashSet<long> snapshots;
        lock (_gate)
        {
            Load();
            if (!_records!.Any(r => r.Id == id)) return null;
            var kept = _records!.Select(r => r.Id).ToHashSet();
            log = [.. ReadLog().Where(e => kept.Contains(e.Record.Id) && e.Record.Id <= id)];
            snapshots = [.. _snapshots!];
        }
        var baseIndex = log.FindLastIndex(e => snapshots.Contains(e.Record.Id));
        if (baseIndex < 0) return null;
        var tree = new ConfigFile(ConfigPath(log[baseIndex].Record.Id)).Load(context);
        for (var i = baseIndex + 1; i < log.Count; i++)
        {
            if (log[i].Edit is not { } edit) return null;
            ConfigFile.Replay(context, tree, edit);
        }
        return tree;
    }

    private string ConfigPath(long id) => Path.Combine(Dir, $"{id:D10}.config.json");

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.KebabCaseLower, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CommitRecord))]
internal sealed partial class HistoryJson : System.Text.Json.Serialization.JsonSerializerContext;
