using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Packets for the dataplane's own addresses: ICMP echo requests are answered, tunnel packets decapsulated, errors about
/// the load balancer's tunnel packets relayed to their clients (<see cref="TunnelErrorRelay"/>); the rest goes to the host stack.
/// </summary>
internal sealed class Ip4Local(Worker w) : GraphNode("ip4-local")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var h = w.Pool.Data(p);
            var headerLength = Ip4.HeaderLength(h);
            var icmp = h[headerLength..];
            if (Ip4.Protocol(h) is Encapsulation.ProtoGre or Encapsulation.ProtoIp4 or Encapsulation.ProtoIp6)
            {
                w.Graph.Enqueue(w.TunnelDecap, p);
                continue;
            }
            if (Ip4.Protocol(h) == Ip4.ProtoIcmp && icmp.Length >= 8 && icmp[0] == 3 && Checksum.IsValid(icmp) && TunnelErrorRelay.TryRelay(w, p, icmp, icmp6: false))
                continue; // about a load balancer tunnel packet: to the client
            if (Ip4.Protocol(h) != Ip4.ProtoIcmp || icmp.Length < 8 || icmp[0] != 8)
            {
                w.Graph.Enqueue(w.Punt, p); // the host stack's, or dropped when there is no TAP
                continue;
            }
            if (!Checksum.IsValid(icmp))
            {
                w.Discard(p, DropReason.IcmpNotHandled);
                continue;
            }
            // Echo reply (RFC 792) in place: addresses swapped, type 0, checksums.
            var source = Ip4.Source(h);
            var destination = Ip4.Destination(h);
            icmp[0] = 0;
            icmp[2] = icmp[3] = 0;
            var sum = Checksum.Compute(icmp);
            icmp[2] = (byte)(sum >> 8);
            icmp[3] = (byte)sum;
            Ip4.WriteHeader(h, h.Length, 64, Ip4.ProtoIcmp, destination, source);
            if (headerLength > Ip4.MinHeaderLength)
            {
                // Options are not echoed: the ICMP message moves up behind a plain header.
                icmp.CopyTo(h[Ip4.MinHeaderLength..]);
                m.Length -= headerLength - Ip4.MinHeaderLength;
                Ip4.WriteHeader(w.Pool.Data(p), m.Length, 64, Ip4.ProtoIcmp, destination, source);
            }
            m.Originated = true;
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"echo reply to {Ip4.Format(source)}");
            w.Graph.Enqueue(w.Lookup, p);
        }
    }
}
