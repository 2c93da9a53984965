using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// GRE and IP-in-IP tunnel interfaces: packets scapy made go in, what comes out is decoded by scapy
/// (Golden/tunnels.py): encapsulation of IPv4 and IPv6 in GRE over IPv4 (with a key) and IPv6, IP in IPv4 and IPv6,
/// and decapsulation of what the far ends send; plus the API's checks.
/// </summary>
public sealed class TunnelTests : IDisposable
{
    private const ulong MacIf0 = TwoPortRouter.MacIf0, MacIf1 = TwoPortRouter.MacIf1, MacA = TwoPortRouter.MacA, MacB = TwoPortRouter.MacB;

    private readonly string _dir = Directory.CreateTempSubdirectory("dataplane-tunnels-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Output) Python(string args) => GoldenScript.Run("tunnels.py", args);

    /// <summary>The router of tunnels.py on the given ports.</summary>
    private static Dataplane Router(IPacketPort if0, IPacketPort if1)
    {
        var dp = new Dataplane(buffers: 512);
        dp.CreateInterface("if0", if0, MacIf0);
        dp.CreateInterface("if1", if1, MacIf1);
        dp.AddAddress("if0", Ip4.Parse("10.0.1.1"), 24);
        dp.AddAddress6("if0", Ip6.Parse("2001:db8:1::1"), 64);
        dp.AddAddress("if1", Ip4.Parse("192.0.2.1"), 24);
        dp.AddAddress6("if1", Ip6.Parse("2001:db8:f::1"), 64);
        dp.AddNeighbor("if0", Ip4.Parse("10.0.1.2"), MacA);
        dp.AddNeighbor6("if0", Ip6.Parse("2001:db8:1::2"), MacA);
        foreach (var far in new[] { "192.0.2.2", "192.0.2.3" }) dp.AddNeighbor("if1", Ip4.Parse(far), MacB);
        foreach (var far in new[] { "2001:db8:f::2", "2001:db8:f::3" }) dp.AddNeighbor6("if1", Ip6.Parse(far), MacB);
        var tunnels = new (string Name, TunnelKind Kind, string Local, string Remote, uint? Key)[]
        {
            ("gre4", TunnelKind.Gre, "192.0.2.1", "192.0.2.2", 42),
            ("ipip4", TunnelKind.IpIp, "192.0.2.1", "192.0.2.3", null),
            ("gre6", TunnelKind.Gre, "2001:db8:f::1", "2001:db8:f::2", null),
            ("ipip6", TunnelKind.IpIp, "2001:db8:f::1", "2001:db8:f::3", null),
        };
        for (var n = 1; n <= tunnels.Length; n++)
        {
            var (name, kind, local, remote, key) = tunnels[n - 1];
            dp.CreateTunnel(name, kind, local, remote, key: key);
            dp.AddAddress(name, Ip4.Parse($"172.16.{n}.1"), 30);
            dp.AddAddress6(name, Ip6.Parse($"2001:db8:e{n}::1"), 64);
            dp.SetAdminUp(name, true);
            dp.AddRoute(Ip4.Parse($"10.10{n}.0.0"), 16, RouteKind.NextHop, Ip4.Parse($"172.16.{n}.2"), name);
            dp.AddRoute6(Ip6.Parse($"2001:db8:10{n}::"), 48, RouteKind.NextHop, Ip6.Parse($"2001:db8:e{n}::2"), name);
        }
        dp.SetAdminUp("if0", true);
        dp.SetAdminUp("if1", true);
        return dp;
    }

    [Fact]
    public void Encapsulated_and_decapsulated_packets_decode_correctly_in_scapy()
    {
        string In0 = Path.Combine(_dir, "if0-in.pcap"), In1 = Path.Combine(_dir, "if1-in.pcap");
        string Out0 = Path.Combine(_dir, "if0-out.pcap"), Out1 = Path.Combine(_dir, "if1-out.pcap");
        var (code, output) = Python($"make {In0} {In1}");
        Assert.True(code == 0, output);
        using (var dp = Router(new PcapPort(In0, Out0), new PcapPort(In1, Out1)))
        {
            while (dp.PollOnce() > 0) { }
            Assert.Equal(1, dp.DropCount(DropReason.LocalNoListener)); // the wrong key: no tunnel, no host stack
            Assert.Equal(2, dp.Interface("gre4").Counters.OutUnicast);
            Assert.Equal(2, dp.Interface("ipip6").Counters.InUnicast);
        }
        (code, output) = Python($"check {Out0} {Out1}");
        Assert.True(code == 0, output);
        Assert.Contains("tunnels: 16 frames checked", output);
    }

    [Fact]
    public void A_packet_bigger_than_the_tunnel_MTU_is_refused_with_the_tunnels_MTU()
    {
        MemoryPort p0 = new(), p1 = new();
        using var dp = Router(p0, p1);
        Assert.Equal(1500 - 24 - 4, dp.Interface("gre4").Mtu); // 20 + GRE 4 + key 4
        Assert.Equal(1500 - 40, dp.Interface("ipip6").Mtu);
        p0.Inject(Frames.Udp(MacIf0, MacA, "10.0.1.2", "10.101.0.5", payload: 1460, dontFragment: true));
        dp.PollOnce();
        Assert.Empty(p1.Sent);
        Assert.True(p0.Sent.TryDequeue(out var icmp));
        var ip = Frames.IpOf(icmp);
        Assert.Equal(Ip4.ProtoIcmp, Ip4.Protocol(ip));
        Assert.Equal((3, 4), (ip[20], ip[21])); // fragmentation needed
        Assert.Equal(1472, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(ip[26..])); // the next-hop MTU: the tunnel's
    }

    [Fact]
    public void A_tunnel_routed_in_another_table_takes_only_what_arrives_in_that_table()
    {
        MemoryPort p0 = new(), p1 = new();
        using var dp = Router(p0, p1);
        dp.CreateTable(3);
        Assert.Contains("not two IPv4 or two IPv6", Assert.Throws<DataplaneException>(() => dp.CreateTunnel("x", TunnelKind.Gre, "192.0.2.1", "2001:db8::1")).Message);
        Assert.Contains("same endpoints", Assert.Throws<DataplaneException>(() => dp.CreateTunnel("x", TunnelKind.IpIp, "192.0.2.1", "192.0.2.3")).Message);
        Assert.Contains("only GRE", Assert.Throws<DataplaneException>(() => dp.CreateTunnel("x", TunnelKind.IpIp, "192.0.2.1", "192.0.2.9", key: 1)).Message);
        Assert.Contains("no table 9", Assert.Throws<DataplaneException>(() => dp.CreateTunnel("x", TunnelKind.Gre, "192.0.2.1", "192.0.2.9", underlayTable: 9)).Message);
        dp.CreateTunnel("red", TunnelKind.Gre, "192.0.2.1", "192.0.2.2", underlayTable: 3); // same endpoints, other table: allowed
        Assert.Contains("tunnel red", Assert.Throws<DataplaneException>(() => dp.DeleteTable(3)).Message);
        dp.DeleteInterface("red");
        dp.DeleteTable(3);
        // After gre4 is deleted, its far end's packets are no longer taken (nothing comes out on if0).
        dp.DeleteInterface("gre4");
        var frame = new byte[14 + 20 + 8 + 28 + 8];
        Ethernet.WriteHeader(frame, MacIf1, MacB, Ethernet.TypeIp4);
        Ip4.WriteHeader(frame.AsSpan(14), frame.Length - 14, 64, 47, Ip4.Parse("192.0.2.2"), Ip4.Parse("192.0.2.1"));
        frame[14 + 20] = 0x20; // GRE with a key
        frame[14 + 20 + 2] = 0x08;
        frame[14 + 20 + 7] = 42;
        Ip4.WriteHeader(frame.AsSpan(14 + 28), 28, 64, Ip4.ProtoUdp, Ip4.Parse("10.101.0.5"), Ip4.Parse("10.0.1.2"));
        p1.Inject(frame);
        dp.PollOnce();
        Assert.Empty(p0.Sent);
        Assert.Equal(1, dp.DropCount(DropReason.LocalNoListener));
    }
}
