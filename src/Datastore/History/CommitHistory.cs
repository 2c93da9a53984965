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
/// The last N committed configurations of running (<c>STATE/history/</c>): per commit its metadata and the
/// configuration it produced, a hard link to the saved running file (no copy). Listed and diffed by
/// <c>mgmt config history|diff</c>, restored by the rollback RPC of module mgmt-commits.
/// </summary>
public sealed class CommitHistory(string stateDir, int keep = 50)
{
    public const int PathsKept = 100;

    public string Dir { get; } = Path.Combine(stateDir, "history");

    /// <summary>The next commit id: one past the newest kept, so ids keep increasing across restarts.</summary>
    public long NextId() => List().Select(r => r.Id).DefaultIfEmpty(0).Max() + 1;

    /// <summary>Records a commit whose configuration was just saved to <paramref name="savedConfig"/>.</summary>
    public void Record(CommitInfo info, IReadOnlyList<DataChange> changes, string savedConfig)
    {
        Directory.CreateDirectory(Dir);
        var config = ConfigPath(info.Id);
        if (File.Exists(config)) File.Delete(config);
        if (OperatingSystem.IsWindows() || link(savedConfig, config) != 0) File.Copy(savedConfig, config, overwrite: true);
        var record = new CommitRecord(info.Id, info.User, info.Northbound, info.Time, info.Comment, changes.Count,
            changes.Take(PathsKept).Select(c => $"{c.Kind.ToString().ToLowerInvariant()} {c.Path}").ToList());
        AtomicFile.Write(MetaPath(info.Id), JsonSerializer.SerializeToUtf8Bytes(record, HistoryJson.Default.CommitRecord));
        foreach (var old in List().SkipLast(keep))
        {
            File.Delete(MetaPath(old.Id));
            File.Delete(ConfigPath(old.Id));
        }
    }

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

    /// <summary>The saved configuration a commit produced (RFC 7951 JSON), or null when it is no longer kept.</summary>
    public string? ConfigFile(long id) => File.Exists(ConfigPath(id)) ? ConfigPath(id) : null;

    private string MetaPath(long id) => Path.Combine(Dir, $"{id:D10}.meta.json");

    private string ConfigPath(long id) => Path.Combine(Dir, $"{id:D10}.config.json");

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.KebabCaseLower, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CommitRecord))]
internal sealed partial class HistoryJson : System.Text.Json.Serialization.JsonSerializerContext;
