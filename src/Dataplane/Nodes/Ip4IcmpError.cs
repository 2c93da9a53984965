using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Turns a packet that cannot be delivered into an ICMP error back to its source (RFC 792, RFC 1812 §4.3.2): the
/// original header and 8 bytes of its data, from the address of the interface it came in on. No error is sent
/// about an ICMP error, a fragment other than the first, or a broadcast or multicast packet.
/// </summary>
internal sealed class Ip4IcmpError(Worker w) : GraphNode("ip4-icmp-error")
{
    public static void Send(Worker w, int packet, byte type, byte code, DropReason reason, uint parameter = 0)
    {
        ref var m = ref w.Pool.Meta[packet];
        m.IcmpType = type;
        m.IcmpCode = code;
        m.IcmpParameter = parameter;
        m.Drop = reason;
        w.Graph.Enqueue(w.IcmpError, packet);
    }

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var original = w.Pool.Data(p);
            var reason = m.Drop;
            var rx = w.Interface(m.RxInterface);
            var source = rx?.SourceFor(Ip4.Source(original)) ?? 0;
            if (m.Originated || source == 0 || !Deserves(original))
            {
                w.Discard(p, reason);
                continue;
            }
            var error = w.Pool.Allocate();
            if (error < 0)
            {
                w.Discard(p, reason);
                continue;
            }
            var quoted = Math.Min(original.Length, Ip4.HeaderLength(original) + 8);
            ref var e = ref w.Pool.Meta[error];
            e.Length = Ip4.MinHeaderLength + 8 + quoted;
            e.RxInterface = m.RxInterface;
            e.Originated = true;
            e.Traced = m.Traced;
            e.TraceId = m.TraceId;
            var h = w.Pool.Data(error);
            var icmp = h[Ip4.MinHeaderLength..];
            icmp[0] = m.IcmpType;
            icmp[1] = m.IcmpCode;
            BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], m.IcmpParameter);
            icmp[2] = icmp[3] = 0;
            original[..quoted].CopyTo(icmp[8..]);
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp[..(8 + quoted)]));
            Ip4.WriteHeader(h, e.Length, 64, Ip4.ProtoIcmp, source, Ip4.Source(original));
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"ICMP {m.IcmpType}/{m.IcmpCode} to {Ip4.Format(Ip4.Source(original))}");
            w.Discard(p, reason);
            w.Graph.Enqueue(w.Lookup, error);
        }
    }

    private static bool Deserves(ReadOnlySpan<byte> h)
    {
        var source = Ip4.Source(h);
        var destination = Ip4.Destination(h);
        if (destination == uint.MaxValue || destination >> 28 == 0xe || source == 0 || source >> 28 == 0xe) return false;
        if ((BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0x1fff) != 0) return false; // not the first fragment
        if (Ip4.Protocol(h) == Ip4.ProtoIcmp && h.Length > Ip4.HeaderLength(h))
        {
            var type = h[Ip4.HeaderLength(h)];
            if (type is not (0 or 8 or 13 or 14 or 15 or 16 or 17 or 18)) return false; // an error itself
        }
        return true;
    }
}
