using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>Checks an IPv4 header (version, length, checksum) and trims link padding; then to the lookup.</summary>
internal sealed class Ip4Input(Worker w) : GraphNode("ip4-input")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var pool = w.Pool; // locals: the JIT would reload them through w for every packet
        var meta = pool.Meta;
        var graph = w.Graph;
        DpInterface? itf = null;
        GraphNode next = w.Lookup;
        foreach (var p in packets)
        {
            ref var m = ref meta[p];
            var h = pool.Data(p);
            if (itf?.Index != m.RxInterface)
            {
                itf = w.Interface(m.RxInterface); // once per run of one interface's packets
                next = itf is null ? w.Lookup : itf.InputAcl is null ? w.AfterInput4(itf) : w.AclIn;
            }
            if (itf is null)
            {
                w.Discard(p, DropReason.InterfaceDown); // deleted while the packet was on its way
                continue;
            }
            int headerLength;
            if (h.Length < Ip4.MinHeaderLength || h[0] >> 4 != 4 || (headerLength = Ip4.HeaderLength(h)) < Ip4.MinHeaderLength
                || headerLength > h.Length || Ip4.TotalLength(h) < headerLength || Ip4.TotalLength(h) > h.Length)
            {
                itf.PerWorker[w.Index].InErrors++;
                w.Discard(p, DropReason.Ip4Malformed);
                continue;
            }
            if (!Checksum.IsValid(h[..headerLength]))
            {
                itf.PerWorker[w.Index].InErrors++;
                w.Discard(p, DropReason.Ip4BadChecksum);
                continue;
            }
            m.Length = Ip4.TotalLength(h); // Ethernet pads short frames
            if (m.Traced) w.Trace(p, Name, $"{Ip4.Format(Ip4.Source(h))} -> {Ip4.Format(Ip4.Destination(h))} proto {Ip4.Protocol(h)} ttl {Ip4.Ttl(h)}");
            graph.Enqueue(next, p);
        }
    }
}
