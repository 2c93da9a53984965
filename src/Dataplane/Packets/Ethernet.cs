using System.Buffers.Binary;

namespace Mgmt.Dataplane.Packets;

/// <summary>Ethernet II framing: field offsets and MAC addresses kept as the low 48 bits of a ulong.</summary>
public static class Ethernet
{
    public const int HeaderLength = 14;
    public const ushort TypeIp4 = 0x0800;
    public const ushort TypeArp = 0x0806;
    public const ushort TypeIp6 = 0x86dd;
    public const ulong Broadcast = 0xffff_ffff_ffff;

    public static ulong Destination(ReadOnlySpan<byte> frame) => Read48(frame);

    public static ulong Source(ReadOnlySpan<byte> frame) => Read48(frame[6..]);

    public static ushort Type(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);

    /// <summary>Group (multicast or broadcast) addresses have the I/G bit, the lowest bit of the first octet.</summary>
    public static bool IsGroup(ulong mac) => (mac >> 40 & 1) != 0;

    public static ulong Read48(ReadOnlySpan<byte> b) => (ulong)BinaryPrimitives.ReadUInt16BigEndian(b) << 32 | BinaryPrimitives.ReadUInt32BigEndian(b[2..]);

    public static void Write48(Span<byte> b, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(b[2..], (uint)mac);
    }

    public static void WriteHeader(Span<byte> frame, ulong destination, ulong source, ushort type)
    {
        Write48(frame, destination);
        Write48(frame[6..], source);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], type);
    }

    public static string Format(ulong mac) => string.Join(':', Enumerable.Range(0, 6).Select(i => ((byte)(mac >> (40 - 8 * i))).ToString("x2")));

    public static ulong Parse(string text)
    {
        var parts = text.Split(':', '-');
        if (parts.Length != 6) throw new FormatException($"\"{text}\" is not a MAC address");
        ulong mac = 0;
        foreach (var p in parts) mac = mac << 8 | Convert.ToByte(p, 16);
        return mac;
    }
}

/// <summary>IPv4 header fields (RFC 791) at their offsets from the start of the header.</summary>
public static class Ip4
{
    public const int MinHeaderLength = 20;
    public const byte ProtoIcmp = 1, ProtoTcp = 6, ProtoUdp = 17;

    public static int HeaderLength(ReadOnlySpan<byte> h) => (h[0] & 0x0f) * 4;

    public static int TotalLength(ReadOnlySpan<byte> h) => BinaryPrimitives.ReadUInt16BigEndian(h[2..]);

    public static bool DontFragment(ReadOnlySpan<byte> h) => (h[6] & 0x40) != 0;

    public static byte Ttl(ReadOnlySpan<byte> h) => h[8];

    public static byte Protocol(ReadOnlySpan<byte> h) => h[9];

    public static uint Source(ReadOnlySpan<byte> h) => BinaryPrimitives.ReadUInt32BigEndian(h[12..]);

    public static uint Destination(ReadOnlySpan<byte> h) => BinaryPrimitives.ReadUInt32BigEndian(h[16..]);

    /// <summary>Lowers the TTL by one and updates the header checksum incrementally (RFC 1624).</summary>
    public static void DecrementTtl(Span<byte> h)
    {
        // The TTL/protocol word before and after, made from one read: reading the word back after the byte store
        // would stall on the store (a narrow store does not forward to a wider load), the hottest spot of ip4-rewrite.
        var old = BinaryPrimitives.ReadUInt16BigEndian(h[8..]);
        var now = (ushort)(old - 0x100);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(h[10..]), old, now));
        h[8] = (byte)(now >> 8);
    }

    /// <summary>
    /// Writes an option-less IPv4 header with its checksum. The checksum is summed from the values, not read back
    /// from the bytes just stored (a load over several narrower stores waits for them: a failed store-to-load forward).
    /// </summary>
    public static void WriteHeader(Span<byte> h, int totalLength, byte ttl, byte protocol, uint source, uint destination, ushort id = 0,
        byte tos = 0, bool dontFragment = false)
    {
        var flags = dontFragment ? 0x4000u : 0u;
        var sum = (0x4500u | tos) + (uint)(ushort)totalLength + id + flags + ((uint)ttl << 8 | protocol)
            + (source >> 16) + (source & 0xffff) + (destination >> 16) + (destination & 0xffff);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        h[0] = 0x45;
        h[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], (ushort)flags);
        h[8] = ttl;
        h[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], (ushort)~sum);
        BinaryPrimitives.WriteUInt32BigEndian(h[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(h[16..], destination);
    }

    public static uint Parse(string text) => BinaryPrimitives.ReadUInt32BigEndian(System.Net.IPAddress.Parse(text).GetAddressBytes());

    public static string Format(uint address) => new System.Net.IPAddress(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(address))).ToString();
}
