using System.Security.Cryptography;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// Checksummed records in an append-only file: each is [length: int32][checksum: uint32][payload], the checksum
/// being the first 4 bytes of the payload's SHA-256. Reading stops at the first record that is cut short or
/// fails its checksum (a crash during an append), so a torn tail is dropped, never misread. Appending to an
/// existing file is the cheap write: creating or replacing a file costs a metadata update of the file system.
/// </summary>
public static class RecordLog
{
    private const int HeadSize = 8;

    /// <summary>Appends one record to <paramref name="path"/> (created when missing); <paramref name="durable"/> flushes it to disk.</summary>
    public static void Append(string path, ReadOnlySpan<byte> payload, bool durable)
    {
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        Write(fs, payload);
        if (durable) fs.Flush(flushToDisk: true);
    }

    /// <summary>Writes one record at the stream's position.</summary>
    public static void Write(Stream s, ReadOnlySpan<byte> payload)
    {
        Span<byte> head = stackalloc byte[HeadSize];
        BitConverter.TryWriteBytes(head, payload.Length);
        BitConverter.TryWriteBytes(head[4..], Checksum(payload));
        s.Write(head);
        s.Write(payload);
    }

    /// <summary>The whole records in <paramref name="bytes"/> from <paramref name="start"/> on, up to a torn or corrupt one.</summary>
    public static List<byte[]> ReadAll(ReadOnlySpan<byte> bytes, int start = 0)
    {
        var records = new List<byte[]>();
        var pos = start;
        while (pos + HeadSize <= bytes.Length)
        {
            var length = BitConverter.ToInt32(bytes[pos..]);
            var checksum = BitConverter.ToUInt32(bytes[(pos + 4)..]);
            if (length < 0 || pos + HeadSize + length > bytes.Length) break;
            var payload = bytes.Slice(pos + HeadSize, length);
            if (Checksum(payload) != checksum) break;
            records.Add(payload.ToArray());
            pos += HeadSize + length;
        }
        return records;
    }

    private static uint Checksum(ReadOnlySpan<byte> payload)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        return BitConverter.ToUInt32(hash);
    }
}
