using System.Buffers.Binary;

namespace Mgmt.Dataplane.Packets;

/// <summary>
/// Software segmentation offload (the kernel's GSO, <c>net/ipv4/tcp_offload.c</c>, <c>udp_offload.c</c>): cuts a
/// "superframe" (a TCP or UDP packet larger than the link's MTU, as a sender with TSO/GSO or a NIC's GRO hands it
/// over, with the segment size beside it) into the frames that would have crossed the wire. Each segment gets the
/// Ethernet, IP and TCP/UDP headers copied and then its own IPv4 total length and identification (the first's plus
/// the segment's index) and header checksum, or IPv6 payload length; TCP sequence number advanced by the payload
/// before it, FIN and PSH on the last segment only and CWR on the first only; UDP length; and a full TCP/UDP
/// checksum with the pseudo-header (whatever the superframe's checksum field held: a partial sum or a stale one).
/// </summary>
public static class Segmentation
{
    /// <summary>virtio-net header <c>gso_type</c> values (<c>VIRTIO_NET_HDR_GSO_*</c>).</summary>
    public const byte GsoNone = 0, GsoTcp4 = 1, GsoUdp = 3, GsoTcp6 = 4, GsoUdpL4 = 5, GsoEcn = 0x80;

    private const byte TcpFin = 0x01, TcpPsh = 0x08, TcpCwr = 0x80;

    /// <summary>
    /// Reads a superframe's headers: false when it is not something to segment as <paramref name="gsoType"/> says
    /// (another protocol, an IPv4 fragment, lengths that disagree with the frame, no segment size).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, byte gsoType, int segmentSize, out Superframe superframe)
    {
        superframe = default;
        if (segmentSize <= 0 || frame.Length < Ethernet.HeaderLength) return false;
        var l3 = 12;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[l3..]);
        for (var tags = 0; tags < 2 && type is 0x8100 or 0x88a8; tags++) // 802.1Q / 802.1ad tags left in the frame
        {
            l3 += 4;
            if (frame.Length < l3 + 2) return false;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[l3..]);
        }
        l3 += 2;
        bool ip6, udp;
        int l4, end;
        byte protocol;
        switch (gsoType & ~GsoEcn)
        {
            case GsoTcp4 when type == Ethernet.TypeIp4:
            case GsoUdpL4 when type == Ethernet.TypeIp4:
            {
                var ip = frame[l3..];
                if (ip.Length < 20 || ip[0] >> 4 != 4 || Ip4.HeaderLength(ip) < 20) return false;
                if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3fff) != 0) return false; // a fragment (MF or an offset)
                ip6 = false;
                l4 = l3 + Ip4.HeaderLength(ip);
                end = l3 + Ip4.TotalLength(ip);
                protocol = Ip4.Protocol(ip);
                break;
            }
            case GsoTcp6 when type == Ethernet.TypeIp6:
            case GsoUdpL4 when type == Ethernet.TypeIp6:
            {
                var ip = frame[l3..];
                if (ip.Length < Ip6.HeaderLength || ip[0] >> 4 != 6 || Ip6.PayloadLength(ip) == 0) return false; // 0: a jumbogram
                end = l3 + Ip6.HeaderLength + Ip6.PayloadLength(ip);
                if (end > frame.Length || !Ip6.UpperLayer(frame[l3..end], out protocol, out var offset)) return false;
                ip6 = true;
                l4 = l3 + offset;
                break;
            }
            default:
                return false;
        }
        if (end > frame.Length) return false;
        udp = (gsoType & ~GsoEcn) == GsoUdpL4;
        if (protocol != (udp ? Ip4.ProtoUdp : Ip4.ProtoTcp)) return false;
        int headers;
        if (udp) headers = l4 + 8;
        else
        {
            if (l4 + 20 > end) return false;
            var tcpLength = (frame[l4 + 12] >> 4) * 4;
            if (tcpLength < 20) return false;
            headers = l4 + tcpLength;
        }
        if (headers > end) return false;
        var payload = end - headers;
        superframe = new Superframe(l3, l4, headers, payload, segmentSize, ip6, udp);
        return true;
    }

    /// <summary>
    /// Writes segment <paramref name="index"/> (0 to <see cref="Superframe.Count"/> - 1) of the superframe into
    /// <paramref name="into"/>; returns its length, or -1 when it does not fit.
    /// </summary>
    public static int WriteSegment(ReadOnlySpan<byte> frame, in Superframe s, int index, Span<byte> into)
    {
        var offset = index * s.SegmentSize;
        var length = Math.Min(s.SegmentSize, s.Payload - offset);
        var total = s.Headers + length;
        if ((uint)index >= (uint)s.Count || total > into.Length) return -1;
        frame[..s.Headers].CopyTo(into);
        frame.Slice(s.Headers + offset, length).CopyTo(into[s.Headers..]);
        var segment = into[..total];
        var ip = segment[s.L3..];
        var l4Length = total - s.L4;
        uint pseudo;
        if (s.Ip6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(total - s.L3 - Ip6.HeaderLength));
            pseudo = Checksum.Sum(ip.Slice(8, 32));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(total - s.L3));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]) + index));
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip[..(s.L4 - s.L3)]));
            pseudo = Checksum.Sum(ip.Slice(12, 8));
        }
        pseudo += (uint)(s.Udp ? Ip4.ProtoUdp : Ip4.ProtoTcp) + (uint)l4Length;
        var l4 = segment[s.L4..];
        int checksumAt;
        if (s.Udp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4Length);
            checksumAt = 6;
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(l4[4..], BinaryPrimitives.ReadUInt32BigEndian(l4[4..]) + (uint)offset);
            if (index != s.Count - 1) l4[13] &= unchecked((byte)~(TcpFin | TcpPsh));
            if (index != 0) l4[13] &= unchecked((byte)~TcpCwr);
            checksumAt = 16;
        }
        l4[checksumAt] = l4[checksumAt + 1] = 0;
        var checksum = (ushort)~Checksum.Fold(Checksum.Sum(l4, pseudo));
        if (s.Udp && checksum == 0) checksum = 0xffff; // RFC 768: zero means "no checksum"
        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumAt..], checksum);
        return total;
    }
}

/// <summary>Where a superframe's headers are (offsets from the frame's start) and how it is cut.</summary>
public readonly record struct Superframe(int L3, int L4, int Headers, int Payload, int SegmentSize, bool Ip6, bool Udp)
{
    /// <summary>The segments it makes (at least one, even with no payload).</summary>
    public int Count => Payload == 0 ? 1 : (Payload + SegmentSize - 1) / SegmentSize;

    /// <summary>The largest segment's length: the headers and one segment's payload.</summary>
    public int MaxSegmentLength => Headers + Math.Min(SegmentSize, Payload);
}
