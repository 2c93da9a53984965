using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Cuts the dataplane's own IPv6 packets bigger than their egress MTU into fragments (RFC 8200 §4.5: only a
/// packet's source fragments IPv6): the load balancer's tunnel packets whose client packet may be cut (IPv4
/// without DF, or IPv6 within 1280 bytes, see <see cref="TunnelTooBig"/>). Each fragment is the IPv6 header, a
/// fragment header (the packet's next header, the offset in 8-byte units, M on all but the last, one
/// identification for the packet) and a piece of the payload, in multiples of 8 bytes but the last; they go back to
/// ip6-rewrite, the original buffer is freed. Packets with extension headers are not cut (the dataplane's own
/// have none). When the buffers run out the pieces not cut yet are lost (a <see cref="DropReason.NoBuffer"/> drop).
/// </summary>
internal sealed class Ip6Fragment(Worker w) : GraphNode("ip6-fragment")
{
    private const int FragmentHeaderLength = 8;
    private const byte ProtoFragment = 44;

    private uint _id = (uint)Random.Shared.Next();

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            var itf = w.Interface(w.Pool.Meta[p].TxInterface);
            if (itf is null)
            {
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            var h = w.Pool.Data(p);
            if (Ip6.NextHeader(h) is 0 or 43 or ProtoFragment or 60 || itf.Mtu - Ip6.HeaderLength - FragmentHeaderLength < 8)
            {
                w.Discard(p, DropReason.FragmentationNeeded);
                continue;
            }
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"{h.Length} bytes into fragments for {itf.Name} (MTU {itf.Mtu})");
            if (Cut(p, h, itf.Mtu, _id++)) w.Pool.Free(p);
        }
    }

    private bool Cut(int p, ReadOnlySpan<byte> h, int mtu, uint id)
    {
        var payload = h[Ip6.HeaderLength..];
        var room = (mtu - Ip6.HeaderLength - FragmentHeaderLength) & ~7;
        for (var at = 0; at < payload.Length;)
        {
            var size = Math.Min(room, payload.Length - at);
            var f = w.Pool.AllocatePiece(p, Ip6.HeaderLength + FragmentHeaderLength + size);
            if (f < 0)
            {
                w.Discard(p, DropReason.NoBuffer); // the pieces not cut yet are lost
                return false;
            }
            var d = w.Pool.Data(f);
            h[..Ip6.HeaderLength].CopyTo(d);
            BinaryPrimitives.WriteUInt16BigEndian(d[4..], (ushort)(FragmentHeaderLength + size));
            d[6] = ProtoFragment;
            var fragment = d[Ip6.HeaderLength..];
            fragment[0] = Ip6.NextHeader(h);
            fragment[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(fragment[2..], (ushort)(at | (at + size < payload.Length ? 1 : 0))); // the offset in 8-byte units above three low bits (two reserved, M): the byte offset itself
            BinaryPrimitives.WriteUInt32BigEndian(fragment[4..], id);
            payload.Slice(at, size).CopyTo(fragment[FragmentHeaderLength..]);
            w.Graph.Enqueue(w.Rewrite6, f);
            at += size;
            Made++;
        }
        return true;
    }
}
