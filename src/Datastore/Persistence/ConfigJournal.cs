using System.Security.Cryptography;
using System.Text;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// The commits made since the last snapshot of a datastore file, appended and flushed one by one, so that a
/// small commit costs a small write whatever the size of the configuration. Layout: a header line naming the
/// SHA-256 of the snapshot it continues, then <see cref="RecordLog"/> records. A journal whose header
/// does not match the snapshot (a crash between the two) is stale and ignored; a torn last record (a crash
/// during the append, before the commit was acknowledged) is dropped.
/// </summary>
public sealed class ConfigJournal(string path)
{
    private const string Magic = "MGMT-JOURNAL 1 ";

    public string Path { get; } = path;

    public long Length => File.Exists(Path) ? new FileInfo(Path).Length : 0;

    public static string HashOf(ReadOnlySpan<byte> snapshot) => Convert.ToHexStringLower(SHA256.HashData(snapshot));

    /// <summary>Starts an empty journal after a new snapshot (written beside and renamed over the old one).</summary>
    public void Reset(string snapshotHash) => AtomicFile.Write(Path, Encoding.ASCII.GetBytes(Magic + snapshotHash + "\n"));

    /// <summary>Appends one record and flushes it to disk before returning.</summary>
    public void Append(ReadOnlySpan<byte> payload) => RecordLog.Append(Path, payload, durable: true);

    /// <summary>The records that continue the snapshot with this hash; empty when there is no journal or it is stale.</summary>
    public IReadOnlyList<byte[]> Read(string snapshotHash)
    {
        if (!File.Exists(Path)) return [];
        var bytes = File.ReadAllBytes(Path);
        var header = Encoding.ASCII.GetBytes(Magic + snapshotHash + "\n");
        return bytes.AsSpan().StartsWith(header) ? RecordLog.ReadAll(bytes, header.Length) : [];
    }

    public void Delete()
    {
        if (File.Exists(Path)) File.Delete(Path);
    }
}
