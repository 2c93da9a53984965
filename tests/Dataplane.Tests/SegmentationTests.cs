using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// Software GSO (<see cref="Segmentation"/>) on superframes built byte by byte, every field of every segment and its
/// checksums checked by a plain 16-bit sum of the test's own; and on superframes scapy made, whose segments must be
/// byte for byte those scapy makes of them (Golden/gso.py).
/// </summary>
public sealed class SegmentationTests
{
    private const ulong Dst = 0x0200_0000_0001, Src = 0x02aa_0000_000a;

    private static byte Data(int i, int seed) => (byte)(i * seed + i / 256);

    // Ethernet, IPv4 (DF) or IPv6, then TCP with `options` bytes of options (12: NOP NOP timestamps) or UDP, and the
    // payload; the transport checksum field holds junk (as a partial sum of a sender's offload would).
    internal static byte[] Superframe(bool ip6, bool udp, int payload, uint seq = 1000, byte flags = 0x10, ushort id = 1, int options = 12)
    {
        var l3 = 14;
        var ipHeader = ip6 ? 40 : 20;
        var l4Header = udp ? 8 : 20 + options;
        var frame = new byte[l3 + ipHeader + l4Header + payload];
        Ethernet.WriteHeader(frame, Dst, Src, ip6 ? Ethernet.TypeIp6 : Ethernet.TypeIp4);
        var ip = frame.AsSpan(l3);
        var protocol = udp ? Ip4.ProtoUdp : Ip4.ProtoTcp;
        if (ip6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(l4Header + payload));
            ip[6] = protocol;
            ip[7] = 64;
            BinaryPrimitives.WriteUInt128BigEndian(ip[8..], Ip6.Parse("2001:db8:a::2"));
            BinaryPrimitives.WriteUInt128BigEndian(ip[24..], Ip6.Parse("2001:db8:b::2"));
        }
        else
        {
            Ip4.WriteHeader(ip, 20 + l4Header + payload, 64, protocol, Ip4.Parse("10.0.1.2"), Ip4.Parse("10.0.2.2"), id);
            ip[6] = 0x40;
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip[..20]));
        }
        var l4 = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(l4, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(l4[2..], 80);
        if (udp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)(8 + payload));
            BinaryPrimitives.WriteUInt16BigEndian(l4[6..], 0xbeef);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(l4[4..], seq);
            BinaryPrimitives.WriteUInt32BigEndian(l4[8..], 77);
            l4[12] = (byte)((20 + options) / 4 << 4);
            l4[13] = flags;
            BinaryPrimitives.WriteUInt16BigEndian(l4[14..], 501);
            BinaryPrimitives.WriteUInt16BigEndian(l4[16..], 0xbeef);
            for (var i = 0; i < options; i++) l4[20 + i] = i < 2 ? (byte)1 : (byte)(0x40 + i); // NOP NOP, then "option" bytes
        }
        for (var i = 0; i < payload; i++) l4[l4Header + i] = Data(i, 7);
        return frame;
    }

    // The Internet checksum the slow way, for checking (RFC 1071).
    private static ushort Sum16(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i += 2) sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)sum;
    }

    private static bool TransportChecksumValid(ReadOnlySpan<byte> ip, bool ip6, int l4Offset, byte protocol)
    {
        var l4 = ip[l4Offset..];
        var pseudo = new byte[ip6 ? 40 : 12];
        if (ip6)
        {
            ip.Slice(8, 32).CopyTo(pseudo);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)l4.Length);
            pseudo[39] = protocol;
        }
        else
        {
            ip.Slice(12, 8).CopyTo(pseudo);
            pseudo[9] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)l4.Length);
        }
        var sum = (uint)Sum16(pseudo) + Sum16(l4);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return sum == 0xffff;
    }

    private static List<byte[]> Cut(byte[] frame, byte gsoType, int size)
    {
        Assert.True(Segmentation.TryParse(frame, gsoType, size, out var s));
        var segments = new List<byte[]>();
        var buffer = new byte[2048];
        for (var i = 0; i < s.Count; i++)
        {
            var n = Segmentation.WriteSegment(frame, s, i, buffer);
            Assert.True(n > 0);
            segments.Add(buffer[..n]);
        }
        return segments;
    }

    [Fact]
    public void TCP_over_IPv4_with_options_is_cut_into_MSS_segments_with_their_own_headers()
    {
        const byte fin = 0x01, psh = 0x08, ack = 0x10, cwr = 0x80;
        // 3500 bytes at 1448 a segment: 1448, 1448 and a shorter last of 604; the identification and the sequence
        // number wrap on the way.
        var frame = Superframe(ip6: false, udp: false, payload: 3500, seq: 0xffff_fa00, flags: fin | psh | ack | cwr, id: 0xffff);
        var segments = Cut(frame, Segmentation.GsoTcp4 | Segmentation.GsoEcn, 1448);
        Assert.Equal(3, segments.Count);
        int[] lengths = [1448, 1448, 604];
        for (var i = 0; i < 3; i++)
        {
            var seg = segments[i];
            var ip = seg.AsSpan(14);
            Assert.Equal(14 + 20 + 32 + lengths[i], seg.Length);
            Assert.Equal(frame.AsSpan(0, 14).ToArray(), seg[..14]); // Ethernet header
            Assert.Equal(20 + 32 + lengths[i], Ip4.TotalLength(ip));
            Assert.Equal((ushort)(0xffff + i), BinaryPrimitives.ReadUInt16BigEndian(ip[4..])); // 0xffff, 0, 1
            Assert.Equal(0x40, ip[6]); // DF kept
            Assert.Equal(0xffff, Sum16(ip[..20])); // header checksum
            var tcp = ip[20..];
            Assert.Equal(unchecked(0xffff_fa00u + (uint)(1448 * i)), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
            Assert.Equal(77u, BinaryPrimitives.ReadUInt32BigEndian(tcp[8..])); // ack
            Assert.Equal(frame.AsSpan(14 + 20 + 14, 2).ToArray(), tcp.Slice(14, 2).ToArray()); // window
            Assert.Equal(frame.AsSpan(14 + 20 + 20, 12).ToArray(), tcp.Slice(20, 12).ToArray()); // the options
            byte expected = ack;
            if (i == 2) expected |= fin | psh;
            if (i == 0) expected |= cwr;
            Assert.Equal(expected, tcp[13]);
            Assert.True(TransportChecksumValid(ip, false, 20, Ip4.ProtoTcp), $"TCP checksum of segment {i}");
            for (var k = 0; k < lengths[i]; k++)
                if (tcp[32 + k] != Data(1448 * i + k, 7)) Assert.Fail($"segment {i} byte {k}");
        }
    }

    [Fact]
    public void TCP_over_IPv6_segments_carry_their_payload_length_and_checksums()
    {
        var frame = Superframe(ip6: true, udp: false, payload: 4000, seq: 99, flags: 0x18, options: 0);
        var segments = Cut(frame, Segmentation.GsoTcp6, 1428);
        Assert.Equal([14 + 40 + 20 + 1428, 14 + 40 + 20 + 1428, 14 + 40 + 20 + 1144], segments.Select(s => s.Length));
        for (var i = 0; i < 3; i++)
        {
            var ip = segments[i].AsSpan(14);
            Assert.Equal(segments[i].Length - 14 - 40, Ip6.PayloadLength(ip));
            Assert.Equal(frame.AsSpan(14, 4).ToArray(), ip[..4].ToArray()); // version, class, flow label
            Assert.Equal(99u + (uint)(1428 * i), BinaryPrimitives.ReadUInt32BigEndian(ip[44..]));
            Assert.Equal(i == 2 ? 0x18 : 0x10, ip[40 + 13]); // PSH on the last only
            Assert.True(TransportChecksumValid(ip, true, 40, Ip6.ProtoTcp), $"TCP checksum of segment {i}");
            Assert.Equal(frame.AsSpan(14 + 40 + 20 + 1428 * i, segments[i].Length - 74).ToArray(), segments[i][74..]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UDP_GSO_makes_datagrams_of_the_segment_size_and_a_shorter_last(bool ip6)
    {
        var frame = Superframe(ip6, udp: true, payload: 2500, id: 100);
        var segments = Cut(frame, Segmentation.GsoUdpL4, 1000);
        var header = 14 + (ip6 ? 40 : 20);
        Assert.Equal([header + 1008, header + 1008, header + 508], segments.Select(s => s.Length));
        for (var i = 0; i < 3; i++)
        {
            var ip = segments[i].AsSpan(14);
            var udp = segments[i].AsSpan(header);
            Assert.Equal(udp.Length, BinaryPrimitives.ReadUInt16BigEndian(udp[4..]));
            if (!ip6)
            {
                Assert.Equal(100 + i, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
                Assert.Equal(ip.Length, Ip4.TotalLength(ip));
                Assert.Equal(0xffff, Sum16(ip[..20]));
            }
            else Assert.Equal(udp.Length, Ip6.PayloadLength(ip));
            Assert.True(TransportChecksumValid(ip, ip6, ip6 ? 40 : 20, Ip4.ProtoUdp), $"UDP checksum of datagram {i}");
            Assert.Equal(frame.AsSpan(header + 8 + 1000 * i, udp.Length - 8).ToArray(), udp[8..].ToArray());
        }
    }

    [Fact]
    public void A_UDP_checksum_that_comes_out_zero_is_sent_as_all_ones()
    {
        var frame = Superframe(ip6: false, udp: true, payload: 2500);
        var first = Cut(frame, Segmentation.GsoUdpL4, 1000)[0];
        // Adding the checksum to a payload word makes the first datagram's sum all ones, its checksum zero.
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(first.AsSpan(14 + 20 + 6));
        var at = 14 + 20 + 8;
        var word = (uint)BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at)) + checksum;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), (ushort)((word & 0xffff) + (word >> 16)));
        first = Cut(frame, Segmentation.GsoUdpL4, 1000)[0];
        Assert.Equal(0xffff, BinaryPrimitives.ReadUInt16BigEndian(first.AsSpan(14 + 20 + 6))); // RFC 768: 0 would mean none
        Assert.True(TransportChecksumValid(first.AsSpan(14), false, 20, Ip4.ProtoUdp));
    }

    [Fact]
    public void A_superframe_of_one_segment_or_none_of_payload_is_one_frame()
    {
        var frame = Superframe(ip6: false, udp: false, payload: 700, flags: 0x19);
        var one = Assert.Single(Cut(frame, Segmentation.GsoTcp4, 1448));
        Assert.Equal(frame.Length, one.Length);
        Assert.Equal(0x19, one[14 + 20 + 13]); // FIN and PSH stay on the only (last) segment
        Assert.True(TransportChecksumValid(one.AsSpan(14), false, 20, Ip4.ProtoTcp));
        var empty = Assert.Single(Cut(Superframe(ip6: false, udp: false, payload: 0), Segmentation.GsoTcp4, 1448));
        Assert.True(TransportChecksumValid(empty.AsSpan(14), false, 20, Ip4.ProtoTcp));
    }

    [Fact]
    public void Ethernet_padding_after_the_IP_packet_is_not_payload()
    {
        var frame = Superframe(ip6: false, udp: false, payload: 2000);
        var padded = new byte[frame.Length + 6];
        frame.CopyTo(padded);
        var segments = Cut(padded, Segmentation.GsoTcp4, 1448);
        Assert.Equal(14 + 52 + 552, segments[1].Length);
    }

    [Fact]
    public void Frames_that_are_not_what_their_GSO_type_says_are_refused()
    {
        var tcp4 = Superframe(ip6: false, udp: false, payload: 3000);
        var tcp6 = Superframe(ip6: true, udp: false, payload: 3000);
        var udp4 = Superframe(ip6: false, udp: true, payload: 3000);
        Assert.True(Segmentation.TryParse(tcp4, Segmentation.GsoTcp4, 1448, out _));
        Assert.False(Segmentation.TryParse(tcp4, Segmentation.GsoTcp4, 0, out _)); // no segment size
        Assert.False(Segmentation.TryParse(tcp4, Segmentation.GsoTcp6, 1448, out _)); // IPv4 said to be IPv6
        Assert.False(Segmentation.TryParse(tcp6, Segmentation.GsoTcp4, 1448, out _));
        Assert.False(Segmentation.TryParse(tcp4, Segmentation.GsoUdpL4, 1448, out _)); // TCP said to be UDP
        Assert.False(Segmentation.TryParse(udp4, Segmentation.GsoTcp4, 1448, out _));
        Assert.False(Segmentation.TryParse(tcp4, Segmentation.GsoUdp, 1448, out _)); // UFO: not cut
        Assert.False(Segmentation.TryParse(tcp4.AsSpan(0, tcp4.Length - 1), Segmentation.GsoTcp4, 1448, out _)); // shorter than its IP length
        var fragment = (byte[])tcp4.Clone();
        fragment[14 + 6] = 0x20; // MF
        Assert.False(Segmentation.TryParse(fragment, Segmentation.GsoTcp4, 1448, out _));
        var badOffset = (byte[])tcp4.Clone();
        badOffset[14 + 20 + 12] = 0x40; // TCP data offset 4
        Assert.False(Segmentation.TryParse(badOffset, Segmentation.GsoTcp4, 1448, out _));
        Assert.True(Segmentation.TryParse(tcp4, Segmentation.GsoTcp4, 1448, out var s));
        Assert.Equal(-1, Segmentation.WriteSegment(tcp4, s, 0, new byte[1000])); // no room
        Assert.Equal(-1, Segmentation.WriteSegment(tcp4, s, s.Count, new byte[2048])); // no such segment
    }

    [Fact]
    public void Segments_are_those_scapy_makes_of_its_superframes()
    {
        var dir = Directory.CreateTempSubdirectory("mgdp-gso-").FullName;
        try
        {
            string input = Path.Combine(dir, "in.pcap"), output = Path.Combine(dir, "out.pcap");
            var (code, made) = GoldenScript.Run("gso.py", $"make {input}");
            Assert.True(code == 0, made);
            var kinds = made.Trim().Split('\n').Select(l => l.Split(' ')).Select(f => (Type: byte.Parse(f[0]), Size: int.Parse(f[1]))).ToList();
            var frames = PcapFile.Read(input);
            Assert.Equal(kinds.Count, frames.Count);
            var segments = new List<byte[]>();
            for (var i = 0; i < frames.Count; i++)
            {
                var frame = frames[i];
                Assert.True(Segmentation.TryParse(frame, kinds[i].Type, kinds[i].Size, out var s), $"superframe {i}");
                // A sender's offload leaves a partial sum in the checksum field: the segments must not depend on it.
                frame[s.L4 + (s.Udp ? 6 : 16)] ^= 0x5a;
                for (var k = 0; k < s.Count; k++)
                {
                    var buffer = new byte[2048];
                    segments.Add(buffer[..Segmentation.WriteSegment(frame, s, k, buffer)]);
                }
            }
            PcapFile.Write(output, segments);
            var (checkCode, checkOutput) = GoldenScript.Run("gso.py", $"check {input} {output}");
            Assert.True(checkCode == 0, checkOutput);
            Assert.Contains($"{segments.Count} segments as scapy makes them", checkOutput);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
