using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// A port over pcap files (the classic libpcap format, Ethernet link type): frames are received from an input
/// file, once, in order; transmitted frames are appended to an output file. For golden tests and replaying
/// captures without root.
/// </summary>
public sealed class PcapPort : IPacketPort
{
    private const uint Magic = 0xa1b2c3d4, MagicNanos = 0xa1b23c4d;
    private const uint LinkTypeEthernet = 1;

    private readonly byte[] _input;
    private readonly bool _swapped;
    private int _position;
    private readonly FileStream? _output;

    /// <param name="input">A pcap file to receive from, or null.</param>
    /// <param name="output">A pcap file to write what is sent to (created or replaced), or null.</param>
    public PcapPort(string? input, string? output)
    {
        _input = input is null ? [] : File.ReadAllBytes(input);
        if (_input.Length > 0)
        {
            if (_input.Length < 24) throw new InvalidDataException($"{input}: not a pcap file");
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(_input);
            _swapped = magic is not (Magic or MagicNanos);
            if (_swapped && BinaryPrimitives.ReverseEndianness(magic) is not (Magic or MagicNanos)) throw new InvalidDataException($"{input}: not a pcap file");
            if (Read32(20) != LinkTypeEthernet) throw new InvalidDataException($"{input}: link type {Read32(20)}, not Ethernet");
            _position = 24;
        }
        if (output is not null)
        {
            _output = new FileStream(output, FileMode.Create, FileAccess.Write);
            Span<byte> header = stackalloc byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeEthernet);
            _output.Write(header);
        }
    }

    public bool LinkUp => true;

    /// <summary>Frames not received yet.</summary>
    public bool HasMore => _position + 16 <= _input.Length;

    private uint Read32(int at) => _swapped ? BinaryPrimitives.ReadUInt32BigEndian(_input.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(_input.AsSpan(at));

    public int Receive(PacketPool pool, Span<int> into)
    {
        var n = 0;
        while (n < into.Length && HasMore)
        {
            var captured = (int)Read32(_position + 8);
            if (captured < 0 || _position + 16 + captured > _input.Length) throw new InvalidDataException("truncated pcap record");
            var p = pool.Allocate();
            if (p < 0) break;
            var frame = _input.AsSpan(_position + 16, captured);
            _position += 16 + captured;
            var room = pool.Room(p);
            if (frame.Length > room.Length)
            {
                pool.Free(p);
                continue;
            }
            frame.CopyTo(room);
            pool.Meta[p].Length = frame.Length;
            into[n++] = p;
        }
        return n;
    }

    public bool Transmit(PacketPool pool, int packet)
    {
        if (_output is null) return false;
        var frame = pool.Data(packet);
        Span<byte> record = stackalloc byte[16];
        var now = DateTimeOffset.UtcNow;
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)now.ToUnixTimeSeconds());
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(now.Ticks % TimeSpan.TicksPerSecond / 10));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
        _output.Write(record);
        _output.Write(frame);
        return true;
    }

    public void Dispose() => _output?.Dispose();
}
