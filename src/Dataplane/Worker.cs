using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Nodes;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane;

/// <summary>
/// One packet-processing thread: its cache of packet buffers, its graph of nodes, their counters and its sessions.
/// It takes the packets other workers handed it, polls the ports of the interfaces it receives for, hands each
/// flow to the worker its hash picks (software RSS, so that a flow's state lives on one worker) and runs the graph
/// until it is empty.
/// </summary>
public sealed class Worker
{
    private readonly int[] _rx = new int[Frame.Size];
    private readonly HandoffQueue[] _incoming;
    private HandoffQueue[] _outgoing = [];

    internal Worker(Dataplane dataplane, int index, int workers, PacketPool pool)
    {
        Dataplane = dataplane;
        Index = index;
        Pool = pool;
        _incoming = new HandoffQueue[workers];
        for (var i = 0; i < workers; i++) _incoming[i] = new HandoffQueue();
        Graph = new VectorGraph();
        Drop = new ErrorDrop(this);
        Output = new InterfaceOutput(this);
        IcmpError = new Ip4IcmpError(this);
        Lookup = new Ip4Lookup(this);
        Rewrite = new Ip4Rewrite(this);
        Fragment = new Ip4Fragment(this);
        Fragment6 = new Ip6Fragment(this);
        Local = new Ip4Local(this);
        Ip4Input = new Ip4Input(this);
        Arp = new ArpInput(this);
        Punt = new HostPunt(this);
        AclIn = new AclNode(this, input: true);
        AclOut = new AclNode(this, input: false);
        NatIn2Out = new Nat44Node(this, inside: true);
        NatOut2In = new Nat44Node(this, inside: false);
        Lb4 = new Lb4Node(this);
        Lb6 = new Lb6Node(this);
        DsrDecap = new DsrDecap(this);
        IcmpError6 = new Ip6IcmpError(this);
        Lookup6 = new Ip6Lookup(this);
        Rewrite6 = new Ip6Rewrite(this);
        Local6 = new Ip6Local(this);
        Ip6Input = new Ip6Input(this);
        EthernetInput = new EthernetInput(this);
        TunnelEncap = new TunnelEncap(this);
        TunnelDecap = new TunnelDecap(this);
        Nodes = [EthernetInput, Arp, Punt, AclIn, AclOut, Lb4, Lb6, NatIn2Out, NatOut2In, Ip4Input, Lookup, Local, DsrDecap, Rewrite, Fragment, IcmpError, Ip6Input, Lookup6, Local6, Rewrite6, Fragment6, IcmpError6,
            TunnelDecap, TunnelEncap, Output, Drop];
    }

    /// <summary>This worker's number, 0 to the dataplane's worker count - 1.</summary>
    public int Index { get; }

    private long _rounds;

    /// <summary>Polls completed; a round that began after a table change sees it (the control plane's grace period).</summary>
    internal long Rounds => Volatile.Read(ref _rounds);

    /// <summary>Whether another worker handed this one packets it has not taken yet.</summary>
    internal bool HandoffPending
    {
        get
        {
            foreach (var q in _incoming)
                if (!q.IsEmpty) return true;
            return false;
        }
    }

    /// <summary>Connects the handoff rings once every worker exists: this worker's ring in each other worker.</summary>
    internal void Connect(IReadOnlyList<Worker> all) => _outgoing = [.. all.Select(w => w._incoming[Index])];

    internal Dataplane Dataplane { get; }

    internal PacketPool Pool { get; }

    internal VectorGraph Graph { get; }

    internal EthernetInput EthernetInput { get; }

    internal ArpInput Arp { get; }

    internal Ip4Input Ip4Input { get; }

    internal Ip4Lookup Lookup { get; }

    internal Ip4Local Local { get; }

    internal Ip4Rewrite Rewrite { get; }

    internal Ip4Fragment Fragment { get; }

    internal Ip6Fragment Fragment6 { get; }

    internal Ip4IcmpError IcmpError { get; }

    internal HostPunt Punt { get; }

    internal AclNode AclIn { get; }

    internal AclNode AclOut { get; }

    internal Nat44Node NatIn2Out { get; }

    internal Nat44Node NatOut2In { get; }

    internal Lb4Node Lb4 { get; }

    internal Lb6Node Lb6 { get; }

    internal DsrDecap DsrDecap { get; }

    /// <summary>This worker's load balancer flows (null while no VIP is configured).</summary>
    internal LoadBalancing.LbFlows? LbFlows { get; set; }

    /// <summary>Where an IPv4 packet goes after ip4-input and the input ACL: the load balancer when there are VIPs, else as <see cref="AfterLb4"/>.</summary>
    internal GraphNode AfterInput4(Interfaces.DpInterface itf) => Dataplane.Lb is not null ? Lb4 : AfterLb4(itf);

    /// <summary>Where an IPv6 packet goes after ip6-input and the input ACL: the load balancer when there are IPv6 VIPs, else the lookup.</summary>
    internal GraphNode AfterInput6 => Dataplane.Lb is { HasVip6: true } ? Lb6 : Lookup6;

    /// <summary>Where an IPv4 packet the load balancer left alone goes: the NAT of the interface's side, or the lookup.</summary>
    internal GraphNode AfterLb4(Interfaces.DpInterface itf) => itf.NatRole switch
    {
        Nat.NatRole.Inside => NatIn2Out,
        Nat.NatRole.Outside => NatOut2In,
        _ => Lookup,
    };

    /// <summary>This worker's NAT44 sessions (null while NAT44 is off).</summary>
    internal Nat.Nat44Sessions? NatSessions { get; set; }

    internal Ip6Input Ip6Input { get; }

    internal Ip6Lookup Lookup6 { get; }

    internal Ip6Local Local6 { get; }

    internal Ip6Rewrite Rewrite6 { get; }

    internal Ip6IcmpError IcmpError6 { get; }

    internal TunnelEncap TunnelEncap { get; }

    internal TunnelDecap TunnelDecap { get; }

    internal InterfaceOutput Output { get; }

    internal ErrorDrop Drop { get; }

    /// <summary>The flows permit-and-reflect rules let through on this worker, and their timeouts.</summary>
    public Acl.ReflectSessions Sessions { get; } = new();

    /// <summary>The nodes in graph order, with their counters.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>Packets this worker dropped, by reason.</summary>
    public long DropCount(DropReason reason) => Drop.Counts[(int)reason];

    /// <summary>
    /// Takes what other workers handed over, polls the ports of its interfaces once, and processes it all; returns
    /// the number of frames taken in.
    /// </summary>
    public int PollOnce()
    {
        var total = 0;
        foreach (var from in _incoming)
        {
            var n = from.Dequeue(_rx);
            for (var i = 0; i < n; i++) Graph.Enqueue(EthernetInput, _rx[i]);
            total += n;
        }
        var steer = _outgoing.Length > 1;
        var workers = _outgoing.Length;
        foreach (var itf in Dataplane.InterfaceArray)
        {
            if (itf is null) continue;
            // Queue q of an interface is polled by worker RxWorker + q (modulo the workers); most ports have one queue.
            var queues = itf.Port.QueueCount;
            for (var q = 0; q < queues; q++)
                if ((itf.RxWorker + q) % workers == Index) total += ReceiveQueue(itf, q, steer);
            if (itf.RxWorker == Index && itf.PuntPort is { } tap)
            {
                // What the host stack sends on the TAP leaves by the interface as it is.
                var sent = tap.Receive(Pool, _rx);
                for (var i = 0; i < sent; i++)
                {
                    ref var m = ref Pool.Meta[_rx[i]];
                    m.RxInterface = m.TxInterface = itf.Index;
                    m.Originated = true;
                    Graph.Enqueue(Output, _rx[i]);
                }
                total += sent;
            }
        }
        // Fragments held for their first: released once it was translated here or on another worker, traffic or not.
        NatIn2Out.ReleaseHeld();
        NatOut2In.ReleaseHeld();
        Graph.Run();
        Output.Flush();
        Pool.FlushLent();
        Volatile.Write(ref _rounds, _rounds + 1);
        return total;
    }

    private int ReceiveQueue(DpInterface itf, int queue, bool steer)
    {
        var n = queue == 0 ? itf.Port.Receive(Pool, _rx) : itf.Port.Receive(queue, Pool, _rx);
        var meta = Pool.Meta; // locals: read once per vector, not per frame
        var rx = _rx;
        var index = itf.Index;
        var trace = Dataplane.TraceWanted; // asked again per frame only while a trace wants frames
        for (var i = 0; i < n; i++)
        {
            var p = rx[i];
            meta[p].RxInterface = index;
            if (trace && Dataplane.TraceWanted) Dataplane.TraceStart(p, Pool, itf, Index);
            if (steer)
            {
                // NAT and the load balancer's NAT mode steer so that both directions of a translated flow meet on the
                // worker with its session.
                var to = Steer(itf, Pool.Data(p));
                if (to != Index)
                {
                    if (!_outgoing[to].TryEnqueue(p)) Discard(p, DropReason.HandoffQueueFull);
                    continue;
                }
            }
            Graph.Enqueue(EthernetInput, p);
        }
        return n;
    }

    private int Steer(Interfaces.DpInterface itf, ReadOnlySpan<byte> frame)
    {
        if (Dataplane.Lb is { HasNat: true } lb && frame.Length >= Ethernet.HeaderLength && Ethernet.Type(frame) == Ethernet.TypeIp4
            && Nat.NatPacket.Read(frame[Ethernet.HeaderLength..], out var key, out _, out _) is Nat.NatPacketKind.Flow or Nat.NatPacketKind.IcmpError
            && lb.TrySteer(key, out var worker))
            return worker;
        if (Dataplane.Lb is { HasNat6: true } lb6 && frame.Length >= Ethernet.HeaderLength + Ip6.HeaderLength + 4 && Ethernet.Type(frame) == Ethernet.TypeIp6
            && Ip6.UpperLayer(frame[Ethernet.HeaderLength..], out var protocol, out var offset) && protocol is Ip4.ProtoTcp or Ip4.ProtoUdp
            && frame.Length >= Ethernet.HeaderLength + offset + 4)
        {
            var ip = frame[Ethernet.HeaderLength..];
            var key6 = new Sessions.FlowKey6(Ip6.Source(ip), Ip6.Destination(ip), System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(ip[offset..]),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]), protocol);
            if (lb6.TrySteer6(key6, out var worker6)) return worker6;
        }
        return itf.NatRole != Nat.NatRole.None && Dataplane.Nat is { } nat ? nat.Steer(frame) : FlowHash.Pick(FlowHash.OfFrame(frame), _outgoing.Length);
    }

    /// <summary>Records a line for a traced packet; callers test <see cref="PacketMeta.Traced"/> first, so that untraced packets format nothing.</summary>
    internal void Trace(int packet, string node, string what) => Dataplane.TraceLine(Pool.Meta[packet].TraceId, Index, node, what);

    internal void Discard(int packet, DropReason reason)
    {
        Pool.Meta[packet].Drop = reason;
        Graph.Enqueue(Drop, packet);
    }

    /// <summary>
    /// The table (VRF) a packet is looked up in: the one it names (a tunnel's underlay), or its receiving interface's;
    /// <paramref name="key"/> tells tables apart for callers that keep the answer for a run of packets.
    /// </summary>
    internal Fib.RouteTable? TableOf(in PacketMeta m, out int key)
    {
        key = m.TableSlot != 0 ? -m.TableSlot : m.RxInterface;
        return m.TableSlot != 0 ? Dataplane.TableSlots[m.TableSlot - 1] : Interface(m.RxInterface)?.Table;
    }

    internal DpInterface? Interface(int index)
    {
        var all = Dataplane.InterfaceArray;
        return (uint)index < (uint)all.Length ? all[index] : null;
    }
}
