using System.Buffers.Binary;
using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// Several workers: software RSS hands each flow to one worker (both directions to the same one), counters are
/// per worker and summed, and forwarding under threads loses nothing while routes change.
/// </summary>
public sealed class WorkerTests
{
    private const ulong MacIf0 = TwoPortRouter.MacIf0, MacIf1 = TwoPortRouter.MacIf1, MacA = TwoPortRouter.MacA, MacB = TwoPortRouter.MacB;

    private static (Dataplane, MemoryPort, MemoryPort) Router(int workers) => TwoPortRouter.Build(2048, workers);

    private static byte[] Udp(ulong dstMac, ulong srcMac, string src, string dst, ushort sport, ushort dport)
    {
        var f = Frames.Udp(dstMac, srcMac, src, dst);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(34), sport);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(36), dport);
        return f;
    }

    private static long Seen(Worker w, string node) => w.Nodes.Single(n => n.Name == node).Packets;

    [Fact]
    public void A_flow_and_its_reverse_hash_alike_and_flows_spread_evenly()
    {
        var rng = new Random(5);
        var buckets = new int[4];
        for (var i = 0; i < 40_000; i++)
        {
            var (a, b) = ($"10.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(1, 255)}", $"172.16.{rng.Next(256)}.{rng.Next(1, 255)}");
            var (sp, dp) = ((ushort)rng.Next(1024, 65536), (ushort)rng.Next(1, 1024));
            var there = FlowHash.OfFrame(Udp(MacIf0, MacA, a, b, sp, dp));
            Assert.Equal(there, FlowHash.OfFrame(Udp(MacA, MacIf0, b, a, dp, sp)));
            buckets[FlowHash.Pick(there, 4)]++;
        }
        Assert.All(buckets, n => Assert.InRange(n, 9_000, 11_000));
        // Ports matter: the same hosts on other ports land elsewhere at least sometimes.
        var one = Enumerable.Range(1, 64).Select(p => FlowHash.Pick(FlowHash.OfFrame(Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", (ushort)(40000 + p), 53)), 4)).Distinct();
        Assert.True(one.Count() > 1);
    }

    [Fact]
    public void Flows_from_one_port_are_spread_over_the_workers_and_counters_add_up()
    {
        var (dp, p0, p1) = Router(workers: 2);
        using var _ = dp;
        Assert.Equal([0, 1], dp.Interfaces.Select(i => i.RxWorker));
        const int flows = 1000;
        for (var i = 0; i < flows; i++) p0.Inject(Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", (ushort)(20000 + i), 53));
        while (dp.PollOnce() > 0) { }
        Assert.Equal(flows, p1.Sent.Count);
        // if0 is polled by worker 0 alone, yet both workers forwarded a fair share.
        foreach (var w in dp.Workers) Assert.InRange(Seen(w, "ip4-lookup"), flows / 3, flows * 2 / 3);
        Assert.Equal(flows, dp.Workers.Sum(w => Seen(w, "ip4-lookup")));
        Assert.Equal(flows, dp.Node("ip4-lookup").Packets);
        Assert.Equal(flows, dp.Runtime().Single(n => n.Name == "interface-output").Packets);
        Assert.Contains("no node", Assert.Throws<DataplaneException>(() => dp.Node("ip9-lookup")).Message);
        Assert.Equal(flows, dp.Interface("if0").Counters.InUnicast);
        Assert.Equal(flows, dp.Interface("if1").Counters.OutUnicast);
        Assert.Equal(dp.Buffers.Capacity, dp.Buffers.FreeCount);
    }

    [Fact]
    public void Replies_arriving_on_another_workers_port_find_the_session_their_flow_opened()
    {
        var (dp, p0, p1) = Router(workers: 2);
        using var _ = dp;
        dp.SetAcl("inside", [AclRule.Ip4(AclAction.PermitReflect, "10.0.1.0", 24) with { Protocol = 17 }]);
        dp.SetAcl("outside", [new AclRule(AclAction.Deny)]);
        dp.AttachAcls("if0", ["inside"], []);
        dp.AttachAcls("if1", ["outside"], []);
        const int flows = 400;
        for (var i = 0; i < flows; i++) p0.Inject(Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", (ushort)(30000 + i), 53));
        while (dp.PollOnce() > 0) { }
        Assert.Equal(flows, p1.Sent.Count);
        Assert.Equal(flows, dp.SessionCount);
        Assert.All(dp.Workers, w => Assert.InRange(w.Sessions.Count, 1, flows - 1)); // sessions live on both workers
        // if1 is worker 1's port: replies of worker 0's flows cross over to it and pass.
        for (var i = 0; i < flows; i++) p1.Inject(Udp(MacIf1, MacB, "10.0.2.2", "10.0.1.2", 53, (ushort)(30000 + i)));
        p1.Inject(Udp(MacIf1, MacB, "10.0.2.2", "10.0.1.2", 53, 29999)); // no session: denied
        while (dp.PollOnce() > 0) { }
        Assert.Equal(flows, p0.Sent.Count);
        Assert.Equal(1, dp.DropCount(DropReason.AclDeny));
    }

    [Fact]
    public void Worker_threads_forward_everything_while_routes_change_under_them()
    {
        var (dp, p0, p1) = Router(workers: 2);
        using var _ = dp;
        dp.AddRoute(Ip4.Parse("192.168.0.0"), 16, Fib.RouteKind.NextHop, Ip4.Parse("10.0.2.2"));
        dp.AddRoute(Ip4.Parse("172.16.0.0"), 12, Fib.RouteKind.NextHop, Ip4.Parse("10.0.1.2"));
        dp.Start();
        const int each = 20_000;
        var senders = new[]
        {
            new Thread(() => { for (var i = 0; i < each; i++) p0.Inject(Udp(MacIf0, MacA, "10.0.1.2", $"192.168.{i % 256}.{i / 256 % 250 + 1}", (ushort)i, 53)); }),
            new Thread(() => { for (var i = 0; i < each; i++) p1.Inject(Udp(MacIf1, MacB, "10.0.2.2", $"172.16.{i % 256}.{i / 256 % 250 + 1}", (ushort)i, 53)); }),
        };
        foreach (var t in senders) t.Start();
        // Meanwhile the control plane adds and removes 2,000 unrelated routes.
        for (var i = 0; i < 1000; i++)
        {
            dp.AddRoute(Ip4.Parse($"100.64.{i % 256}.0") + (uint)(i / 256 << 16), 24, Fib.RouteKind.Blackhole);
            dp.DeleteRoute(Ip4.Parse($"100.64.{i % 256}.0") + (uint)(i / 256 << 16), 24);
        }
        foreach (var t in senders) t.Join();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((p1.Sent.Count < each || p0.Sent.Count < each) && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.Equal(each, p1.Sent.Count);
        Assert.Equal(each, p0.Sent.Count);
        Assert.Equal(0, Enum.GetValues<DropReason>().Sum(r => dp.DropCount(r)));
        Assert.Equal(each, dp.Interface("if1").Counters.OutUnicast);
    }

    [Fact]
    public void An_interface_deleted_under_running_workers_is_closed_after_they_let_go_of_it()
    {
        var (dp, p0, p1) = Router(workers: 2);
        using var _ = dp;
        var p2 = new CountingPort();
        dp.CreateInterface("if2", p2, 0x02_00_00_00_00_03);
        dp.SetAdminUp("if2", true);
        dp.Start();
        Thread.Sleep(20);
        dp.DeleteInterface("if2");
        var polls = p2.Receives;
        Assert.True(p2.Disposed);
        Thread.Sleep(20);
        Assert.Equal(polls, p2.Receives); // nobody polled it after it was closed
        p0.Inject(Udp(MacIf0, MacA, "10.0.1.2", "10.0.2.2", 1, 2));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (p1.Sent.IsEmpty && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Assert.Single(p1.Sent);
    }

    /// <summary>A port that counts its polls and fails them once closed.</summary>
    private sealed class CountingPort : IPacketPort
    {
        public int Receives;
        public volatile bool Disposed;

        public bool LinkUp => true;

        public int Receive(PacketPool pool, Span<int> into)
        {
            Assert.False(Disposed, "polled after it was closed");
            Interlocked.Increment(ref Receives);
            return 0;
        }

        public bool Transmit(PacketPool pool, int packet) => !Disposed;

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void Packet_metadata_is_one_cache_line() => Assert.Equal(64, System.Runtime.CompilerServices.Unsafe.SizeOf<PacketMeta>());

    [Fact]
    public void Worker_counts_and_cores_are_checked()
    {
        Assert.Throws<DataplaneException>(() => new Dataplane(workers: 0));
        Assert.Throws<DataplaneException>(() => new Dataplane(workers: 2, cores: [Environment.ProcessorCount]));
        Assert.InRange(Dataplane.DefaultWorkerCount, 1, Environment.ProcessorCount);
    }
}
