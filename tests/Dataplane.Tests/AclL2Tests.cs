using System.Buffers.Binary;
using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// ACL rules on Ethernet fields (RFC 8519 eth matches: MACs under masks, ethertype) through the two-port router:
/// crafted frames in on if0, what comes out of if1 (or back out of if0 for ARP and neighbor discovery).
/// </summary>
public sealed class AclL2Tests
{
    private const ulong MacIf0 = TwoPortRouter.MacIf0, MacA = TwoPortRouter.MacA;
    private const ulong MacC = 0x02_cc_00_00_00_0c; // another host on if0's link, not in the 02:aa:00 OUI

    private static readonly UInt128 R6 = Ip6.Parse("2001:db8:1::1"), A6 = Ip6.Parse("2001:db8:1::2"), B6 = Ip6.Parse("2001:db8:2::2");

    /// <summary>The two-port router with IPv6 as well: 2001:db8:1::1/64 on if0, 2001:db8:2::1/64 on if1 with B at ::2.</summary>
    private static (Dataplane, MemoryPort, MemoryPort) Router()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        dp.AddAddress6("if0", R6, 64);
        dp.AddAddress6("if1", Ip6.Parse("2001:db8:2::1"), 64);
        dp.AddNeighbor6("if1", B6, TwoPortRouter.MacB);
        return (dp, p0, p1);
    }

    /// <summary>UDP from host A's address to B through if0, sent by <paramref name="srcMac"/>.</summary>
    private static byte[] Udp4(ulong srcMac, ulong dstMac = MacIf0) => Frames.Udp(dstMac, srcMac, "10.0.1.2", "10.0.2.2");

    private static byte[] Udp6(ulong srcMac)
    {
        var frame = new byte[14 + 40 + 8];
        Ethernet.WriteHeader(frame, MacIf0, srcMac, Ethernet.TypeIp6);
        Ip6.WriteHeader(frame.AsSpan(14), 8, Ip6.ProtoUdp, 64, A6, B6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(54 + 4), 8);
        return frame;
    }

    /// <summary>A neighbor solicitation from A for the router's address (the multicast frame a host sends).</summary>
    private static byte[] Solicitation()
    {
        var frame = new byte[14 + 40 + 32];
        var group = Ip6.SolicitedNode(R6);
        Ethernet.WriteHeader(frame, Ip6.MulticastMac(group), MacA, Ethernet.TypeIp6);
        var h = frame.AsSpan(14);
        Ip6.WriteHeader(h, 32, Ip6.ProtoIcmp6, 255, A6, group);
        var ns = h[40..];
        ns[0] = 135;
        BinaryPrimitives.WriteUInt128BigEndian(ns[8..], R6);
        ns[24] = 1; // source link-layer address option
        ns[25] = 1;
        Ethernet.Write48(ns[26..], MacA);
        BinaryPrimitives.WriteUInt16BigEndian(ns[2..], Ip6.UpperChecksum(h, ns, Ip6.ProtoIcmp6));
        return frame;
    }

    /// <summary>A frame of another ethertype (LLDP to its group address).</summary>
    private static byte[] Lldp(ulong srcMac)
    {
        var frame = new byte[60];
        Ethernet.WriteHeader(frame, 0x01_80_c2_00_00_0e, srcMac, 0x88cc);
        return frame;
    }

    private static bool IsArpReply(byte[] f) => Ethernet.Type(f) == Ethernet.TypeArp && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(14 + 6)) == 2;

    [Fact]
    public void A_source_MAC_rule_denies_that_host_and_the_rest_is_permitted()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        var acl = dp.SetAcl("no-c", [AclRule.Eth(AclAction.Deny, source: "02:cc:00:00:00:0c"), new AclRule(AclAction.Permit)]);
        dp.AttachAcls("if0", ["no-c"], []);
        p0.Inject(Udp4(MacA));
        p0.Inject(Udp4(MacC)); // the same addresses from another MAC: denied
        p0.Inject(Udp6(MacC));
        p0.Inject(Udp6(MacA));
        dp.PollOnce();
        Assert.Equal(2, p1.Sent.Count);
        Assert.All(p1.Sent, f => Assert.Equal(TwoPortRouter.MacIf1, Ethernet.Source(f)));
        Assert.Equal([2L, 2L], acl.Hits);
        Assert.Equal(2, dp.DropCount(DropReason.AclDeny));
    }

    [Fact]
    public void An_ethertype_rule_permits_its_protocol_only()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        var acl = dp.SetAcl("v6-only", [AclRule.Eth(AclAction.Permit, etherType: Ethernet.TypeIp6)]);
        dp.AttachAcls("if0", ["v6-only"], []);
        p0.Inject(Udp4(MacA));
        p0.Inject(Udp6(MacA));
        dp.PollOnce();
        Assert.Equal(Ethernet.TypeIp6, Ethernet.Type(Assert.Single(p1.Sent)));
        Assert.Equal([1L], acl.Hits);
    }

    [Fact]
    public void A_MAC_mask_matches_an_OUI_and_a_destination_rule_the_frames_to_a_group()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        var acl = dp.SetAcl("oui", [
            AclRule.Eth(AclAction.Permit, source: "02:aa:00:00:00:00", sourceMask: "ff:ff:ff:00:00:00"),
            AclRule.Eth(AclAction.Deny, destination: "01:00:00:00:00:00", destinationMask: "01:00:00:00:00:00"),
        ]);
        dp.AttachAcls("if0", ["oui"], []);
        p0.Inject(Udp4(MacA));                     // 02:aa:00:00:00:0a: in the OUI
        p0.Inject(Udp4(0x02_aa_00_12_34_56));      // another host of the OUI
        p0.Inject(Udp4(0x02_aa_01_00_00_0a));      // one bit off in the OUI: no rule, denied
        p0.Inject(Udp4(MacC, Ethernet.Broadcast)); // to a group address: the second rule
        dp.PollOnce();
        Assert.Equal(2, p1.Sent.Count);
        Assert.Equal([2L, 1L], acl.Hits);
        Assert.Equal(2, dp.DropCount(DropReason.AclDeny));
    }

    [Fact]
    public void A_rule_mixing_MAC_and_IP_fields_needs_both_and_costs_one_probe_per_mask_group()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        // A's MAC with A's address and UDP: permitted; the same MAC spoofing another address, or TCP: denied.
        var acl = dp.SetAcl("bound", [
            AclRule.Ip4(AclAction.Permit, "10.0.1.2", 32) with { SourceMac = MacA, SourceMacMask = Ethernet.Broadcast, Protocol = Ip4.ProtoUdp },
        ]);
        dp.AttachAcls("if0", ["bound"], []);
        p0.Inject(Udp4(MacA));
        p0.Inject(Udp4(MacC));
        p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.3", "10.0.2.2"));
        p0.Inject(Frames.EchoRequest(MacIf0, MacA, "10.0.1.2", "10.0.2.2"));
        dp.PollOnce();
        Assert.Single(p1.Sent);
        Assert.Equal([1L], acl.Hits);

        // 300 rules of three shapes (MAC only, address only, both): a handful of groups, not 300 tests per packet.
        var rules = new List<AclRule>();
        for (uint i = 0; i < 100; i++)
        {
            var mac = 0x02_dd_00_00_00_00UL | i;
            var address = $"10.0.1.{100 + i}";
            rules.Add(AclRule.Eth(AclAction.Deny, source: Ethernet.Format(mac)));
            rules.Add(AclRule.Ip4(AclAction.Deny, address, 32));
            rules.Add(AclRule.Ip4(AclAction.Permit, address, 32) with { SourceMac = mac, SourceMacMask = Ethernet.Broadcast });
        }
        rules.Add(AclRule.Ip4(AclAction.Permit) with { SourceMac = MacA, SourceMacMask = Ethernet.Broadcast });
        dp.SetAcl("bound", rules);
        // MAC-only rules: IPv4, IPv6 and not-IP groups (A's IPv4 rule shares the first); address-only: one; both: one.
        Assert.Equal(5, dp.Interface("if0").InputAcl!.GroupCount);
        p0.Inject(Udp4(MacA));                                                       // the last rule
        p0.Inject(Frames.Udp(MacIf0, 0x02_dd_00_00_00_05, "10.0.1.2", "10.0.2.2")); // index 15: that MAC denied
        dp.PollOnce();
        Assert.Equal(2, p1.Sent.Count);
        Assert.Equal(1, dp.Acls["bound"].Hits[^1]);
        Assert.Equal(1, dp.Acls["bound"].Hits[15]);
    }

    [Fact]
    public void An_eth_ACL_filters_ARP_while_IP_only_ACLs_and_neighbor_discovery_are_left_alone()
    {
        var (dp, p0, _) = Router();
        using var __ = dp;
        // An ACL of IP rules only, even one denying everything, does not see ARP.
        dp.SetAcl("ip", [AclRule.Ip4(AclAction.Deny), new AclRule(AclAction.Deny)]);
        dp.AttachAcls("if0", ["ip"], []);
        p0.Inject(Frames.ArpRequest(MacC, "10.0.1.3", "10.0.1.1"));
        dp.PollOnce();
        Assert.True(IsArpReply(Assert.Single(p0.Sent)));
        Assert.Equal([0L, 0L], dp.Acls["ip"].Hits);

        // An eth ACL does: ARP from C denied (not answered, not learned), from A permitted by its ethertype rule.
        p0.Clear();
        var eth = dp.SetAcl("eth", [
            AclRule.Eth(AclAction.Deny, source: Ethernet.Format(MacC)),
            AclRule.Eth(AclAction.Permit, etherType: Ethernet.TypeArp),
        ]);
        dp.AttachAcls("if0", ["eth"], []);
        p0.Inject(Frames.ArpRequest(MacC, "10.0.1.4", "10.0.1.1"));
        p0.Inject(Frames.ArpRequest(MacA, "10.0.1.2", "10.0.1.1"));
        dp.PollOnce();
        var reply = Assert.Single(p0.Sent);
        Assert.True(IsArpReply(reply));
        Assert.Equal(MacA, Ethernet.Destination(reply));
        Assert.False(dp.Neighbors.TryGet(dp.Interface("if0").Index, Ip4.Parse("10.0.1.4"), out _));
        Assert.Equal([1L, 1L], eth.Hits);

        // Attached behind the IP ACL, its deny-all rules do not reach ARP: the eth ACL decides.
        p0.Clear();
        dp.AttachAcls("if0", ["ip", "eth"], []);
        p0.Inject(Frames.ArpRequest(MacA, "10.0.1.2", "10.0.1.1"));
        dp.PollOnce();
        Assert.True(IsArpReply(Assert.Single(p0.Sent)));
        Assert.Equal([1L, 2L], eth.Hits);

        // Neighbor discovery passes input ACLs whatever they say, eth rules included.
        p0.Clear();
        dp.SetAcl("eth", [AclRule.Eth(AclAction.Deny, source: Ethernet.Format(MacA))]);
        p0.Inject(Solicitation());
        dp.PollOnce();
        var na = Assert.Single(p0.Sent);
        Assert.Equal(136, na[14 + 40]);
    }

    [Fact]
    public void Frames_of_other_ethertypes_are_counted_by_the_rule_that_matched_them_and_dropped_either_way_without_sessions()
    {
        var (dp, p0, _) = Router();
        using var _ = dp;
        var acl = dp.SetAcl("lldp", [AclRule.Eth(AclAction.Deny, source: Ethernet.Format(MacC)), AclRule.Eth(AclAction.PermitReflect, etherType: 0x88cc)]);
        dp.AttachAcls("if0", ["lldp"], []);
        p0.Inject(Lldp(MacC));
        p0.Inject(Lldp(MacA));
        p0.Inject(Lldp(MacA));
        dp.PollOnce();
        Assert.Equal([1L, 2L], acl.Hits);
        Assert.Equal(1, dp.DropCount(DropReason.AclDeny));
        Assert.Equal(2, dp.DropCount(DropReason.UnknownEthertype));
        Assert.Equal(2, dp.Interface("if0").Counters.InUnknownProtos);
        Assert.Equal(0, dp.SessionCount); // reflect acts as permit: sessions are IP flows
    }

    [Fact]
    public void Hits_are_counted_per_rule_across_the_attached_ACLs()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        var ip = dp.SetAcl("ip", [AclRule.Ip4(AclAction.Permit, "10.0.1.2", 32) with { Protocol = Ip4.ProtoIcmp }]);
        var eth = dp.SetAcl("eth", [
            AclRule.Eth(AclAction.Deny, source: Ethernet.Format(MacC)),
            AclRule.Eth(AclAction.Permit, source: Ethernet.Format(MacA), etherType: Ethernet.TypeIp4),
            AclRule.Eth(AclAction.Permit, etherType: Ethernet.TypeArp),
        ]);
        dp.AttachAcls("if0", ["ip", "eth"], []);
        p0.Inject(Frames.EchoRequest(MacIf0, MacC, "10.0.1.2", "10.0.2.2")); // ip rule 1, before eth's deny
        for (var i = 0; i < 3; i++) p0.Inject(Udp4(MacA));                   // eth rule 2
        p0.Inject(Udp4(MacC));                                               // eth rule 1
        p0.Inject(Udp6(MacA));                                               // none
        p0.Inject(Frames.ArpRequest(MacA, "10.0.1.2", "10.0.1.1"));          // eth rule 3
        dp.PollOnce();
        Assert.Equal([1L], ip.Hits);
        Assert.Equal([1L, 3L, 1L], eth.Hits);
        Assert.Equal(4, p1.Sent.Count);
        Assert.Equal(2, dp.DropCount(DropReason.AclDeny));
    }

    [Fact]
    public void Output_ACLs_match_the_ethertype_but_refuse_MAC_rules()
    {
        var (dp, p0, p1) = Router();
        using var _ = dp;
        var acl = dp.SetAcl("out", [AclRule.Eth(AclAction.Deny, etherType: Ethernet.TypeIp4), new AclRule(AclAction.Permit)]);
        dp.AttachAcls("if1", [], ["out"]);
        p0.Inject(Udp4(MacA));
        p0.Inject(Udp6(MacA));
        dp.PollOnce();
        Assert.Equal(Ethernet.TypeIp6, Ethernet.Type(Assert.Single(p1.Sent)));
        Assert.Equal([1L, 1L], acl.Hits);

        var mac = AclRule.Eth(AclAction.Deny, source: Ethernet.Format(MacA));
        Assert.Contains("output", Assert.Throws<DataplaneException>(() => dp.SetAcl("out", [mac])).Message);
        Assert.Equal(2, dp.Acls["out"].Rules.Count); // unchanged
        dp.SetAcl("mac", [mac]);
        Assert.Contains("MAC addresses", Assert.Throws<DataplaneException>(() => dp.AttachAcls("if0", ["mac"], ["mac"])).Message);
        Assert.Null(dp.Interface("if0").InputAcl); // nothing attached
        dp.AttachAcls("if0", ["mac"], []);
    }

    [Fact]
    public void Bad_Ethernet_fields_are_refused()
    {
        var (dp, _, _) = Router();
        using var __ = dp;
        string Refused(AclRule r) => Assert.Throws<DataplaneException>(() => dp.SetAcl("x", [r])).Message;
        Assert.Contains("outside its mask", Refused(AclRule.Eth(AclAction.Deny, source: "02:aa:00:00:00:0a", sourceMask: "ff:ff:ff:00:00:00")));
        Assert.Contains("outside its mask", Refused(new AclRule(AclAction.Deny) { DestinationMac = MacA }));
        Assert.Contains("48 bits", Refused(new AclRule(AclAction.Deny) { SourceMac = 1UL << 50, SourceMacMask = 1UL << 50 }));
        Assert.Contains("below 0x0600", Refused(AclRule.Eth(AclAction.Deny, etherType: 0x05dc)));
        Assert.Contains("contradicts", Refused(AclRule.Ip4(AclAction.Deny) with { EtherType = Ethernet.TypeIp6 }));
        Assert.Contains("IP fields need", Refused(AclRule.Eth(AclAction.Deny, etherType: Ethernet.TypeArp) with { Protocol = 6 }));
        Assert.Contains("ICMPv6", Refused(AclRule.Eth(AclAction.Deny, etherType: Ethernet.TypeIp6) with { Protocol = 1, IcmpType = 128 }));
        Assert.DoesNotContain("x", dp.Acls.Keys);
        dp.SetAcl("x", [AclRule.Eth(AclAction.Permit, etherType: Ethernet.TypeIp6) with { Protocol = Ip6.ProtoIcmp6, IcmpType = 128 }]);
    }
}
