using System.Buffers.Binary;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// ip4-fragment (RFC 791 §3.2, RFC 1812 §5.2.6) on <see cref="TwoPortRouter"/>: packets bigger than if1's MTU with DF
/// clear leave as fragments that fit, with the right offsets, MF, header lengths, options and checksums, and that
/// reassemble to the packet byte for byte. The largest packet a buffer holds is <see cref="Dataplane.MaxMtu"/> bytes.
/// </summary>
public sealed class Ip4FragmentTests
{
    private const ulong MacIf0 = TwoPortRouter.MacIf0, MacIf1 = TwoPortRouter.MacIf1, MacA = TwoPortRouter.MacA, MacB = TwoPortRouter.MacB;
    private const ushort Id = 0x4321;
    private const byte Ttl = 30;

    /// <summary>A frame from A: an IPv4 header with <paramref name="options"/> and fragment field <paramref name="fragment"/>, then <paramref name="data"/>.</summary>
    private static byte[] Packet(string destination, byte[] data, byte[]? options = null, ushort fragment = 0)
    {
        options ??= [];
        var headerLength = Ip4.MinHeaderLength + options.Length;
        var frame = new byte[Ethernet.HeaderLength + headerLength + data.Length];
        Ethernet.WriteHeader(frame, MacIf0, MacA, Ethernet.TypeIp4);
        var ip = Frames.IpOf(frame);
        Ip4.WriteHeader(ip, headerLength + data.Length, Ttl, Ip4.ProtoUdp, Ip4.Parse("10.0.1.2"), Ip4.Parse(destination), Id);
        ip[0] = (byte)(0x40 | headerLength / 4);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], fragment);
        options.CopyTo(ip[20..]);
        ip[10] = ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip[..headerLength]));
        data.CopyTo(ip[headerLength..]);
        return frame;
    }

    /// <summary>A UDP datagram (header with a valid checksum, and a patterned payload) of <paramref name="length"/> bytes.</summary>
    private static byte[] Udp(int length, string destination)
    {
        var udp = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 6000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)length);
        for (var i = 8; i < length; i++) udp[i] = (byte)(i * 7 + i / 256);
        Span<byte> pseudo = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(pseudo, Ip4.Parse("10.0.1.2"));
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[4..], Ip4.Parse(destination));
        pseudo[9] = Ip4.ProtoUdp;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), (ushort)~Checksum.Fold(Checksum.Sum(udp, Checksum.Sum(pseudo))));
        return udp;
    }

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++) data[i] = (byte)(i * 13 + i / 256);
        return data;
    }

    private sealed record Piece(int Offset, bool More, byte[] Header, byte[] Data);

    /// <summary>
    /// Checks every fragment an IPv4 packet (<paramref name="sent"/>'s) left as (<paramref name="frames"/>, Ethernet
    /// or, with <paramref name="outer"/>, inside that many bytes of outer header): it fits <paramref name="mtu"/>, its
    /// checksum is valid, its fields are the original's (TTL one lower), its data but the last's a multiple of 8
    /// and the pieces follow each other without gap or overlap. Returns them in order.
    /// </summary>
    private static List<Piece> Fragments(IEnumerable<byte[]> frames, byte[] sent, int mtu, int outer = 0)
    {
        var original = Frames.IpOf(sent);
        var pieces = new List<Piece>();
        foreach (var frame in frames)
        {
            var ip = frame.AsSpan(Ethernet.HeaderLength + outer);
            var headerLength = Ip4.HeaderLength(ip);
            Assert.Equal(ip.Length, Ip4.TotalLength(ip));
            Assert.True(ip.Length <= mtu, $"a fragment of {ip.Length} bytes over MTU {mtu}");
            Assert.True(Checksum.IsValid(ip[..headerLength]), "header checksum");
            Assert.Equal(Id, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
            Assert.Equal(Ttl - 1, Ip4.Ttl(ip));
            Assert.False(Ip4.DontFragment(ip));
            Assert.True(ip[9..10].SequenceEqual(original[9..10]) && ip[12..20].SequenceEqual(original[12..20]), "protocol and addresses");
            var field = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
            pieces.Add(new((field & 0x1fff) * 8, (field & 0x2000) != 0, ip[..headerLength].ToArray(), ip[headerLength..].ToArray()));
        }
        pieces.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        for (var i = 0; i < pieces.Count; i++)
        {
            if (i > 0) Assert.Equal(pieces[i - 1].Offset + pieces[i - 1].Data.Length, pieces[i].Offset);
            if (i < pieces.Count - 1)
            {
                Assert.True(pieces[i].More, $"fragment {i} without MF");
                Assert.Equal(0, pieces[i].Data.Length % 8);
            }
        }
        return pieces;
    }

    private static byte[] Joined(List<Piece> pieces) => [.. pieces.SelectMany(p => p.Data)];

    private static long FragmentsMade(Dataplane dp) => dp.Workers.Sum(w => w.Nodes.Single(n => n.Name == "ip4-fragment").Made);

    [Theory]
    [InlineData(1500, 2)]
    [InlineData(576, 4)]
    [InlineData(68, 40)] // the least MTU: 48 bytes of data a fragment
    public void The_largest_packet_leaves_as_fragments_that_fit_the_MTU_and_reassemble_byte_for_byte(int mtu, int count)
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.SetMtu("if1", mtu);
        var udp = Udp(Dataplane.MaxMtu - 20, "10.0.2.2");
        var sent = Packet("10.0.2.2", udp);
        p0.Inject(sent);
        dp.PollOnce();
        Assert.Equal(count, p1.Sent.Count);
        Assert.All(p1.Sent, f => Assert.Equal((MacB, MacIf1, Ethernet.TypeIp4), (Ethernet.Destination(f), Ethernet.Source(f), Ethernet.Type(f))));
        var pieces = Fragments(p1.Sent, sent, mtu);
        Assert.Equal(0, pieces[0].Offset);
        Assert.False(pieces[^1].More);
        Assert.All(pieces, p => Assert.Equal(20, p.Header.Length));
        Assert.All(pieces.SkipLast(1), p => Assert.Equal((mtu - 20) & ~7, p.Data.Length)); // as full as 8-byte units allow
        Assert.Equal(udp, Joined(pieces));
        Assert.Equal(count, FragmentsMade(dp));
        Assert.Equal(1, dp.Workers[0].Nodes.Single(n => n.Name == "ip4-fragment").Packets);
        Assert.Equal(count, dp.Interface("if1").Counters.OutUnicast);
        Assert.Equal(dp.Buffers.Capacity, dp.Buffers.FreeCount); // the original and every fragment freed
        Assert.Empty(p0.Sent);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_fragment_is_cut_further_from_its_own_offset_and_its_last_piece_keeps_its_MF(bool more)
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.SetMtu("if1", 576);
        var data = Data(1880);
        var sent = Packet("10.0.2.2", data, fragment: (ushort)((more ? 0x2000 : 0) | 1000 / 8));
        p0.Inject(sent);
        dp.PollOnce();
        var pieces = Fragments(p1.Sent, sent, 576);
        Assert.Equal([1000, 1552, 2104, 2656], pieces.Select(p => p.Offset));
        Assert.Equal(more, pieces[^1].More);
        Assert.Equal(data, Joined(pieces));
    }

    [Fact]
    public void Only_options_with_the_copied_flag_go_into_the_fragments_after_the_first()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.SetMtu("if1", 576);
        // No-operation, record route (not copied), router alert (copied), end of options: 12 bytes.
        byte[] options = [1, 7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0];
        var udp = Udp(1800, "10.0.2.2");
        var sent = Packet("10.0.2.2", udp, options);
        p0.Inject(sent);
        dp.PollOnce();
        var pieces = Fragments(p1.Sent, sent, 576);
        Assert.Equal(4, pieces.Count);
        Assert.Equal(32, pieces[0].Header.Length);
        Assert.Equal(0x48, pieces[0].Header[0]);
        Assert.Equal(options, pieces[0].Header[20..]); // the first has them all
        Assert.Equal((576 - 32) & ~7, pieces[0].Data.Length);
        foreach (var later in pieces.Skip(1))
        {
            Assert.Equal(0x46, later.Header[0]);
            Assert.Equal([0x94, 4, 0, 0], later.Header[20..]);
        }
        Assert.Equal((576 - 24) & ~7, pieces[1].Data.Length);
        Assert.Equal(udp, Joined(pieces));
    }

    [Fact]
    public void Options_are_padded_to_a_word_and_a_list_that_runs_past_the_header_ends_there()
    {
        Span<byte> into = stackalloc byte[60];
        // Security (copied, 11 bytes), loose source route (copied, 7 bytes), timestamp (not copied), end: 28 bytes.
        byte[] header = new byte[48];
        header[0] = 0x4c;
        byte[] options = [0x82, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x83, 7, 4, 10, 0, 0, 9, 0x44, 8, 5, 0, 0, 0, 0, 0, 0, 0];
        options.CopyTo(header.AsSpan(20));
        var length = Nodes.Ip4Fragment.CopiedOptions(header, into);
        Assert.Equal(40, length); // 20 + 11 + 7, padded to 40
        Assert.Equal(0x4a, into[0]);
        Assert.True(into[20..38].SequenceEqual(options.AsSpan(0, 18)));
        Assert.True(into[38..40].SequenceEqual(new byte[2]));
        header[20 + 12] = 200; // the source route's length past the header: the list ends before it
        Assert.Equal(32, Nodes.Ip4Fragment.CopiedOptions(header, into));
        Assert.True(into[20..31].SequenceEqual(options.AsSpan(0, 11)));
    }

    [Fact]
    public void Fragments_wait_for_their_neighbor_like_other_packets()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        var udp = Udp(1800, "10.0.2.7");
        var sent = Packet("10.0.2.7", udp);
        p0.Inject(sent);
        dp.PollOnce();
        Assert.True(p1.Sent.TryDequeue(out var request));
        Assert.Equal(Ethernet.TypeArp, Ethernet.Type(request));
        Assert.Empty(p1.Sent);
        var reply = Frames.ArpRequest(0x02_cc_00_00_00_0c, "10.0.2.7", "10.0.2.1");
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(20), 2);
        Ethernet.Write48(reply, MacIf1);
        p1.Inject(reply);
        dp.PollOnce();
        Assert.Equal(2, p1.Sent.Count);
        Assert.All(p1.Sent, f => Assert.Equal(0x02_cc_00_00_00_0cUL, Ethernet.Destination(f)));
        Assert.Equal(udp, Joined(Fragments(p1.Sent, sent, 1500))); // the TTL lowered once
        Assert.Equal(dp.Buffers.Capacity, dp.Buffers.FreeCount);
    }

    [Fact]
    public void Out_of_a_tunnel_the_fragments_are_encapsulated_one_by_one()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.CreateTunnel("t", TunnelKind.IpIp, "10.0.2.1", "10.0.2.2", mtu: 576);
        dp.AddAddress("t", Ip4.Parse("172.16.1.1"), 30);
        dp.SetAdminUp("t", true);
        dp.AddRoute(Ip4.Parse("10.99.0.0"), 16, RouteKind.NextHop, Ip4.Parse("172.16.1.2"), "t");
        var udp = Udp(1600, "10.99.0.5");
        var sent = Packet("10.99.0.5", udp);
        p0.Inject(sent);
        dp.PollOnce();
        Assert.Equal(3, p1.Sent.Count);
        foreach (var f in p1.Sent)
        {
            var outer = Frames.IpOf(f);
            Assert.Equal(((byte)4, Ip4.Parse("10.0.2.1"), Ip4.Parse("10.0.2.2")), (Ip4.Protocol(outer), Ip4.Source(outer), Ip4.Destination(outer)));
            Assert.Equal(outer.Length, Ip4.TotalLength(outer));
            Assert.True(Checksum.IsValid(outer[..20]));
            Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(outer[6..])); // the outer packet is whole
        }
        Assert.Equal(udp, Joined(Fragments(p1.Sent, sent, 576, outer: 20)));
        Assert.Equal(3, dp.Interface("t").Counters.OutUnicast);
    }

    [Fact]
    public void An_encapsulated_packet_too_big_for_the_underlay_is_fragmented_as_the_dataplanes_own()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.CreateTunnel("t", TunnelKind.IpIp, "10.0.2.1", "10.0.2.2", mtu: 1500); // inner packets fit, outer ones do not
        dp.AddAddress("t", Ip4.Parse("172.16.1.1"), 30);
        dp.SetAdminUp("t", true);
        dp.AddRoute(Ip4.Parse("10.99.0.0"), 16, RouteKind.NextHop, Ip4.Parse("172.16.1.2"), "t");
        var sent = Packet("10.99.0.5", Udp(1480, "10.99.0.5"));
        p0.Inject(sent);
        dp.PollOnce();
        Assert.Equal(2, p1.Sent.Count);
        var outer = p1.Sent.Select(f => Frames.IpOf(f).ToArray()).ToList();
        Assert.All(outer, ip => Assert.Equal(64, Ip4.Ttl(ip))); // not lowered: the dataplane's own packet
        Assert.All(outer, ip => Assert.True(Checksum.IsValid(ip.AsSpan(0, 20))));
        Assert.Equal(0x2000, BinaryPrimitives.ReadUInt16BigEndian(outer[0].AsSpan(6)));
        Assert.Equal(1480 / 8, BinaryPrimitives.ReadUInt16BigEndian(outer[1].AsSpan(6)));
        // The outer payload (the inner packet, its TTL lowered once) put together again.
        byte[] inner = [.. outer[0].Skip(20), .. outer[1].Skip(20)];
        Assert.Equal(1500, inner.Length);
        Assert.Equal(Ttl - 1, Ip4.Ttl(inner));
        Assert.True(inner.AsSpan(20).SequenceEqual(Frames.IpOf(sent)[20..]));
    }

    [Fact]
    public void When_the_buffers_run_out_the_pieces_not_cut_are_dropped_and_counted()
    {
        var (dp, p0, p1) = TwoPortRouter.Build(buffers: 64);
        using var _ = dp;
        dp.SetMtu("if1", 576);
        // 62 packets take 62 of the 64 buffers: the first packet gets two fragments, the rest none.
        for (var i = 0; i < 62; i++) p0.Inject(Packet("10.0.2.2", Data(1800)));
        dp.PollOnce();
        Assert.Equal(2, p1.Sent.Count);
        Assert.Equal(62, dp.DropCount(DropReason.NoBuffer));
        Assert.Equal(2, FragmentsMade(dp));
        Assert.Equal(dp.Buffers.Capacity, dp.Buffers.FreeCount);
    }

    [Fact]
    public void Too_big_with_DF_set_is_still_refused_with_fragmentation_needed()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.SetMtu("if1", 576);
        p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", payload: 1000, dontFragment: true));
        dp.PollOnce();
        Assert.Empty(p1.Sent);
        Assert.True(p0.Sent.TryDequeue(out var error));
        Assert.Equal((3, 4), (Frames.IpOf(error)[20], Frames.IpOf(error)[21]));
        Assert.Equal(0, FragmentsMade(dp));
    }

    [Fact]
    public void Fragments_put_together_by_scapy_are_the_packets_sent()
    {
        var dir = Directory.CreateTempSubdirectory("dataplane-fragments-").FullName;
        try
        {
            string input = Path.Combine(dir, "in.pcap"), out0 = Path.Combine(dir, "if0.pcap"), out1 = Path.Combine(dir, "if1.pcap");
            var (code, output) = GoldenScript.Run("fragments.py", $"make {input}");
            Assert.True(code == 0, output);
            using (var dp = new Dataplane(buffers: 256))
            {
                var if0 = new PcapPort(input, out0);
                dp.CreateInterface("if0", if0, MacIf0);
                dp.CreateInterface("if1", new PcapPort(null, out1), MacIf1);
                dp.AddAddress("if0", Ip4.Parse("10.0.1.1"), 24);
                dp.AddAddress("if1", Ip4.Parse("10.0.2.1"), 24);
                dp.SetMtu("if1", 576);
                dp.SetAdminUp("if0", true);
                dp.SetAdminUp("if1", true);
                dp.AddRoute(Ip4.Parse("192.168.0.0"), 16, RouteKind.NextHop, Ip4.Parse("10.0.2.2"));
                dp.AddNeighbor("if0", Ip4.Parse("10.0.1.2"), MacA);
                dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
                dp.CreateTunnel("t", TunnelKind.IpIp, "10.0.2.1", "10.0.2.2", mtu: 1000);
                dp.AddAddress("t", Ip4.Parse("172.16.1.1"), 30);
                dp.SetAdminUp("t", true);
                dp.AddRoute(Ip4.Parse("10.99.0.0"), 16, RouteKind.NextHop, Ip4.Parse("172.16.1.2"), "t");
                while (if0.HasMore) dp.PollOnce();
                Assert.Equal(1, dp.DropCount(DropReason.FragmentationNeeded)); // the DF packet
                Assert.Equal(dp.Buffers.Capacity, dp.Buffers.FreeCount);
            }
            (code, output) = GoldenScript.Run("fragments.py", $"check {out0} {out1}");
            Assert.True(code == 0, output);
            Assert.Contains("6 datagrams put together", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_trace_follows_the_packet_into_ip4_fragment_and_each_fragment_out()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.SetMtu("if1", 576);
        dp.TraceNext(1);
        p0.Inject(Packet("10.0.2.2", Data(1200)));
        dp.PollOnce();
        Assert.Equal(3, p1.Sent.Count);
        var nodes = dp.TraceLines.Select(l => l.Split(": ")[1]).ToList();
        Assert.Equal(["device-input", "ethernet-input", "ip4-input", "ip4-lookup", "ip4-fragment",
            "ip4-rewrite", "ip4-rewrite", "ip4-rewrite", "interface-output", "interface-output", "interface-output"], nodes);
        Assert.Contains(dp.TraceLines, l => l.Contains("ip4-fragment: 1220 bytes, id 17185, into fragments for if1 (MTU 576)"));
    }
}
