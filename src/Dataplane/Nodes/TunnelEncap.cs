using System.Buffers.Binary;
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
    public const byte ProtoGre = 47, ProtoIp4 = 4, ProtoIp6 = 41;
    public const ushort GreKeyFlag = 0x2000, GreChecksumFlag = 0x8000, GreSequenceFlag = 0x1000, GreRoutingFlag = 0x4000;

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
            var inner = w.Pool.Data(p);
            var inner6 = inner[0] >> 4 == 6;
            var tos = inner6 ? (byte)((inner[0] << 4) | (inner[1] >> 4)) : inner[1];
            var dontFragment = inner6 || Ip4.DontFragment(inner);
            var innerLength = inner.Length;
            if (m.Offset < t.Overhead + Ethernet.HeaderLength)
            {
                w.Discard(p, DropReason.NoBuffer); // tunnels nested deeper than the headroom allows
                continue;
            }
            w.Pool.Advance(p, -t.Overhead);
            var h = w.Pool.Data(p);
            var ipLength = t.Outer6 ? Ip6.HeaderLength : Ip4.MinHeaderLength;
            byte protocol;
            if (t.Kind == TunnelKind.Gre)
            {
                var gre = h[ipLength..];
                BinaryPrimitives.WriteUInt16BigEndian(gre, t.Key is null ? (ushort)0 : GreKeyFlag);
                BinaryPrimitives.WriteUInt16BigEndian(gre[2..], inner6 ? Ethernet.TypeIp6 : Ethernet.TypeIp4);
                if (t.Key is { } key) BinaryPrimitives.WriteUInt32BigEndian(gre[4..], key);
                protocol = ProtoGre;
            }
            else protocol = inner6 ? ProtoIp6 : ProtoIp4;
            if (t.Outer6)
            {
                Ip6.WriteHeader(h, h.Length - Ip6.HeaderLength, protocol, 64, t.Source, t.Destination);
                // Traffic class from the inner packet; the flow label from the inner flow (RFC 6438), so ECMP in the underlay can spread flows.
                var label = (inner6 ? FlowHash.OfIp6(h[t.Overhead..]) : FlowHash.OfIp4(h[t.Overhead..])) & 0xfffff;
                BinaryPrimitives.WriteUInt32BigEndian(h, 0x6000_0000u | (uint)tos << 20 | label);
            }
            else
            {
                Ip4.WriteHeader(h, h.Length, 64, protocol, (uint)t.Source, (uint)t.Destination, _id++);
                h[1] = tos;
                if (dontFragment) h[6] |= 0x40;
                h[10] = h[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h[..Ip4.MinHeaderLength]));
            }
            itf.PerWorker[w.Index].Sent(0, innerLength);
            if (m.Traced) w.Trace(p, Name, $"{itf.Name}: {t}");
            m.TableSlot = t.UnderlaySlot + 1;
            m.Originated = true;
            w.Graph.Enqueue(t.Outer6 ? w.Lookup6 : w.Lookup, p);
        }
    }
}
