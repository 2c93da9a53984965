using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Bench;

/// <summary>
/// The dataplane as the router of bench/dataplane/dpdk.sh: two <see cref="DpdkPort"/>s whose devices (DRIVER:
/// net_af_xdp or net_af_packet, optionally with device arguments for both, net_af_xdp,busy_budget=0) are hot-plugged on the veth ends IN_IF and OUT_IF in namespace NETNS, 10.201.1.1/24
/// on the first, 10.201.2.1/24 on the second, a static neighbor 10.201.2.2 at NEXT_HOP_MAC. The EAL has DPDK's
/// defaults (no hugepages). One worker on its thread until SECONDS pass or SIGINT/SIGTERM; "ready" on stderr once it
/// polls, its counters when it stops.
///   Dataplane.Bench dpdk-ip4 SECONDS DRIVER NETNS IN_IF OUT_IF NEXT_HOP_MAC [IN_MAC]
/// </summary>
static class DpdkCase
{
    public static int Run(string[] args)
    {
        if (args is not [var secondsText, var driver, var netns, var inName, var outName, var hopMac, .. var more] || more.Length > 1)
        {
            Console.Error.WriteLine("usage: Dataplane.Bench dpdk-ip4 SECONDS DRIVER NETNS IN_IF OUT_IF NEXT_HOP_MAC [IN_MAC]");
            return 2;
        }
        if (!Dpdk.IsAvailable)
        {
            Console.Error.WriteLine($"DPDK is not available: {Dpdk.UnavailableReason}");
            return 3;
        }
        var seconds = double.Parse(secondsText, CultureInfo.InvariantCulture);
        using var dp = new Dataplane(buffers: 8192);
        // DRIVER may carry more device arguments for both ports: net_af_xdp,busy_budget=0
        var (drv, extra) = driver.IndexOf(',') is var comma and >= 0 ? (driver[..comma], driver[comma..]) : (driver, "");
        // MGMT_BENCH_ZEROCOPY=1: the ports get frames in the engine's own buffers (DpdkPort's zero copy; not af_xdp).
        var lend = Environment.GetEnvironmentVariable("MGMT_BENCH_ZEROCOPY") == "1" ? dp.Buffers : null;
        var rx = new DpdkPort($"{drv}_in,iface={inName}{extra}", netns, buffers: lend);
        var tx = new DpdkPort($"{drv}_out,iface={outName}{extra}", netns, buffers: lend);
        dp.CreateInterface("in", rx, more is [var inMac] ? Ethernet.Parse(inMac) : rx.Mac);
        dp.CreateInterface("out", tx, tx.Mac);
        dp.AddAddress("in", Ip4.Parse("10.201.1.1"), 24);
        dp.AddAddress("out", Ip4.Parse("10.201.2.1"), 24);
        dp.AddNeighbor("out", Ip4.Parse("10.201.2.2"), Ethernet.Parse(hopMac));
        // MGMT_BENCH_SERVICES=N: the DNAT cases' services (AfPacketCase.Services), flows idle for 1 s ending.
        var services = int.TryParse(Environment.GetEnvironmentVariable("MGMT_BENCH_SERVICES"), out var n) ? n : 0;
        if (services > 0) AfPacketCase.Services(dp, services, TimeSpan.FromSeconds(1));
        dp.SetAdminUp("in", true);
        dp.SetAdminUp("out", true);

        using var stop = new ManualResetEventSlim();
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        var clock = Stopwatch.StartNew();
        dp.Start();
        Console.Error.WriteLine($"ready: {rx.Name} ({inName}) -> {tx.Name} ({outName}) in {netns}, {Dpdk.Version}{(rx.ZeroCopy ? ", zero copy" : "")}");
        stop.Wait(TimeSpan.FromSeconds(seconds));
        var i = dp.Interface("in").Counters;
        var o = dp.Interface("out").Counters;
        Console.Error.WriteLine(
            $"{clock.Elapsed.TotalSeconds:F1} s: in {i.InUnicast} unicast, {i.InDiscards} discards; out {o.OutUnicast} unicast, {o.OutDiscards} discards; " +
            $"oversize {rx.OversizeDropped}; no mbuf {tx.NoMbufDropped}; driver in {rx.DriverCounters}, out {tx.DriverCounters}; GC gen0 {GC.CollectionCount(0)} gen2 {GC.CollectionCount(2)}" +
            (services > 0 ? $"; flows {dp.LbCounters}" : "") + $"; received in place {rx.ReceivedInPlace}, copied {rx.ReceivedCopied}; sent in place {tx.SentInPlace}, copied {tx.SentCopied}");
        return 0;
    }
}
