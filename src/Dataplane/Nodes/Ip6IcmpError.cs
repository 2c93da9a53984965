using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// ICMPv6 errors (RFC 4443 §2.4, §3): as much of the offending packet as fits in the minimum MTU, back to its
/// source from the address of the interface it came in on. None about an ICMPv6 error, or a packet sent to a
/// multicast group or from the unspecified address.
/// </summary>
internal sealed class Ip6IcmpError(Worker w) : GraphNode("ip6-icmp-error")
{
    public static void Send(Worker w, int packet, byte type, byte code, DropReason reason, uint parameter = 0)
    {
        ref var m = ref w.Pool.Meta[packet];
        m.IcmpType = type;
        m.IcmpCode = code;
        m.IcmpParameter = parameter;
        m.Drop = reason;
        w.Graph.Enqueue(w.IcmpError6, packet);
    }

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var original = w.Pool.Data(p);
            var reason = m.Drop;
            var source = Ip6.Source(original);
            var from = w.Interface(m.RxInterface)?.SourceFor6(source) ?? UInt128.Zero;
            var isError = Ip6.NextHeader(original) == Ip6.ProtoIcmp6 && original.Length > Ip6.HeaderLength && original[Ip6.HeaderLength] < 128;
            if (m.Originated || from == UInt128.Zero || source == UInt128.Zero || Ip6.IsMulticast(Ip6.Destination(original)) || isError)
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
            var quoted = Math.Min(original.Length, Ip6.MinMtu - Ip6.HeaderLength - 8);
            ref var e = ref w.Pool.Meta[error];
            e.Length = Ip6.HeaderLength + 8 + quoted;
            e.RxInterface = m.RxInterface;
            e.Originated = true;
            e.Traced = m.Traced;
            e.TraceId = m.TraceId;
            var h = w.Pool.Data(error);
            var icmp = h[Ip6.HeaderLength..];
            icmp[0] = m.IcmpType;
            icmp[1] = m.IcmpCode;
            icmp[2] = icmp[3] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], m.IcmpParameter);
            original[..quoted].CopyTo(icmp[8..]);
            Ip6.WriteHeader(h, 8 + quoted, Ip6.ProtoIcmp6, 64, from, source);
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Ip6.UpperChecksum(h, icmp, Ip6.ProtoIcmp6));
            if (m.Traced) w.Trace(p, Name, $"ICMPv6 {m.IcmpType}/{m.IcmpCode} to {Ip6.Format(source)}");
            w.Discard(p, reason);
            w.Graph.Enqueue(w.Lookup6, error);
        }
    }
}
