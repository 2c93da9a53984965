using System.Buffers.Binary;

namespace Mgmt.Dataplane.Tests;

/// <summary>Classic pcap files (Ethernet), read and written whole.</summary>
internal static class PcapFile
{
    public static List<byte[]> Read(string path)
    {
        var file = File.ReadAllBytes(path);
        var frames = new List<byte[]>();
        for (var at = 24; at + 16 <= file.Length;)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 8));
            frames.Add(file[(at + 16)..(at + 16 + length)]);
            at += 16 + length;
        }
        return frames;
    }

    public static void Write(string path, IEnumerable<byte[]> frames)
    {
        using var f = File.Create(path);
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
        f.Write(header);
        foreach (var frame in frames)
        {
            var record = new byte[16];
            BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(8), frame.Length);
            BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(12), frame.Length);
            f.Write(record);
            f.Write(frame);
        }
    }
}
