using System.Buffers.Binary;
using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// IPv6 extension headers (RFC 8200 §4) in front of TCP: ACLs match the upper-layer protocol and ports behind
/// them (RFC 8519), a fragment after the first has no ports to match, and the flow hash sees the same ports.
/// </summary>
public sealed class Ip6ExtensionHeaderTests
{
    private const byte HopByHop = 0, DestinationOptions = 60, Fragment = 44;

    /// <summary>A TCP SYN to <paramref name="port"/> behind the given extension headers (each 8 bytes; a fragment header with the offset given).</summary>
    private static byte[] Tcp(ushort port, byte[] extensions, ushort fragmentOffset = 0)
    {
        var payload = new byte[extensions.Length * 8 + 20];
        for (var i = 0; i < extensions.Length; i++)
        {
            var e = payload.AsSpan(i * 8, 8);
            e[0] = i + 1 < extensions.Length ? extensions[i + 1] : Ip6.ProtoTcp;
            e[1] = 0; // length in 8-byte units beyond the first (hop-by-hop and destination options: PadN fills the rest)
            if (extensions[i] == Fragment) BinaryPrimitives.WriteUInt16BigEndian(e[2..], (ushort)(fragmentOffset << 3 | 1));
            else
            {
                e[2] = 1; // PadN
                e[3] = 4;
            }
        }
        var tcp = payload.AsSpan(extensions.Length * 8);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], port);
        tcp[12] = 0x50;
        tcp[13] = 0x02;
        var frame = new byte[14 + 40 + payload.Length];
        Ethernet.WriteHeader(frame, TwoPortRouter.MacIf0, TwoPortRouter.MacA, Ethernet.TypeIp6);
        Ip6.WriteHeader(frame.AsSpan(14), payload.Length, extensions.Length > 0 ? extensions[0] : Ip6.ProtoTcp, 64, Ip6.Parse("2001:db8:1::2"), Ip6.Parse("2001:db8:2::2"));
        payload.CopyTo(frame.AsSpan(54));
        return frame;
    }

    [Fact]
    public void ACLs_match_the_ports_behind_extension_headers_and_not_those_of_a_later_fragment()
    {
        var (dp, p0, p1) = TwoPortRouter.Build();
        using var _ = dp;
        dp.AddAddress6("if0", Ip6.Parse("2001:db8:1::1"), 64);
        dp.AddAddress6("if1", Ip6.Parse("2001:db8:2::1"), 64);
        dp.AddNeighbor6("if1", Ip6.Parse("2001:db8:2::2"), TwoPortRouter.MacB);
        var acl = dp.SetAcl("web", [
            AclRule.Ip6(AclAction.Deny) with { Protocol = Ip6.ProtoTcp, DestinationPortLow = 81, DestinationPortHigh = 81 },
            AclRule.Ip6(AclAction.Permit) with { Protocol = Ip6.ProtoTcp, DestinationPortLow = 80, DestinationPortHigh = 80 },
            AclRule.Ip6(AclAction.Permit) with { Protocol = Ip6.ProtoTcp },
        ]);
        dp.AttachAcls("if0", ["web"], []);
        p0.Inject(Tcp(80, [HopByHop, DestinationOptions])); // rule 2
        p0.Inject(Tcp(81, [HopByHop, DestinationOptions])); // rule 1: denied
        p0.Inject(Tcp(81, [Fragment], fragmentOffset: 0)); // a first fragment has its ports: rule 1
        p0.Inject(Tcp(81, [DestinationOptions, Fragment], fragmentOffset: 100)); // a later one has none: rule 3
        dp.PollOnce();
        Assert.Equal([2L, 1L, 1L], acl.Hits); // rule 1 twice, rules 2 and 3 once
        Assert.Equal(2, p1.Sent.Count);
        Assert.Equal(2, dp.DropCount(DropReason.AclDeny));
    }

    [Fact]
    public void The_flow_hash_sees_the_ports_behind_extension_headers()
    {
        static uint Hash(ushort port, byte[] ext) => FlowHash.OfFrame(Tcp(port, ext));
        Assert.Equal(Hash(80, []), Hash(80, [HopByHop, DestinationOptions]));
        Assert.Contains(Enumerable.Range(1, 32), p => Hash((ushort)p, [HopByHop]) != Hash(80, [HopByHop]));
        Assert.True(Ip6.UpperLayer(Tcp(80, [HopByHop, DestinationOptions]).AsSpan(14), out var protocol, out var offset));
        Assert.Equal((Ip6.ProtoTcp, 56), (protocol, offset));
        Assert.False(Ip6.UpperLayer(Tcp(80, [Fragment], fragmentOffset: 3).AsSpan(14), out protocol, out _));
        Assert.Equal(Ip6.ProtoTcp, protocol);
        Assert.False(Ip6.UpperLayer(Tcp(80, [HopByHop]).AsSpan(14, 44), out _, out _)); // cut short
    }
}
