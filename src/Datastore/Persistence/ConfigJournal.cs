using System.Security.Cryptography;
using System.Text;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// The commits made since the last snapshot of a datastore file, appended and flushed one by one, so that a
/// small commit costs a small write whatever the size of the configuration. Layout: a header line naming the
/// SHA-256 of the snapshot it continues, then records of [length][checksum][payload] (checksum: the first 4 bytes of the payload's SHA-256). A journal whose header
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
    public void Append(ReadOnlySpan<byte> payload)
    {
        using var fs = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        Span<byte> head = stackalloc byte[8];
        BitConverter.TryWriteBytes(head, payload.Length);
        BitConverter.TryWriteBytes(head[4..], Checksum(payload));
        fs.Write(head);
        fs.Write(payload);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>The records that continue the snapshot with this hash; empty when there is no journal or it is stale.</summary>
    public IReadOnlyList<byte[]> Read(string snapshotHash)
    {
        if (!File.Exists(Path)) return [];
        var bytes = File.ReadAllBytes(Path);
        var header = Encoding.ASCII.GetBytes(Magic + snapshotHash + "\n");
        if (!bytes.AsSpan().StartsWith(header)) return [];
        var records = new List<byte[]>();
        var pos = header.Length;
        while (pos + 8 <= bytes.Length)
        {
            var length = BitConverter.ToInt32(bytes, pos);
            var crc = BitConverter.ToUInt32(bytes, pos + 4);
            if (length < 0 || pos + 8 + length > bytes.Length) break; // torn tail
            var payload = bytes.AsSpan(pos + 8, length);
            if (Checksum(payload) != crc) break;
            records.Add(payload.ToArray());
            pos += 8 + length;
        }
        return records;
    }

    private static uint Checksum(ReadOnlySpan<byte> payload)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        return BitConverter.ToUInt32(hash);
    }

    public void Delete()
    {
        if (File.Exists(Path)) File.Delete(Path);
    }
}
