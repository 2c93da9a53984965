using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// GRE and IP-in-IP packets addressed to the dataplane (from ip4-local and ip6-local): the tunnel they belong to is
/// found by outer addresses, kind, GRE key and the table they arrived in; the outer headers come off and the inner
/// packet enters ip4-input or ip6-input as received on the tunnel interface. Packets of no configured tunnel go to
/// the host stack (it may run tunnels of its own). GRE with routing or a version other than 0 is dropped (RFC 2784
/// §2.3); the checksum and sequence fields are skipped.
/// </summary>
internal sealed class TunnelDecap(Worker w) : GraphNode("tunnel-decap")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var h = w.Pool.Data(p);
            var outer6 = h[0] >> 4 == 6;
            var ipLength = outer6 ? Ip6.HeaderLength : Ip4.HeaderLength(h);
            var protocol = outer6 ? Ip6.NextHeader(h) : Ip4.Protocol(h);
            if (!outer6 && (BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0x3fff) != 0)
            {
                w.Discard(p, DropReason.TunnelMalformed); // a fragment: reassembly is not done
                continue;
            }
            var kind = TunnelKind.IpIp;
            uint? key = null;
            var headers = ipLength;
            bool inner6;
            if (protocol == Encapsulation.ProtoGre)
            {
                kind = TunnelKind.Gre;
                if (h.Length < ipLength + 4)
                {
                    w.Discard(p, DropReason.TunnelMalformed);
                    continue;
                }
                var flags = BinaryPrimitives.ReadUInt16BigEndian(h[ipLength..]);
                var type = BinaryPrimitives.ReadUInt16BigEndian(h[(ipLength + 2)..]);
                headers += 4;
                if ((flags & Encapsulation.GreChecksumFlag) != 0) headers += 4;
                if ((flags & Encapsulation.GreKeyFlag) != 0)
                {
                    if (h.Length < headers + 4)
                    {
                        w.Discard(p, DropReason.TunnelMalformed);
                        continue;
                    }
                    key = BinaryPrimitives.ReadUInt32BigEndian(h[headers..]);
                    headers += 4;
                }
                if ((flags & Encapsulation.GreSequenceFlag) != 0) headers += 4;
                if ((flags & 7) != 0 || (flags & Encapsulation.GreRoutingFlag) != 0 || type is not (Ethernet.TypeIp4 or Ethernet.TypeIp6))
                {
                    w.Discard(p, DropReason.TunnelMalformed);
                    continue;
                }
                inner6 = type == Ethernet.TypeIp6;
            }
            else inner6 = protocol == Encapsulation.ProtoIp6;
            var rx = w.Interface(m.RxInterface);
            var remote = outer6 ? Ip6.Source(h) : Ip4.Source(h);
            var local = outer6 ? Ip6.Destination(h) : Ip4.Destination(h);
            if (rx is null || !w.Dataplane.TunnelsByEndpoints.TryGetValue(new TunnelEndpoints(kind, outer6, local, remote, rx.Table.Id, key), out var index)
                || w.Interface(index) is not { } tunnel)
            {
                w.Graph.Enqueue(w.Punt, p);
                continue;
            }
            if (!tunnel.AdminUp || h.Length <= headers)
            {
                w.Discard(p, tunnel.AdminUp ? DropReason.TunnelMalformed : DropReason.InterfaceDown);
                continue;
            }
            w.Pool.Advance(p, headers);
            m.RxInterface = tunnel.Index;
            m.TableSlot = 0;
            tunnel.PerWorker[w.Index].Received(0, m.Length);
            if (m.Traced) w.Trace(p, Name, $"{tunnel.Name}: {tunnel.Tunnel}");
            w.Graph.Enqueue(inner6 ? w.Ip6Input : w.Ip4Input, p);
        }
    }
}

/// <summary>What identifies a tunnel's packets on arrival: kind, outer family, our address, the far end's, the table they came in by, the GRE key.</summary>
internal readonly record struct TunnelEndpoints(TunnelKind Kind, bool Outer6, UInt128 Local, UInt128 Remote, int Table, uint? Key);
