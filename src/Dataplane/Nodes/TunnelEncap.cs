using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Packets routed out of a tunnel interface (after ip4/ip6-rewrite lowered their TTL and checked the tunnel's
/// MTU): the outer IPv4 or IPv6 header and, for GRE, the GRE header (RFC 2784; the key of RFC 2890) go in front,
/// written into the buffer's headroom; then the outer packet is looked up in the tunnel's underlay table as the
/// dataplane's own. The outer header copies the inner DSCP/ECN (RFC 2003 §3.1, RFC 2473 §6.5) and, for IPv4 inside
/// IPv4, the inner DF bit; IPv6 inside IPv4 always has DF (the inner packet cannot be fragmented on the way).
/// </summary>
internal sealed class TunnelEncap(Worker w) : GraphNode("tunnel-encap")
{
    private ushort _id;

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var itf = w.Interface(m.TxInterface);
            if (itf?.Tunnel is not { } t || !itf.OperUp)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            var innerLength = w.Pool.Data(p).Length;
            if (m.Offset < t.Overhead + Ethernet.HeaderLength)
            {
                w.Discard(p, DropReason.NoBuffer); // tunnels nested deeper than the headroom allows
                continue;
            }
            w.Pool.Advance(p, -t.Overhead);
            Encapsulation.Write(w.Pool.Data(p), t.Overhead, t.Outer6, t.Kind == TunnelKind.Gre, t.Key, t.Source, t.Destination, _id++);
            itf.PerWorker[w.Index].Sent(0, innerLength);
            if (m.Traced) w.Trace(p, Name, $"{itf.Name}: {t}");
            m.TableSlot = t.UnderlaySlot + 1;
            m.Originated = true;
            w.Graph.Enqueue(t.Outer6 ? w.Lookup6 : w.Lookup, p);
        }
    }
}
