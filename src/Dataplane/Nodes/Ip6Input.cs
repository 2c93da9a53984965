using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>Checks an IPv6 header (version, payload length, source) and trims link padding; then to the lookup.</summary>
internal sealed class Ip6Input(Worker w) : GraphNode("ip6-input")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            var h = w.Pool.Data(p);
            var itf = w.Interface(w.Pool.Meta[p].RxInterface);
            if (itf is null)
            {
                w.Discard(p, DropReason.InterfaceDown); // deleted while the packet was on its way
                continue;
            }
            if (h.Length < Ip6.HeaderLength || h[0] >> 4 != 6 || Ip6.HeaderLength + Ip6.PayloadLength(h) > h.Length || Ip6.IsMulticast(Ip6.Source(h)))
            {
                itf.PerWorker[w.Index].InErrors++;
                w.Discard(p, DropReason.Ip6Malformed);
                continue;
            }
            w.Pool.Meta[p].Length = Ip6.HeaderLength + Ip6.PayloadLength(h);
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"{Ip6.Format(Ip6.Source(h))} -> {Ip6.Format(Ip6.Destination(h))} next {Ip6.NextHeader(h)} hlim {Ip6.HopLimit(h)}");
            w.Graph.Enqueue(itf.InputAcl is null ? w.AfterInput6 : w.AclIn, p);
        }
    }
}
