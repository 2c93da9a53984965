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
        var aclRules = int.Parse(aclText, CultureInfo.InvariantCulture);
        return Forward(secondsText, netns, inName, outName, hopMac, more, $"input ACL of {aclRules} rules", dp =>
        {
            if (aclRules == 0) return;
            dp.SetAcl("bench", BenchAcl.Rules(aclRules, new Random(42)));
            dp.AttachAcls("in", ["bench"], []);
        });
    }

    // afpacket-dnat: the same router with the service proxy: SERVICES services of one UDP port each (kube-proxy's
    // shape), the one the traffic goes to (10.201.9.9 port 9 to 10.201.2.2 port 5353) the last; flows idle for
    // UDP_TIMEOUT_MS end (a table of 1M flows).
    public static int Dnat(string[] args)
    {
        if (args is not [var secondsText, var servicesText, var timeoutText, var netns, var inName, var outName, var hopMac, .. var more] || more.Length > 1)
        {
            Console.Error.WriteLine("usage: Dataplane.Bench afpacket-dnat SECONDS SERVICES UDP_TIMEOUT_MS NETNS IN_IF OUT_IF NEXT_HOP_MAC [IN_MAC]");
            return 2;
        }
        var services = int.Parse(servicesText, CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromMilliseconds(int.Parse(timeoutText, CultureInfo.InvariantCulture));
        return Forward(secondsText, netns, inName, outName, hopMac, more, $"{services} services", dp => Services(dp, services, timeout),
            dp => $"; flows {dp.LbCounters}");
    }

    /// <summary>
    /// The services of the DNAT cases: SERVICES services of one UDP port each (kube-proxy's shape), the one the traffic
    /// goes to (10.201.9.9 port 9 to 10.201.2.2 port 5353) the last; flows idle for <paramref name="timeout"/> end.
    /// </summary>
    public static void Services(Dataplane dp, int services, TimeSpan timeout)
    {
        dp.SetLoadBalancer(new LoadBalancing.LbConfig { FlowsPerWorker = 1 << 20, Timeouts = new Acl.SessionTimeouts { Udp = timeout } });
        var backend = new LoadBalancing.ServiceBackend(Ip4.Parse("10.201.2.2"));
        dp.SetServices([.. Enumerable.Range(1, services - 1).Select(i => new LoadBalancing.Service($"s{i}", Ip4.Parse("10.96.0.0") + (uint)i,
                [new LoadBalancing.ServicePort(Ip4.ProtoUdp, 9, 5353)], [backend])),
            new LoadBalancing.Service("bench", Ip4.Parse("10.201.9.9"), [new LoadBalancing.ServicePort(Ip4.ProtoUdp, 9, 5353)], [backend])], []);
    }

    private static int Forward(string secondsText, string netns, string inName, string outName, string hopMac, string[] more, string what,
        Action<Dataplane> configure, Func<Dataplane, string>? report = null)
    {
        var seconds = double.Parse(secondsText, CultureInfo.InvariantCulture);
        using var dp = new Dataplane(buffers: 8192);
        var rx = new AfPacketPort(inName, netns);
        var tx = new AfPacketPort(outName, netns);
        dp.CreateInterface("in", rx, more is [var inMac] ? Ethernet.Parse(inMac) : rx.Mac);
        dp.CreateInterface("out", tx, tx.Mac);
        dp.AddAddress("in", Ip4.Parse("10.201.1.1"), 24);
        dp.AddAddress("out", Ip4.Parse("10.201.2.1"), 24);
        dp.AddNeighbor("out", Ip4.Parse("10.201.2.2"), Ethernet.Parse(hopMac));
        configure(dp);
        dp.SetAdminUp("in", true);
        dp.SetAdminUp("out", true);

        using var stop = new ManualResetEventSlim();
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        var clock = Stopwatch.StartNew();
        dp.Start();
        Console.Error.WriteLine($"ready: {inName} -> {outName} in {netns}, {what}");
        stop.Wait(TimeSpan.FromSeconds(seconds));
        var i1 = dp.Interface("in").Counters;
        var o = dp.Interface("out").Counters;
        Console.Error.WriteLine(
            $"{clock.Elapsed.TotalSeconds:F1} s: in {i1.InUnicast} unicast, {i1.InDiscards} discards; out {o.OutUnicast} unicast, {o.OutDiscards} discards; " +
            $"oversize {rx.OversizeDropped}; ring full {rx.RingDropped}; GC gen0 {GC.CollectionCount(0)} gen2 {GC.CollectionCount(2)}{report?.Invoke(dp)}");
        return 0;
    }
}
