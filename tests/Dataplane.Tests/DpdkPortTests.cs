using System.Diagnostics;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

using static Mgmt.Dataplane.Tests.HostCommands;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// <see cref="DpdkPort"/> on DPDK's virtual devices, without hugepages or a NIC (<see cref="Dpdk.DefaultArguments"/>:
/// --no-huge --no-pci --no-shconf). The EAL is initialised once for the whole test process, with the defaults.
/// Skipped where DPDK is not installed (CI installs libdpdk-dev and the PMDs).
/// </summary>
public sealed class DpdkPortTests
{
    private static int _devices;

    public DpdkPortTests()
    {
        Assert.SkipUnless(Dpdk.IsAvailable, $"DPDK is not available: {Dpdk.UnavailableReason}");
    }

    // Devices are the process's own (--no-shconf); short names, as net_ring names its rings after its device.
    internal static string Unique(string driver) => $"{driver}_dpdk{Interlocked.Increment(ref _devices)}";

    private static byte[] Frame(int length, byte seed)
    {
        var f = new byte[length];
        for (var i = 0; i < length; i++) f[i] = (byte)(seed + i * 7);
        f[0] = 0x02; // a unicast, locally administered destination
        return f;
    }

    // How many buffers the pool has free (allocates them all and gives them back).
    private static int Free(PacketPool pool)
    {
        var taken = new List<int>();
        for (var p = pool.Allocate(); p >= 0; p = pool.Allocate()) taken.Add(p);
        taken.ForEach(pool.Free);
        return taken.Count;
    }

    private static int Send(DpdkPort port, PacketPool pool, byte[] frame)
    {
        var p = pool.Allocate();
        frame.CopyTo(pool.Room(p));
        pool.Meta[p].Length = frame.Length;
        var sent = port.Transmit(pool, p);
        pool.Free(p);
        return sent ? 1 : 0;
    }

    [Fact]
    public void Frames_sent_on_a_net_ring_port_come_back_on_it()
    {
        // A net_ring device without arguments is a loop: its transmit ring is its receive ring.
        var name = Unique("net_ring");
        using var port = new DpdkPort(name);
        Assert.Equal(name, port.Name);
        Assert.Equal("net_ring", port.Driver);
        Assert.True(port.LinkUp);
        var pool = new PacketPool(256);
        var frames = Enumerable.Range(0, 40).Select(i => Frame(60 + i * 37, (byte)i)).ToList();
        Assert.Equal(frames.Count, frames.Sum(f => Send(port, pool, f)));

        var received = new List<byte[]>();
        var into = new int[16]; // less than a burst and less than what waits: the rest stays for the next call
        for (var round = 0; round < 10 && received.Count < frames.Count; round++)
        {
            var n = port.Receive(pool, into);
            Assert.InRange(n, 0, into.Length);
            for (var i = 0; i < n; i++)
            {
                received.Add(pool.Data(into[i]).ToArray());
                Assert.Equal(PacketPool.Headroom, pool.Meta[into[i]].Offset);
                pool.Free(into[i]);
            }
        }
        Assert.Equal(frames.Count, received.Count);
        for (var i = 0; i < frames.Count; i++) Assert.Equal(frames[i], received[i]);
        Assert.Equal(0, port.Receive(pool, into)); // nothing more, and it did not block
        var counters = port.DriverCounters;
        Assert.Equal((ulong)frames.Count, counters.Sent);
        Assert.Equal((ulong)frames.Count, counters.Received);
        Assert.Equal(256, Free(pool)); // every buffer back
    }

    [Fact]
    public void A_zero_copy_port_receives_into_the_engines_buffers_and_sends_them_as_they_are()
    {
        var buffers = new PacketBuffers(4096);
        var pool = buffers.NewCache();
        using var port = new DpdkPort(Unique("net_ring"), buffers: buffers);
        Assert.True(port.ZeroCopy);
        var lent = 4096 - buffers.FreeCount;
        Assert.Equal(1024, lent); // a quarter of the buffers, out of the engine's free list
        var frames = Enumerable.Range(0, 40).Select(i => Frame(60 + i * 37, (byte)i)).ToList();
        Assert.Equal(frames.Count, frames.Sum(f => Send(port, pool, f))); // the engine's own buffers: copied into mbufs
        var into = new int[64];
        // Round and round: what came in is sent again as it is (its own mbuf), many times more than the port has mbufs,
        // so that a buffer not given back would run the port dry.
        for (var round = 0; round < 60; round++)
        {
            var n = port.Receive(pool, into);
            Assert.Equal(frames.Count, n);
            for (var i = 0; i < n; i++)
            {
                Assert.True(into[i] >= buffers.Capacity - lent, $"buffer {into[i]} is not one the port was lent");
                Assert.Equal(frames[i], pool.Data(into[i]).ToArray());
                Assert.True(port.Transmit(pool, into[i]));
                pool.Free(into[i]);
            }
            pool.FlushLent();
            port.Flush();
        }
        Assert.Equal(60 * frames.Count, port.ReceivedInPlace);
        Assert.Equal(0, port.ReceivedCopied);
        Assert.Equal(60 * frames.Count, port.SentInPlace);
        Assert.Equal(frames.Count, port.SentCopied);
        var last = port.Receive(pool, into);
        for (var i = 0; i < last; i++) pool.Free(into[i]);
        pool.FlushLent();
        Assert.Equal(4096 - lent, buffers.FreeCount); // the engine's own buffers all back
    }

    [Fact]
    public void Receive_takes_no_more_than_the_pool_has_and_loses_nothing()
    {
        using var port = new DpdkPort(Unique("net_ring"));
        var pool = new PacketPool(8);
        for (var i = 0; i < 12; i++) Assert.Equal(1, Send(port, pool, Frame(100, (byte)i)));
        var into = new int[64];
        var first = port.Receive(pool, into);
        Assert.Equal(8, first); // the pool had 8 buffers
        Assert.Equal(0, port.Receive(pool, into)); // none left: nothing taken from the driver
        for (var i = 0; i < first; i++) pool.Free(into[i]);
        Assert.Equal(4, port.Receive(pool, into)); // the other four waited in the ring
        Assert.Equal(Frame(100, 8), pool.Data(into[0]).ToArray());
    }

    [Fact]
    public void A_net_null_port_receives_generated_frames_and_takes_any()
    {
        using var port = new DpdkPort(Unique("net_null") + ",size=128");
        Assert.Equal("net_null", port.Driver);
        var pool = new PacketPool(512);
        var into = new int[256];
        var n = port.Receive(pool, into);
        Assert.Equal(256, n); // net_null always has frames: bursts until the caller's vector is full
        Assert.All(into, p => Assert.Equal(128, pool.Meta[p].Length));
        for (var i = 0; i < n; i++) pool.Free(into[i]);
        Assert.Equal(1, Send(port, pool, Frame(1514, 1)));
    }

    [Fact]
    public void A_frame_longer_than_a_packet_buffer_is_dropped_and_counted()
    {
        using var port = new DpdkPort(Unique("net_null") + ",size=2000");
        var pool = new PacketPool(64);
        var into = new int[4];
        Assert.Equal(0, port.Receive(pool, into));
        Assert.True(port.OversizeDropped >= 4);
        Assert.Equal(64, Free(pool));
    }

    [Fact]
    public void Ports_are_refused_with_a_reason()
    {
        Assert.Throws<ArgumentException>(() => new DpdkPort(""));
        Assert.Throws<ArgumentException>(() => new DpdkPort("net_ring0, x"));
        Assert.Throws<ArgumentException>(() => new DpdkPort("net_null0", networkNamespace: "../x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpdkPort("net_null0", mbufs: 10));
        var e = Assert.Throws<DataplaneException>(() => new DpdkPort("0000:99:00.0"));
        Assert.Contains("0000:99:00.0", e.Message);
        e = Assert.Throws<DataplaneException>(() => new DpdkPort(Unique("net_af_packet") + ",iface=dpdk-none0"));
        Assert.Contains("could not attach", e.Message);
        e = Assert.Throws<DataplaneException>(() => new DpdkPort(Unique("net_af_packet") + ",iface=eth0", "dpdk-no-such-namespace"));
        Assert.Contains("no network namespace dpdk-no-such-namespace", e.Message);

        var name = Unique("net_null");
        using var port = new DpdkPort(name);
        e = Assert.Throws<DataplaneException>(() => new DpdkPort(name));
        Assert.Contains("in use", e.Message);
        e = Assert.Throws<DataplaneException>(() => new DpdkPort(name + ",size=64"));
        Assert.Contains("exists already", e.Message);
    }

    [Fact]
    public void A_hot_plugged_device_is_removed_with_its_port_and_its_name_can_be_used_again()
    {
        var name = Unique("net_ring");
        new DpdkPort(name).Dispose();
        using var again = new DpdkPort(name);
        Assert.Equal(name, again.Name);
    }

    [Fact]
    public void The_EAL_is_initialised_once_and_refuses_other_arguments()
    {
        Dpdk.Initialize(); // the defaults, as every DpdkPort of this process
        Dpdk.Initialize(Dpdk.DefaultArguments); // the same again: nothing to do
        Assert.True(Dpdk.IsInitialized);
        var e = Assert.Throws<DataplaneException>(() => Dpdk.Initialize(["--no-huge", "-m", "64"]));
        Assert.Contains("once per process", e.Message);
        Assert.StartsWith("DPDK ", Dpdk.Version);
    }
}

/// <summary>Runs with and without DPDK: a port either works or is refused saying why.</summary>
public sealed class DpdkAvailabilityTests
{
    [Fact]
    public void Without_DPDK_a_port_is_refused_saying_so()
    {
        if (Dpdk.IsAvailable)
        {
            Assert.Null(Dpdk.UnavailableReason);
            using var port = new DpdkPort(DpdkPortTests.Unique("net_null"));
            Assert.Equal("net_null", port.Driver);
            return;
        }
        var e = Assert.Throws<DataplaneException>(() => new DpdkPort("net_null0"));
        Assert.StartsWith("DPDK is not available: ", e.Message);
        Assert.Contains(Dpdk.UnavailableReason!, e.Message);
        Assert.Throws<DataplaneException>(() => Dpdk.Initialize());
    }
}

/// <summary>The end-to-end tests over DPDK's af_packet PMD.</summary>
public sealed class DpdkAfPacketForwardingTests() : DpdkForwardingTests("net_af_packet", "p");

/// <summary>The end-to-end tests over DPDK's af_packet PMD with zero-copy ports (frames in the engine's lent buffers).</summary>
public sealed class DpdkAfPacketZeroCopyForwardingTests() : DpdkForwardingTests("net_af_packet", "z", zeroCopy: true);

/// <summary>The end-to-end tests over DPDK's AF_XDP PMD (copy mode on veth).</summary>
public sealed class DpdkAfXdpForwardingTests() : DpdkForwardingTests("net_af_xdp", "x");

/// <summary>
/// Real packets between Linux network namespaces, routed by the dataplane over a DPDK PMD that opens kernel
/// interfaces (net_af_packet, net_af_xdp): hosts A (10.78.1.2) and B (10.78.2.2), each on a veth pair whose other
/// end is in namespace R, where DPDK devices (hot-plugged in R) own both ends. As <see cref="AfPacketForwardingTests"/>,
/// with DPDK. Needs root and DPDK.
/// </summary>
public abstract class DpdkForwardingTests : IDisposable
{
    private readonly string _driver, _letter;
    private readonly string _a, _b, _r;
    private readonly string _tag = $"{Environment.ProcessId % 100000}";
    private readonly Dataplane _dp = new();

    private readonly bool _zeroCopy;

    protected DpdkForwardingTests(string driver, string letter, bool zeroCopy = false)
    {
        _zeroCopy = zeroCopy;
        _driver = driver;
        _letter = letter;
        Assert.SkipUnless(Environment.UserName == "root" && (File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip")), "needs root and iproute2 (network namespaces)");
        Assert.SkipUnless(Dpdk.IsAvailable, $"DPDK is not available: {Dpdk.UnavailableReason}");
        Assert.SkipUnless(File.Exists("/usr/sbin/ethtool") || File.Exists("/sbin/ethtool"), "needs ethtool (checksum offload off on the hosts)");
        _a = $"dpdk-{letter}a-{_tag}";
        _b = $"dpdk-{letter}b-{_tag}";
        _r = $"dpdk-{letter}r-{_tag}";
        Cleanup();
        foreach (var ns in new[] { _a, _b, _r }) Ip($"netns add {ns}");
        Link(_a, "va", "10.78.1.2/24", "10.78.1.1");
        Link(_b, "vb", "10.78.2.2/24", "10.78.2.1");
    }

    // A host namespace with interface "eth0" (address, default route via the dataplane), joined to R's "<name>".
    private void Link(string ns, string name, string address, string gateway)
    {
        Ip($"link add dpdk{_letter}{name}{_tag} type veth peer name eth0 netns {ns}");
        Ip($"link set dpdk{_letter}{name}{_tag} netns {_r}");
        Ip($"-n {_r} link set dpdk{_letter}{name}{_tag} name {name}");
        Run("ip", $"netns exec {_r} sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
        Ip($"-n {_r} link set {name} up");
        // DPDK's af_packet PMD does not finish checksums left to offload: the hosts compute their own.
        Run("ip", $"netns exec {ns} ethtool -K eth0 tx off");
        Ip($"-n {ns} addr add {address} dev eth0");
        Ip($"-n {ns} link set eth0 up");
        Ip($"-n {ns} link set lo up");
        Ip($"-n {ns} route add default via {gateway}");
    }

    public void Dispose()
    {
        if (_zeroCopy && _dp.Interfaces.Select(i => i.Port).OfType<DpdkPort>().ToList() is [var pa, var pb])
        {
            // Every frame came in without a copy, and forwarded ones left the same way (the dataplane's own packets,
            // such as its ARP requests, are in its own buffers and copied into mbufs).
            var copied = pa.ReceivedCopied + pb.ReceivedCopied;
            var (inPlace, sentInPlace) = (pa.ReceivedInPlace + pb.ReceivedInPlace, pa.SentInPlace + pb.SentInPlace);
            _dp.Dispose();
            Cleanup();
            Assert.True(inPlace > 0, "nothing was received in place");
            Assert.True(sentInPlace > 0, "nothing was sent in place");
            Assert.Equal(0, copied);
        }
        else
        {
            _dp.Dispose();
            Cleanup();
        }
        GC.SuppressFinalize(this);
    }

    private void Cleanup()
    {
        foreach (var ns in new[] { _a, _b, _r }) Run("ip", $"netns del {ns}", check: false);
    }

    private void StartRouter()
    {
        var pa = new DpdkPort($"{DpdkPortTests.Unique(_driver)},iface=va", _r, buffers: _zeroCopy ? _dp.Buffers : null);
        var pb = new DpdkPort($"{DpdkPortTests.Unique(_driver)},iface=vb", _r, buffers: _zeroCopy ? _dp.Buffers : null);
        Assert.Equal(_driver, pa.Driver);
        Assert.Equal(_zeroCopy, pa.ZeroCopy && pb.ZeroCopy);
        _dp.CreateInterface("a", pa, pa.Mac);
        _dp.CreateInterface("b", pb, pb.Mac);
        _dp.AddAddress("a", Ip4.Parse("10.78.1.1"), 24);
        _dp.AddAddress("b", Ip4.Parse("10.78.2.1"), 24);
        _dp.SetAdminUp("a", true);
        _dp.SetAdminUp("b", true);
        _dp.Start();
    }

    [Fact]
    public void Hosts_in_two_namespaces_ping_each_other_and_the_router_through_DPDK()
    {
        StartRouter();
        var (code, output) = Run("ip", $"netns exec {_a} ping -c 3 -i 0.2 -W 2 10.78.2.2", check: false);
        Assert.True(code == 0, output);
        Assert.Contains(" 0% packet loss", output);
        Assert.Contains("ttl=63", Run("ip", $"netns exec {_a} ping -c 1 -W 2 10.78.2.2").Output); // routed: one hop
        (code, output) = Run("ip", $"netns exec {_b} ping -c 2 -i 0.2 -W 2 10.78.2.1", check: false);
        Assert.True(code == 0, output);
        Assert.True(_dp.Interface("a").Counters.InUnicast >= 4);
    }

    [Fact]
    public void A_UDP_exchange_crosses_DPDK()
    {
        StartRouter();
        var port = 17000 + Environment.ProcessId % 1000;
        var echo = $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.78.2.2',{port}))\nwhile True:\n  d,a=s.recvfrom(65535)\n  s.sendto(d.upper(),a)";
        using var server = Process.Start(new ProcessStartInfo("ip", $"netns exec {_b} python3 -c \"{echo}\"") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            // Datagrams of up to 1400 bytes, each retried until its echo comes back (the server may still be starting).
            var client = $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(0.3)\nfor n in (8,512,1400):\n  m=bytes(97+i%26 for i in range(n))\n  for t in range(30):\n    s.sendto(m,('10.78.2.2',{port}))\n    try:\n      d,a=s.recvfrom(65535)\n      if d==m.upper(): break\n    except socket.timeout: pass\n  else: raise SystemExit('no echo of %d bytes' % n)\nprint('ok')";
            var (code, output) = Run("ip", $"netns exec {_a} python3 -c \"{client}\"", check: false);
            Assert.True(code == 0, output);
            Assert.Contains("ok", output);
        }
        finally
        {
            server.Kill();
        }
    }

    [Fact]
    public void A_TCP_connection_carries_data_through_DPDK()
    {
        StartRouter();
        var port = 16000 + Environment.ProcessId % 1000;
        using var server = HttpServer(_b, "10.78.2.2", port, "/usr/share");
        try
        {
            var (code, output) = HttpGetLength(_a, $"http://10.78.2.2:{port}/");
            Assert.True(code == 0, output);
            Assert.True(int.Parse(output.Trim().Split('\n')[^1]) > 1000, output);
        }
        finally
        {
            server.Kill();
        }
    }
}
