using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// pcap in, pcap out: frames made by scapy go through the router (the setup of <see cref="ForwardingTests"/>) and
/// what comes out is decoded and checked by scapy, field by field and checksum by checksum (Golden/golden.py).
/// </summary>
public sealed class GoldenPcapTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataplane-golden-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Output) Python(string args) => GoldenScript.Run("golden.py", args);

    [Fact]
    public void Routed_answered_and_refused_packets_decode_correctly_in_scapy()
    {
        var input = Path.Combine(_dir, "in.pcap");
        var (code, output) = Python($"make {input}");
        Assert.True(code == 0, output);
        using (var dp = new Dataplane(buffers: 256))
        {
            var if0 = new PcapPort(input, Path.Combine(_dir, "if0.pcap"));
            dp.CreateInterface("if0", if0, 0x02_00_00_00_00_01);
            dp.CreateInterface("if1", new PcapPort(null, Path.Combine(_dir, "if1.pcap")), 0x02_00_00_00_00_02);
            dp.AddAddress("if0", Ip4.Parse("10.0.1.1"), 24);
            dp.AddAddress("if1", Ip4.Parse("10.0.2.1"), 24);
            dp.SetAdminUp("if0", true);
            dp.SetAdminUp("if1", true);
            dp.AddRoute(Ip4.Parse("192.168.0.0"), 16, RouteKind.NextHop, Ip4.Parse("10.0.2.2"));
            dp.AddNeighbor("if0", Ip4.Parse("10.0.1.2"), 0x02_aa_00_00_00_0a);
            dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), 0x02_bb_00_00_00_0b);
            while (if0.HasMore) dp.PollOnce();
            Assert.Equal(1, dp.DropCount(DropReason.Ip4BadChecksum));
        }
        (code, output) = Python($"check {Path.Combine(_dir, "if0.pcap")} {Path.Combine(_dir, "if1.pcap")}");
        Assert.True(code == 0, output);
        Assert.Contains("golden: 5 frames checked", output);
    }
}
