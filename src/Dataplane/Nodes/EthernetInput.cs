using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Accepts frames for the interface's MAC or a group address, counts them, and sorts them by ethertype; frames that
/// are not IP go through acl-in first when an input ACL has Ethernet rules.
/// </summary>
internal sealed class EthernetInput(Worker w) : GraphNode("ethernet-input")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var pool = w.Pool; // locals: the JIT would reload them through w for every packet
        var meta = pool.Meta;
        var graph = w.Graph;
        var ip4Input = w.Ip4Input;
        Interfaces.DpInterface? itf = null;
        Interfaces.InterfaceCounters? counters = null;
        foreach (var p in packets)
        {
            ref var m = ref meta[p];
            if (itf?.Index != m.RxInterface)
            {
                // A vector mostly comes from one interface: looked up once per run of its frames.
                itf = w.Interface(m.RxInterface);
                counters = itf?.PerWorker[w.Index];
            }
            var frame = pool.Data(p);
            if (itf is null || counters is null || !itf.AdminUp)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            if (frame.Length < Ethernet.HeaderLength)
            {
                itf.PerWorker[w.Index].InErrors++;
                w.Discard(p, DropReason.Ip4Malformed);
                continue;
            }
            var destination = Ethernet.Destination(frame);
            counters.Received(destination, frame.Length);
            if (destination != itf.Mac && !Ethernet.IsGroup(destination))
            {
                w.Discard(p, DropReason.NotForUs);
                continue;
            }
            var type = Ethernet.Type(frame);
            if (m.Traced) w.Trace(p, Name, $"{Ethernet.Format(Ethernet.Source(frame))} -> {Ethernet.Format(destination)} type 0x{type:x4}");
            switch (type)
            {
                case Ethernet.TypeArp when itf.InputAcl is not { FiltersNonIp: true }:
                    graph.Enqueue(w.Arp, p);
                    break;
                case Ethernet.TypeIp4:
                    pool.Advance(p, Ethernet.HeaderLength);
                    graph.Enqueue(ip4Input, p);
                    break;
                case Ethernet.TypeIp6:
                    pool.Advance(p, Ethernet.HeaderLength);
                    graph.Enqueue(w.Ip6Input, p);
                    break;
                case not (Ethernet.TypeIp4 or Ethernet.TypeIp6) when itf.InputAcl is { FiltersNonIp: true }:
                    // An input ACL with Ethernet rules filters ARP and other ethertypes too (acl-in reads the header in front).
                    pool.Advance(p, Ethernet.HeaderLength);
                    graph.Enqueue(w.AclIn, p);
                    break;
                default:
                    itf.PerWorker[w.Index].InUnknownProtos++;
                    w.Discard(p, DropReason.UnknownEthertype);
                    break;
            }
        }
    }
}
