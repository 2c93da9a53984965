using System.Collections.Concurrent;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Nodes;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane;

/// <summary>
/// One packet-processing thread: its buffer pool, its graph of nodes and their counters. It polls every
/// interface's port for a vector of frames, hands them to ethernet-input and runs the graph until it is empty.
/// </summary>
public sealed class Worker
{
    private readonly int[] _rx = new int[Frame.Size];
    private readonly ConcurrentQueue<string> _trace = new();
    private int _traceRemaining;
    private int _traceNext;

    internal Worker(Dataplane dataplane, int buffers)
    {
        Dataplane = dataplane;
        Pool = new PacketPool(buffers);
        Graph = new VectorGraph();
        Drop = new ErrorDrop(this);
        Output = new InterfaceOutput(this);
        IcmpError = new Ip4IcmpError(this);
        Lookup = new Ip4Lookup(this);
        Rewrite = new Ip4Rewrite(this);
        Local = new Ip4Local(this);
        Ip4Input = new Ip4Input(this);
        Arp = new ArpInput(this);
        Punt = new HostPunt(this);
        AclIn = new AclNode(this, input: true);
        AclOut = new AclNode(this, input: false);
        IcmpError6 = new Ip6IcmpError(this);
        Lookup6 = new Ip6Lookup(this);
        Rewrite6 = new Ip6Rewrite(this);
        Local6 = new Ip6Local(this);
        Ip6Input = new Ip6Input(this);
        EthernetInput = new EthernetInput(this);
        Nodes = [EthernetInput, Arp, Punt, AclIn, AclOut, Ip4Input, Lookup, Local, Rewrite, IcmpError, Ip6Input, Lookup6, Local6, Rewrite6, IcmpError6, Output, Drop];
    }

    internal Dataplane Dataplane { get; }

    internal PacketPool Pool { get; }

    internal VectorGraph Graph { get; }

    internal EthernetInput EthernetInput { get; }

    internal ArpInput Arp { get; }

    internal Ip4Input Ip4Input { get; }

    internal Ip4Lookup Lookup { get; }

    internal Ip4Local Local { get; }

    internal Ip4Rewrite Rewrite { get; }

    internal Ip4IcmpError IcmpError { get; }

    internal HostPunt Punt { get; }

    internal AclNode AclIn { get; }

    internal AclNode AclOut { get; }

    internal Ip6Input Ip6Input { get; }

    internal Ip6Lookup Lookup6 { get; }

    internal Ip6Local Local6 { get; }

    internal Ip6Rewrite Rewrite6 { get; }

    internal Ip6IcmpError IcmpError6 { get; }

    internal InterfaceOutput Output { get; }

    internal ErrorDrop Drop { get; }

    /// <summary>The flows permit-and-reflect rules let through, and their timeouts.</summary>
    public Acl.ReflectSessions Sessions { get; } = new();

    /// <summary>The nodes in graph order, with their counters.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>Packets dropped, by reason.</summary>
    public long DropCount(DropReason reason) => Drop.Counts[(int)reason];

    /// <summary>Polls every port once and processes what came in; returns the number of frames received.</summary>
    public int PollOnce()
    {
        var total = 0;
        foreach (var itf in Dataplane.InterfaceArray)
        {
            if (itf is null) continue;
            var n = itf.Port.Receive(Pool, _rx);
            for (var i = 0; i < n; i++)
            {
                var p = _rx[i];
                ref var m = ref Pool.Meta[p];
                m.RxInterface = itf.Index;
                if (_traceRemaining > 0)
                {
                    _traceRemaining--;
                    m.Traced = true;
                    m.TraceId = ++_traceNext;
                    Trace(p, "device-input", $"{itf.Name} {m.Length} bytes");
                }
                Graph.Enqueue(EthernetInput, p);
            }
            total += n;
            if (itf.PuntPort is { } tap)
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
        Graph.Run();
        return total;
    }

    /// <summary>Records the path of the next <paramref name="count"/> received packets (VPP's <c>trace add</c>).</summary>
    public void TraceNext(int count) => Interlocked.Exchange(ref _traceRemaining, count);

    /// <summary>The trace recorded so far, one line per packet and node (VPP's <c>show trace</c>).</summary>
    public IReadOnlyList<string> TraceLines => [.. _trace];

    /// <summary>Records a line for a traced packet; callers test <see cref="PacketMeta.Traced"/> first, so that untraced packets format nothing.</summary>
    internal void Trace(int packet, string node, string what)
    {
        ref var m = ref Pool.Meta[packet];
        if (m.Traced && _trace.Count < 10_000) _trace.Enqueue($"packet {m.TraceId}: {node}: {what}");
    }

    internal void Discard(int packet, DropReason reason)
    {
        Pool.Meta[packet].Drop = reason;
        Graph.Enqueue(Drop, packet);
    }

    internal DpInterface? Interface(int index)
    {
        var all = Dataplane.InterfaceArray;
        return (uint)index < (uint)all.Length ? all[index] : null;
    }
}
