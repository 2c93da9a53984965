using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Bench;

/// <summary>
/// The dataplane as the router of bench/dataplane/afpacket.sh: two <see cref="AfPacketPort"/>s on the veth ends in
/// the router namespace, 10.201.1.1/24 on the first, 10.201.2.1/24 on the second, a static neighbor 10.201.2.2 and
/// optionally an input ACL on the first whose last rule is the one the traffic matches. One worker on its thread
/// (<see cref="Dataplane.Start"/>; the script pins the process to a core) until SECONDS pass or SIGINT/SIGTERM. The first
/// interface takes IN_MAC when given (the script gives one other than the Linux interface's, so that the router
/// namespace's kernel drops the frames the dataplane takes at its first check). Writes "ready" to stderr once it
/// polls, and its counters when it stops; the script measures the rate at the sink.
///   Dataplane.Bench afpacket-ip4 SECONDS ACL_RULES NETNS IN_IF OUT_IF NEXT_HOP_MAC [IN_MAC]
/// </summary>
static class AfPacketCase
{
    public static int Run(string[] args)
    {
        if (args is not [var secondsText, var aclText, var netns, var inName, var outName, var hopMac, .. var more] || more.Length > 1)
        {
            Console.Error.WriteLine("usage: Dataplane.Bench afpacket-ip4 SECONDS ACL_RULES NETNS IN_IF OUT_IF NEXT_HOP_MAC [IN_MAC]");
            return 2;
        }
        var seconds = double.Parse(secondsText, CultureInfo.InvariantCulture);
        var aclRules = int.Parse(aclText, CultureInfo.InvariantCulture);
        using var dp = new Dataplane(buffers: 8192);
        var rx = new AfPacketPort(inName, netns);
        var tx = new AfPacketPort(outName, netns);
        dp.CreateInterface("in", rx, more is [var inMac] ? Ethernet.Parse(inMac) : rx.Mac);
        dp.CreateInterface("out", tx, tx.Mac);
        dp.AddAddress("in", Ip4.Parse("10.201.1.1"), 24);
        dp.AddAddress("out", Ip4.Parse("10.201.2.1"), 24);
        dp.AddNeighbor("out", Ip4.Parse("10.201.2.2"), Ethernet.Parse(hopMac));
        if (aclRules > 0)
        {
            dp.SetAcl("bench", BenchAcl.Rules(aclRules, new Random(42)));
            dp.AttachAcls("in", ["bench"], []);
        }
        dp.SetAdminUp("in", true);
        dp.SetAdminUp("out", true);

        using var stop = new ManualResetEventSlim();
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        var clock = Stopwatch.StartNew();
        dp.Start();
        Console.Error.WriteLine($"ready: {inName} -> {outName} in {netns}, input ACL of {aclRules} rules");
        stop.Wait(TimeSpan.FromSeconds(seconds));
        var i1 = dp.Interface("in").Counters;
        var o = dp.Interface("out").Counters;
        Console.Error.WriteLine(
            $"{clock.Elapsed.TotalSeconds:F1} s: in {i1.InUnicast} unicast, {i1.InDiscards} discards; out {o.OutUnicast} unicast, {o.OutDiscards} discards; " +
            $"oversize {rx.OversizeDropped}; ring full {rx.RingDropped}; GC gen0 {GC.CollectionCount(0)} gen2 {GC.CollectionCount(2)}");
        return 0;
    }
}
