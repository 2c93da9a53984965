using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Neighbors;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>ACLs: the tuple-space classifier against a rule-by-rule search, and acl-in/acl-out in the graph.</summary>
public sealed class AclTests
{
    /// <summary>
    /// The meaning of ACLs attached in order: the first rule whose every field matches. A frame that is not IP
    /// (family 0) can only match rules without IP fields, of ACLs that have an Ethernet rule.
    /// </summary>
    private static int Linear(IReadOnlyList<AclList> lists, in PacketKey k)
    {
        var i = 0;
        foreach (var list in lists)
        {
            var ethAcl = list.Rules.Any(x => x.SourceMacMask != 0 || x.DestinationMacMask != 0 || x.EtherType.HasValue);
            foreach (var r in list.Rules)
            {
                if (Matches(r, ethAcl, k)) return i;
                i++;
            }
        }
        return -1;
    }

    private static bool Matches(AclRule r, bool ethAcl, in PacketKey k)
    {
        if ((k.SourceMac & r.SourceMacMask) != r.SourceMac || (k.DestinationMac & r.DestinationMacMask) != r.DestinationMac) return false;
        if (r.EtherType is { } type && type != k.EtherType) return false;
        if (k.Family == 0 && (!ethAcl || r.Protocol.HasValue || r.Dscp.HasValue)) return false; // not IP: no IP field can match
        if (r.Family != 0 && r.Family != k.Family) return false;
        if (r.Family != 0)
        {
            var offset = r.Family == 4 ? 96 : 0;
            if ((k.Source & Ip6.Mask(r.SourceLength + offset)) != r.Source || (k.Destination & Ip6.Mask(r.DestinationLength + offset)) != r.Destination) return false;
        }
        if (r.Protocol is { } proto && proto != k.Protocol) return false;
        if (r.Dscp is { } dscp && dscp != k.Dscp) return false;
        var ports = r.SourcePortLow != 0 || r.SourcePortHigh != ushort.MaxValue || r.DestinationPortLow != 0 || r.DestinationPortHigh != ushort.MaxValue;
        var l4 = ports || r.TcpFlagsMask != 0 || r.IcmpType.HasValue || r.IcmpCode.HasValue;
        if (l4 && !k.HasL4) return false;
        if (ports && (k.SourcePort < r.SourcePortLow || k.SourcePort > r.SourcePortHigh || k.DestinationPort < r.DestinationPortLow || k.DestinationPort > r.DestinationPortHigh)) return false;
        if ((k.TcpFlags & r.TcpFlagsMask) != r.TcpFlagsValue) return false;
        if (r.IcmpType is { } t && t != k.IcmpType) return false;
        if (r.IcmpCode is { } c && c != k.IcmpCode) return false;
        return true;
    }

    [Theory]
    [InlineData(1, 50)]
    [InlineData(2, 1000)]
    [InlineData(3, 5000)]
    public void The_classifier_picks_the_same_rule_as_a_linear_search(int seed, int count)
    {
        var random = new Random(seed);
        // Addresses from a small space, so that rules overlap and packets hit them.
        UInt128 V4(int length) => NeighborTable.Mapped((uint)(0x0a000000 | random.Next(1 << 12) << 4)) & Ip6.Mask(length + 96);
        UInt128 V6(int length) => (((UInt128)0x2001_0db8_0000_0000UL << 64) | (UInt128)(uint)random.Next(1 << 12) << 64) & Ip6.Mask(length);
        // MACs: three OUIs, eight hosts each; masks whole, OUI, and a non-contiguous one.
        ulong Mac() => (ulong)(uint)(0x02aa00 + random.Next(3)) << 24 | (uint)random.Next(8);
        ulong[] masks = [Ethernet.Broadcast, 0xffff_ff00_0000, 0x0000_0000_00ff];
        ushort[] nonIp = [Ethernet.TypeArp, 0x88cc];
        // The first third in an ACL of IP rules only, the rest in a mixed one (Ethernet and IP rules).
        var ipRules = new List<AclRule>();
        var rules = new List<AclRule>();
        for (var i = 0; i < count; i++)
        {
            var mixed = i >= count / 3;
            var family = random.Next(mixed ? 4 : 10) == 0 ? 0 : random.Next(2) == 0 ? 4 : 6;
            var sl = family == 0 ? 0 : family == 4 ? new[] { 8, 16, 24, 28, 32 }[random.Next(5)] : new[] { 32, 48, 64, 128 }[random.Next(4)];
            var dl = family == 0 ? 0 : family == 4 ? new[] { 0, 16, 28 }[random.Next(3)] : new[] { 0, 48, 64 }[random.Next(3)];
            var proto = random.Next(4) switch { 0 => (byte?)null, 1 => (byte)6, 2 => (byte)17, _ => family == 6 ? (byte)58 : (byte)1 };
            var low = (ushort)random.Next(0, 2000);
            var withPorts = proto is 6 or 17 && random.Next(2) == 0;
            var (sourceMask, destinationMask) = !mixed ? (0UL, 0UL) : random.Next(6) switch
            {
                0 or 1 => (masks[random.Next(3)], 0UL),
                2 => (0UL, masks[random.Next(3)]),
                3 => (masks[random.Next(3)], masks[random.Next(3)]),
                _ => (0UL, 0UL),
            };
            ushort? etherType = !mixed || random.Next(3) != 0 ? null
                : family == 4 ? Ethernet.TypeIp4 : family == 6 ? Ethernet.TypeIp6
                : proto is null && random.Next(2) == 0 ? nonIp[random.Next(2)] : random.Next(2) == 0 ? Ethernet.TypeIp4 : Ethernet.TypeIp6;
            (mixed ? rules : ipRules).Add(new AclRule(random.Next(3) == 0 ? AclAction.Deny : AclAction.Permit)
            {
                SourceMac = Mac() & sourceMask,
                SourceMacMask = sourceMask,
                DestinationMac = Mac() & destinationMask,
                DestinationMacMask = destinationMask,
                EtherType = etherType,
                Family = family,
                Source = family == 4 ? V4(sl) : family == 6 ? V6(sl) : UInt128.Zero,
                SourceLength = sl,
                Destination = family == 4 ? V4(dl) : family == 6 ? V6(dl) : UInt128.Zero,
                DestinationLength = dl,
                Protocol = proto,
                DestinationPortLow = withPorts ? low : (ushort)0,
                DestinationPortHigh = withPorts ? (ushort)(low + random.Next(0, 500)) : ushort.MaxValue,
                TcpFlagsMask = proto == 6 && random.Next(4) == 0 ? (byte)0x12 : (byte)0,
                TcpFlagsValue = 0,
                IcmpType = proto is 1 or 58 && random.Next(2) == 0 ? (byte)random.Next(3) : null,
            });
        }
        AclList[] lists = [new AclList("ip", ipRules), new AclList("mixed", rules)];
        var classifier = new AclClassifier(lists);
        // Bounded by the shapes (59 of addresses and protocol, 32 of Ethernet fields), not by the rules.
        Assert.True(classifier.GroupCount <= 59 * 32, $"{classifier.GroupCount} groups");
        var hits = 0;
        var nonIpHits = 0;
        for (var probe = 0; probe < 20_000; probe++)
        {
            var family = random.Next(5) == 0 ? 0 : random.Next(2) == 0 ? 4 : 6;
            var k = family == 0 ? new PacketKey { EtherType = nonIp[random.Next(2)], SourceMac = Mac(), DestinationMac = Mac() } : new PacketKey
            {
                Family = family,
                EtherType = family == 4 ? Ethernet.TypeIp4 : Ethernet.TypeIp6,
                SourceMac = Mac(),
                DestinationMac = Mac(),
                Source = family == 4 ? V4(32) : V6(128) | (uint)random.Next(4),
                Destination = family == 4 ? V4(32) : V6(128),
                Protocol = (byte)new[] { 6, 17, family == 6 ? 58 : 1, 47 }[random.Next(4)],
                DestinationPort = (ushort)random.Next(0, 2600),
                SourcePort = (ushort)random.Next(65536),
                TcpFlags = (byte)random.Next(64),
                IcmpType = (byte)random.Next(3),
                HasL4 = random.Next(10) != 0,
            };
            var expected = Linear(lists, k);
            Assert.Equal(expected, classifier.Match(k));
            if (expected >= 0) hits++;
            if (expected >= 0 && family == 0) nonIpHits++;
        }
        Assert.True(hits > 1000, $"only {hits} probes matched a rule: the test would not see wrong matches");
        if (count >= 1000) Assert.True(nonIpHits > 200, $"only {nonIpHits} frames that are not IP matched a rule");
    }

    private const ulong MacIf0 = TwoPortRouter.MacIf0, MacIf1 = TwoPortRouter.MacIf1, MacA = TwoPortRouter.MacA, MacB = TwoPortRouter.MacB;

    private static (Dataplane, MemoryPort, MemoryPort) Router() => TwoPortRouter.Build();

    private static byte[] Udp(string src, string dst, ushort dport)
    {
        var f = Frames.Udp(MacIf0, MacA, src, dst);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14 + 20 + 2), dport);
        return f;
    }

    [Fact]
    public void An_input_ACL_permits_what_it_says_denies_the_rest_and_counts_hits()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        var acl = dp.SetAcl("dns-only", [
            AclRule.Ip4(AclAction.Deny, "10.0.1.66", 32) with { Protocol = 17 },
            AclRule.Ip4(AclAction.Permit, "10.0.1.0", 24, "10.0.2.0", 24) with { Protocol = 17, DestinationPortLow = 53, DestinationPortHigh = 53 },
        ]);
        dp.AttachAcls("if0", ["dns-only"], []);
        p0.Inject(Udp("10.0.1.2", "10.0.2.2", 53));  // permitted by rule 2
        p0.Inject(Udp("10.0.1.2", "10.0.2.2", 80));  // no rule: denied
        p0.Inject(Udp("10.0.1.66", "10.0.2.2", 53)); // rule 1 denies
        dp.PollOnce();
        Assert.Single(p1.Sent);
        Assert.Equal([1L, 1L], acl.Hits);
        Assert.Equal(2, dp.DropCount(DropReason.AclDeny));

        // Detached: everything passes again.
        dp.AttachAcls("if0", [], []);
        p0.Inject(Udp("10.0.1.2", "10.0.2.2", 80));
        dp.PollOnce();
        Assert.Equal(2, p1.Sent.Count);
    }

    [Fact]
    public void An_output_ACL_filters_forwarded_packets_and_replacing_its_rules_takes_effect_at_once()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        dp.SetAcl("out", [AclRule.Ip4(AclAction.Deny, destination: "10.0.2.2", destinationLength: 32), new AclRule(AclAction.Permit)]);
        dp.AttachAcls("if1", [], ["out"]);
        p0.Inject(Udp("10.0.1.2", "10.0.2.2", 9));
        p0.Inject(Udp("10.0.1.2", "10.0.2.3", 9));
        dp.PollOnce();
        Assert.Single(p1.Sent); // 10.0.2.3 only (it waits for ARP: held, then asked for)
        dp.SetAcl("out", [new AclRule(AclAction.Permit)]);
        p0.Inject(Udp("10.0.1.2", "10.0.2.2", 9));
        dp.PollOnce();
        Assert.Contains(p1.Sent, f => Ethernet.Type(f) == Ethernet.TypeIp4 && Ip4.Destination(f.AsSpan(14)) == Ip4.Parse("10.0.2.2"));
        // The router's own answers are not filtered: a ping of if1's address from if1's side is answered.
        dp.SetAcl("out", [new AclRule(AclAction.Deny)]);
        var ping = Frames.EchoRequest(MacIf1, MacB, "10.0.2.2", "10.0.2.1");
        p1.Clear();
        p1.Inject(ping);
        dp.PollOnce();
        Assert.Single(p1.Sent);
    }

    private static byte[] Tcp(ulong dstMac, ulong srcMac, string src, string dst, ushort sport, ushort dport, byte flags)
    {
        var f = new byte[14 + 20 + 20];
        Ethernet.WriteHeader(f, dstMac, srcMac, Ethernet.TypeIp4);
        Ip4.WriteHeader(f.AsSpan(14), 40, 64, Ip4.ProtoTcp, Ip4.Parse(src), Ip4.Parse(dst));
        var tcp = f.AsSpan(34);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], dport);
        tcp[12] = 0x50;
        tcp[13] = flags;
        return f;
    }

    [Fact]
    public void Permit_and_reflect_lets_the_replies_of_a_permitted_flow_back_in_until_it_times_out()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        // Inside (if0) may open TCP and UDP flows; outside (if1) may send nothing on its own.
        dp.SetAcl("inside", [AclRule.Ip4(AclAction.PermitReflect, "10.0.1.0", 24) with { Protocol = 6 }, AclRule.Ip4(AclAction.PermitReflect, "10.0.1.0", 24) with { Protocol = 17 }]);
        dp.SetAcl("outside", [new AclRule(AclAction.Deny)]);
        dp.AttachAcls("if0", ["inside"], []);
        dp.AttachAcls("if1", ["outside"], []);
        dp.SetSessionTimeouts(new SessionTimeouts { Udp = TimeSpan.FromMilliseconds(1000) });

        p1.Inject(Tcp(MacIf1, MacB, "10.0.2.2", "10.0.1.2", 80, 40000, 0x12)); // a SYN-ACK nobody asked for
        dp.PollOnce();
        Assert.Empty(p0.Sent);

        p0.Inject(Tcp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", 40000, 80, 0x02)); // SYN out: opens the session
        dp.PollOnce();
        Assert.Single(p1.Sent);
        Assert.Equal(1, dp.SessionCount);
        p1.Inject(Tcp(MacIf1, MacB, "10.0.2.2", "10.0.1.2", 80, 40000, 0x12)); // its SYN-ACK: back in
        p1.Inject(Tcp(MacIf1, MacB, "10.0.2.2", "10.0.1.2", 81, 40000, 0x12)); // another port: still denied
        dp.PollOnce();
        Assert.Single(p0.Sent);
        Assert.Equal(40000, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(p0.Sent.Single().AsSpan(14 + 20 + 2)));

        // A UDP flow's replies pass until its idle timeout, then not (and the session is gone).
        p0.Clear();
        p0.Inject(Udp("10.0.1.2", "10.0.2.2", 53));
        dp.PollOnce();
        var reply = Frames.Udp(MacIf1, MacB, "10.0.2.2", "10.0.1.2");
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(14 + 20), 53);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(14 + 20 + 2), 5000);
        p1.Inject(reply);
        dp.PollOnce();
        Assert.Single(p0.Sent);
        Thread.Sleep(1200);
        p1.Inject(reply);
        dp.PollOnce();
        Assert.Single(p0.Sent);
        Assert.Equal(1, dp.SessionCount); // the UDP session expired; the TCP one (transitory, 240 s) remains
    }

    [Fact]
    public void Permit_and_reflect_keeps_ipv4_and_ipv6_flows_apart_each_in_its_own_table()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        dp.AddAddress6("if0", Ip6.Parse("2001:db8:1::1"), 64);
        dp.AddAddress6("if1", Ip6.Parse("2001:db8:2::1"), 64);
        dp.AddNeighbor6("if0", Ip6.Parse("2001:db8:1::2"), MacA);
        dp.AddNeighbor6("if1", Ip6.Parse("2001:db8:2::2"), MacB);
        dp.SetAcl("inside", [AclRule.Ip4(AclAction.PermitReflect, "10.0.1.0", 24), AclRule.Ip6(AclAction.PermitReflect, "2001:db8:1::", 64)]);
        dp.SetAcl("outside", [new AclRule(AclAction.Deny)]);
        dp.AttachAcls("if0", ["inside"], []);
        dp.AttachAcls("if1", ["outside"], []);
        static byte[] Tcp6(ulong dstMac, ulong srcMac, string src, string dst, ushort sport, ushort dport, byte flags)
        {
            var f = new byte[14 + 40 + 20];
            Ethernet.WriteHeader(f, dstMac, srcMac, Ethernet.TypeIp6);
            Ip6.WriteHeader(f.AsSpan(14), 20, Ip4.ProtoTcp, 64, Ip6.Parse(src), Ip6.Parse(dst));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(54), sport);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(56), dport);
            f[66] = 0x50;
            f[67] = flags;
            return f;
        }
        // The same ports in both families: an IPv6 flow opened, its IPv4 twin's answer still denied, and back.
        p0.Inject(Tcp6(MacIf0, MacA, "2001:db8:1::2", "2001:db8:2::2", 40000, 443, 0x02));
        dp.PollOnce();
        Assert.Single(p1.Sent);
        p1.Inject(Tcp(MacIf1, MacB, "10.0.2.2", "10.0.1.2", 443, 40000, 0x12));
        p1.Inject(Tcp6(MacIf1, MacB, "2001:db8:2::2", "2001:db8:1::2", 443, 40000, 0x12));
        dp.PollOnce();
        var back = Assert.Single(p0.Sent);
        Assert.Equal(Ethernet.TypeIp6, Ethernet.Type(back));
        p0.Clear();
        p0.Inject(Tcp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", 40000, 443, 0x02));
        dp.PollOnce();
        p1.Inject(Tcp(MacIf1, MacB, "10.0.2.2", "10.0.1.2", 443, 40000, 0x12));
        dp.PollOnce();
        Assert.Equal(Ethernet.TypeIp4, Ethernet.Type(Assert.Single(p0.Sent)));
        Assert.Equal(2, dp.SessionCount);
    }

    [Fact]
    public void Bad_rules_and_unknown_or_attached_ACLs_are_refused()
    {
        var (dp, _, _) = Router();
        using var __ = dp;
        Assert.Contains("host bits", Assert.Throws<DataplaneException>(() => dp.SetAcl("x", [AclRule.Ip4(AclAction.Permit, "10.0.1.5", 24)])).Message);
        Assert.Contains("ports need", Assert.Throws<DataplaneException>(() => dp.SetAcl("x", [new AclRule(AclAction.Permit) { DestinationPortLow = 80, DestinationPortHigh = 80 }])).Message);
        Assert.Contains("ends before", Assert.Throws<DataplaneException>(() => dp.SetAcl("x", [new AclRule(AclAction.Permit) { Protocol = 6, DestinationPortLow = 90, DestinationPortHigh = 80 }])).Message);
        Assert.Contains("1 ms to 24 days", Assert.Throws<DataplaneException>(() => dp.SetSessionTimeouts(new SessionTimeouts { Udp = TimeSpan.Zero })).Message);
        Assert.Contains("1 ms to 24 days", Assert.Throws<DataplaneException>(() => dp.SetSessionTimeouts(new SessionTimeouts { TcpEstablished = TimeSpan.FromDays(25) })).Message);
        Assert.Contains("no ACL", Assert.Throws<DataplaneException>(() => dp.AttachAcls("if0", ["nope"], [])).Message);
        dp.SetAcl("a", [new AclRule(AclAction.Permit)]);
        dp.AttachAcls("if0", ["a"], []);
        Assert.Contains("attached to if0", Assert.Throws<DataplaneException>(() => dp.DeleteAcl("a")).Message);
        Assert.DoesNotContain("x", dp.Acls.Keys);
    }
}
