using System.Buffers.Binary;

namespace Mgmt.Dataplane.Packets;

/// <summary>IPv6 header fields (RFC 8200), addresses as big-endian <see cref="UInt128"/>, and ICMPv6 (RFC 4443) checksums.</summary>
public static class Ip6
{
    public const int HeaderLength = 40;
    public const byte ProtoIcmp6 = 58, ProtoTcp = 6, ProtoUdp = 17;

    /// <summary>The minimum link MTU (RFC 8200 §5): an ICMPv6 error never makes a packet larger.</summary>
    public const int MinMtu = 1280;

    public static int PayloadLength(ReadOnlySpan<byte> h) => BinaryPrimitives.ReadUInt16BigEndian(h[4..]);

    public static byte NextHeader(ReadOnlySpan<byte> h) => h[6];

    private const byte HopByHop = 0, Routing = 43, Fragment = 44, DestinationOptions = 60, AuthenticationHeader = 51;

    /// <summary>
    /// Walks the extension headers (RFC 8200 §4: hop-by-hop, routing, fragment, destination options; AH of RFC 4302)
    /// to the upper-layer header: its protocol and offset from the start of the IPv6 header. False when the chain
    /// is cut short by the packet's end, or the packet is a fragment other than the first (no upper-layer header
    /// in it); <paramref name="protocol"/> is then the last next-header value read.
    /// </summary>
    public static bool UpperLayer(ReadOnlySpan<byte> h, out byte protocol, out int offset)
    {
        protocol = h[6];
        offset = HeaderLength;
        for (var i = 0; i < 8; i++) // a bound on the chain; no sane packet has more
        {
            switch (protocol)
            {
                case HopByHop or Routing or DestinationOptions:
                    if (h.Length < offset + 8) return false;
                    protocol = h[offset];
                    offset += (h[offset + 1] + 1) * 8;
                    break;
                case AuthenticationHeader:
                    if (h.Length < offset + 8) return false;
                    protocol = h[offset];
                    offset += (h[offset + 1] + 2) * 4;
                    break;
                case Fragment:
                    if (h.Length < offset + 8) return false;
                    protocol = h[offset];
                    if ((BinaryPrimitives.ReadUInt16BigEndian(h[(offset + 2)..]) & 0xfff8) != 0) return false; // not the first fragment
                    offset += 8;
                    break;
                default:
                    return offset <= h.Length;
            }
        }
        return false;
    }

    /// <summary>
    /// Where the packet's fragment header is (RFC 8200 §4.5), walking the extension headers before it; -1: none (or
    /// the chain is cut short). Its fields: <see cref="FragmentOffset"/>, <see cref="MoreFragments"/>, <see cref="FragmentId"/>.
    /// </summary>
    public static int FragmentHeader(ReadOnlySpan<byte> h)
    {
        var next = h[6];
        var offset = HeaderLength;
        for (var i = 0; i < 8; i++)
        {
            if (h.Length < offset + 8) return -1;
            switch (next)
            {
                case Fragment:
                    return offset;
                case HopByHop or Routing or DestinationOptions:
                    next = h[offset];
                    offset += (h[offset + 1] + 1) * 8;
                    break;
                case AuthenticationHeader:
                    next = h[offset];
                    offset += (h[offset + 1] + 2) * 4;
                    break;
                default:
                    return -1;
            }
        }
        return -1;
    }

    /// <summary>The fragment's offset in 8-byte units (0: the first fragment), from its fragment header at <paramref name="at"/>.</summary>
    public static int FragmentOffset(ReadOnlySpan<byte> h, int at) => BinaryPrimitives.ReadUInt16BigEndian(h[(at + 2)..]) >> 3;

    public static bool MoreFragments(ReadOnlySpan<byte> h, int at) => (h[at + 3] & 1) != 0;

    public static uint FragmentId(ReadOnlySpan<byte> h, int at) => BinaryPrimitives.ReadUInt32BigEndian(h[(at + 4)..]);

    public static byte HopLimit(ReadOnlySpan<byte> h) => h[7];

    public static UInt128 Source(ReadOnlySpan<byte> h) => BinaryPrimitives.ReadUInt128BigEndian(h[8..]);

    public static UInt128 Destination(ReadOnlySpan<byte> h) => BinaryPrimitives.ReadUInt128BigEndian(h[24..]);

    /// <summary>The IPv4-mapped IPv6 address of an IPv4 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2).</summary>
    public static UInt128 Mapped(uint ip4) => (UInt128)0xffff_0000_0000UL | ip4;

    public static bool IsMapped(UInt128 a) => a >> 32 == 0xffff;

    public static bool IsMulticast(UInt128 a) => (byte)(a >> 120) == 0xff;

    public static bool IsLinkLocal(UInt128 a) => (ushort)(a >> 112) >> 6 == 0xfe80 >> 6;

    /// <summary>The solicited-node multicast address of an address (RFC 4291 §2.7.1): ff02::1:ffXX:XXXX.</summary>
    public static UInt128 SolicitedNode(UInt128 a) => ((UInt128)0xff02_0000_0000_0000UL << 64) | 0x0000_0001_ff00_0000UL | (a & 0xff_ffff);

    /// <summary>The Ethernet address of an IPv6 multicast group (RFC 2464 §7): 33:33 and its last 32 bits.</summary>
    public static ulong MulticastMac(UInt128 group) => 0x3333_0000_0000UL | (uint)group;

    /// <summary>A link-local address with an EUI-64 interface identifier made from a MAC (RFC 4291 appendix A).</summary>
    public static UInt128 LinkLocal(ulong mac)
    {
        var id = (mac >> 24 << 40) | 0xff_fe00_0000UL | (mac & 0xff_ffff);
        id ^= 0x0200_0000_0000_0000UL; // the universal/local bit
        return ((UInt128)0xfe80_0000_0000_0000UL << 64) | id;
    }

    public static void WriteHeader(Span<byte> h, int payloadLength, byte nextHeader, byte hopLimit, UInt128 source, UInt128 destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(h, 0x6000_0000);
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], (ushort)payloadLength);
        h[6] = nextHeader;
        h[7] = hopLimit;
        BinaryPrimitives.WriteUInt128BigEndian(h[8..], source);
        BinaryPrimitives.WriteUInt128BigEndian(h[24..], destination);
    }

    /// <summary>The upper-layer checksum with the IPv6 pseudo-header (RFC 8200 §8.1) over <paramref name="payload"/>.</summary>
    public static ushort UpperChecksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, byte nextHeader)
    {
        var sum = Checksum.Sum(header.Slice(8, 32));
        sum += (uint)payload.Length >> 16;
        sum += (uint)payload.Length & 0xffff;
        sum += nextHeader;
        return (ushort)~Checksum.Fold(Checksum.Sum(payload, sum));
    }

    public static bool UpperChecksumValid(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, byte nextHeader)
    {
        var sum = Checksum.Sum(header.Slice(8, 32));
        sum += (uint)payload.Length >> 16;
        sum += (uint)payload.Length & 0xffff;
        sum += nextHeader;
        return Checksum.Fold(Checksum.Sum(payload, sum)) == 0xffff;
    }

    public static UInt128 Parse(string text) =>
        BinaryPrimitives.ReadUInt128BigEndian(System.Net.IPAddress.Parse(text).GetAddressBytes());

    public static string Format(UInt128 a)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, a);
        return new System.Net.IPAddress(bytes).ToString();
    }

    public static UInt128 Mask(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);
}
