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
/// The last N commits to running (<c>STATE/history/</c>): per commit its metadata and either the change
/// document the journal recorded or, for a commit that wrote a snapshot, a hard link to it (no copy). The
/// configuration after any kept commit is rebuilt from the nearest snapshot before it and the changes since.
/// Listed and diffed by <c>mgmt config history|diff</c>, restored by the rollback RPC of module mgmt-commits.
/// </summary>
public sealed class CommitHistory(string stateDir, int keep = 50)
{
    public const int PathsKept = 100;

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Dir { get; } = Path.Combine(stateDir, "history");

    /// <summary>The next commit id: one past the newest kept, so ids keep increasing across restarts.</summary>
    public long NextId() => List().Select(r => r.Id).DefaultIfEmpty(0).Max() + 1;

    /// <summary>Records a commit whose configuration was just saved to <paramref name="savedConfig"/>.</summary>
    /// <param name="info">The commit.</param>
    /// <param name="changes">What it changed.</param>
    /// <param name="snapshot">The snapshot file it wrote, or null when it went to the journal.</param>
    /// <param name="journalRecord">The change document it appended to the journal (when <paramref name="snapshot"/> is null).</param>
    public void Record(CommitInfo info, IReadOnlyList<DataChange> changes, string? snapshot, byte[]? journalRecord)
    {
        Directory.CreateDirectory(Dir);
        if (snapshot is not null)
        {
            var config = ConfigPath(info.Id);
            if (File.Exists(config)) File.Delete(config);
            if (OperatingSystem.IsWindows() || link(snapshot, config) != 0) File.Copy(snapshot, config, overwrite: true);
        }
        else if (journalRecord is not null)
        {
            AtomicFile.Write(EditPath(info.Id), journalRecord, Private, durable: false);
        }
        var record = new CommitRecord(info.Id, info.User, info.Northbound, info.Time, info.Comment, changes.Count,
            changes.Take(PathsKept).Select(c => $"{c.Kind.ToString().ToLowerInvariant()} {c.Path}").ToList());
        AtomicFile.Write(MetaPath(info.Id), JsonSerializer.SerializeToUtf8Bytes(record, HistoryJson.Default.CommitRecord), Private, durable: false);
        foreach (var old in List().SkipLast(keep))
        {
            File.Delete(MetaPath(old.Id));
            File.Delete(ConfigPath(old.Id));
            File.Delete(EditPath(old.Id));
        }
    }

    /// <summary>True when some kept commit has a snapshot to rebuild configurations from.</summary>
    public bool HasSnapshot => Directory.Exists(Dir) && Directory.EnumerateFiles(Dir, "*.config.json").Any();

    /// <summary>Kept commits, oldest first.</summary>
    public IReadOnlyList<CommitRecord> List()
    {
        if (!Directory.Exists(Dir)) return [];
        var records = new List<CommitRecord>();
        foreach (var file in Directory.EnumerateFiles(Dir, "*.meta.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllBytes(file), HistoryJson.Default.CommitRecord) is { } r) records.Add(r);
            }
            catch (JsonException)
            {
                // A torn metadata file (crash while writing) is skipped; its configuration is still there.
            }
        }
        return records.OrderBy(r => r.Id).ToList();
    }

    /// <summary>
    /// The configuration a commit produced: the nearest kept snapshot at or before it, with the change documents
    /// of the commits after it replayed. Null when the commit, or what is needed to rebuild it, is no longer kept.
    /// </summary>
    public DataRoot? Configuration(long id, Yang.Schema.SchemaContext context)
    {
        var kept = List().Select(r => r.Id).Where(i => i <= id).ToList();
        if (!kept.Contains(id)) return null;
        var baseId = kept.LastOrDefault(i => File.Exists(ConfigPath(i)), -1);
        if (baseId < 0) return null;
        var tree = new ConfigFile(ConfigPath(baseId)).Load(context);
        foreach (var i in kept.Where(i => i > baseId))
        {
            if (!File.Exists(EditPath(i))) return null;
            ConfigFile.Replay(context, tree, File.ReadAllBytes(EditPath(i)));
        }
        return tree;
    }

    private string MetaPath(long id) => Path.Combine(Dir, $"{id:D10}.meta.json");

    private string ConfigPath(long id) => Path.Combine(Dir, $"{id:D10}.config.json");

    private string EditPath(long id) => Path.Combine(Dir, $"{id:D10}.edit.xml");

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.KebabCaseLower, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CommitRecord))]
internal sealed partial class HistoryJson : System.Text.Json.Serialization.JsonSerializerContext;
