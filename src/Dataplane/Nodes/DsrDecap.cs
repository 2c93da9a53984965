using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// The pod side of the load balancer's two-level direct server return (dsr-decap): on an interface marked for it
/// (<see cref="Dataplane.SetDsrDecap"/>), an IP-in-IPv4 or plain GRE packet routed to its neighbor is the load
/// balancer's tunnel to that pod; the outer header comes off here and the client's packet goes to the pod as it was
/// sent (to the VIP, which the pod holds on its loopback), so that the pod answers the client directly and the load
/// balancer never sees the answer. Any other packet goes on as usual.
/// </summary>
internal sealed class DsrDecap(Worker w) : GraphNode("dsr-decap")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var pool = w.Pool;
        foreach (var p in packets)
        {
            ref var m = ref pool.Meta[p];
            var itf = w.Interface(m.TxInterface);
            var h = pool.Data(p);
            var overhead = TunnelTo(h, m.NextHop);
            if (overhead > 0)
            {
                pool.Advance(p, overhead);
                m.Originated = false; // the client's packet, one hop further: its TTL is lowered as any forwarded packet's
                if (m.Traced) w.Trace(p, Name, $"outer {overhead} bytes off for {Ip4.Format(m.NextHop)}");
                Made++;
            }
            w.Graph.Enqueue(!m.Originated && itf?.OutputAcl is not null ? w.AclOut : w.Rewrite, p);
        }
    }

    // The outer header's length when the packet is IPv4 in IPv4 or in GRE (no key, checksum or sequence) to this
    // neighbor; 0 otherwise.
    private static int TunnelTo(ReadOnlySpan<byte> h, uint neighbor)
    {
        if (h.Length < 40 || h[0] != 0x45 || Ip4.Destination(h) != neighbor || (BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0x3fff) != 0) return 0;
        return Ip4.Protocol(h) switch
        {
            Encapsulation.ProtoIp4 when h[20] >> 4 == 4 => 20,
            Encapsulation.ProtoGre when h.Length >= 44 && BinaryPrimitives.ReadUInt16BigEndian(h[20..]) == 0
                && BinaryPrimitives.ReadUInt16BigEndian(h[22..]) == Ethernet.TypeIp4 && h[24] >> 4 == 4 => 24,
            _ => 0,
        };
    }
}
