using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// IPv6 packets for the dataplane itself: ICMPv6 echo requests are answered (RFC 4443 §4); neighbor discovery
/// (RFC 4861): solicitations for our addresses are answered with an advertisement and their sender learned,
/// advertisements are learned (and release the packets held for them); "packet too big" about the load balancer's
/// tunnel packets is relayed to their clients (<see cref="TunnelErrorRelay"/>). Nothing else is served yet.
/// </summary>
internal sealed class Ip6Local(Worker w) : GraphNode("ip6-local")
{
    private const byte PacketTooBig = 2, EchoRequest = 128, EchoReply = 129, NeighborSolicitation = 135, NeighborAdvertisement = 136;
    private const byte OptionSourceLinkAddress = 1, OptionTargetLinkAddress = 2;

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var h = w.Pool.Data(p);
            var itf = w.Interface(m.RxInterface);
            if (itf is null)
            {
                w.Discard(p, DropReason.InterfaceDown); // deleted while the packet was on its way
                continue;
            }
            var icmp = h[Ip6.HeaderLength..];
            if (Ip6.NextHeader(h) is Encapsulation.ProtoGre or Encapsulation.ProtoIp4 or Encapsulation.ProtoIp6)
            {
                w.Graph.Enqueue(w.TunnelDecap, p);
                continue;
            }
            if (Ip6.NextHeader(h) != Ip6.ProtoIcmp6)
            {
                w.Graph.Enqueue(w.Punt, p);
                continue;
            }
            if (icmp.Length < 8 || !Ip6.UpperChecksumValid(h, icmp, Ip6.ProtoIcmp6))
            {
                w.Discard(p, DropReason.IcmpNotHandled);
                continue;
            }
            switch (icmp[0])
            {
                case EchoRequest:
                    Echo(p, h, itf);
                    break;
                case PacketTooBig when TunnelErrorRelay.TryRelay(w, p, icmp, icmp6: true):
                    break; // about a load balancer tunnel packet: relayed to the client
                case NeighborSolicitation when IsNd(h, icmp):
                    HostPunt.Copy(w, p, Ethernet.HeaderLength);
                    Solicited(p, h, icmp, itf);
                    break;
                case NeighborAdvertisement when IsNd(h, icmp):
                    HostPunt.Copy(w, p, Ethernet.HeaderLength);
                    var target = BinaryPrimitives.ReadUInt128BigEndian(icmp[8..]);
                    if (LinkAddressOption(icmp, OptionTargetLinkAddress) is { } mac && !Ip6.IsMulticast(target))
                    {
                        w.Dataplane.Neighbors.Learn(itf.Index, target, mac);
                        w.Rewrite6.Resolved(itf.Index, target);
                    }
                    w.Pool.Free(p);
                    break;
                default:
                    w.Graph.Enqueue(w.Punt, p); // echo replies, router discovery, MLD...: the host stack's
                    break;
            }
        }
    }

    // RFC 4861 §7.1: hop limit 255 (from the link), code 0, at least the fixed part and the target.
    private static bool IsNd(ReadOnlySpan<byte> h, ReadOnlySpan<byte> icmp) => Ip6.HopLimit(h) == 255 && icmp[1] == 0 && icmp.Length >= 24;

    private void Echo(int p, Span<byte> h, DpInterface itf)
    {
        ref var m = ref w.Pool.Meta[p];
        var source = Ip6.Source(h);
        var destination = Ip6.Destination(h);
        var from = Ip6.IsMulticast(destination) ? itf.SourceFor6(source) : destination;
        var icmp = h[Ip6.HeaderLength..];
        Ip6.WriteHeader(h, icmp.Length, Ip6.ProtoIcmp6, 64, from, source);
        icmp[0] = EchoReply;
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Ip6.UpperChecksum(h, icmp, Ip6.ProtoIcmp6));
        m.Originated = true;
        if (m.Traced) w.Trace(p, Name, $"echo reply to {Ip6.Format(source)}");
        w.Graph.Enqueue(w.Lookup6, p);
    }

    private void Solicited(int p, Span<byte> h, Span<byte> icmp, DpInterface itf)
    {
        ref var m = ref w.Pool.Meta[p];
        var target = BinaryPrimitives.ReadUInt128BigEndian(icmp[8..]);
        var source = Ip6.Source(h);
        if (!itf.Owns6(target) && w.Dataplane.Lb?.IsVipAddress6(target) != true)
        {
            w.Discard(p, DropReason.NotForUs);
            return;
        }
        var solicited = source != UInt128.Zero;
        if (solicited && LinkAddressOption(icmp, OptionSourceLinkAddress) is { } mac)
        {
            w.Dataplane.Neighbors.Learn(itf.Index, source, mac);
            w.Rewrite6.Resolved(itf.Index, source);
        }
        // The advertisement, written over the solicitation: to the sender, or to all nodes when it had no address yet.
        const int length = 32;
        m.Length = Ip6.HeaderLength + length;
        h = w.Pool.Data(p);
        icmp = h[Ip6.HeaderLength..];
        icmp[0] = NeighborAdvertisement;
        icmp[1] = 0;
        icmp[2] = icmp[3] = 0;
        icmp[4] = (byte)(0x80 | (solicited ? 0x40 : 0) | 0x20); // router, solicited, override
        icmp[5] = icmp[6] = icmp[7] = 0;
        icmp[24] = OptionTargetLinkAddress;
        icmp[25] = 1;
        Ethernet.Write48(icmp[26..], itf.Mac);
        Ip6.WriteHeader(h, length, Ip6.ProtoIcmp6, 255, target, solicited ? source : DpInterface.AllNodes);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Ip6.UpperChecksum(h, icmp[..length], Ip6.ProtoIcmp6));
        m.Originated = true;
        if (m.Traced) w.Trace(p, Name, $"neighbor advertisement for {Ip6.Format(target)}");
        if (solicited && Ip6.IsLinkLocal(source) || !solicited)
        {
            m.TxInterface = itf.Index;
            m.NextHop6 = solicited ? source : DpInterface.AllNodes;
            w.Graph.Enqueue(w.Rewrite6, p);
        }
        else w.Graph.Enqueue(w.Lookup6, p);
    }

    /// <summary>The MAC in a source/target link-layer address option (RFC 4861 §4.6.1), or null.</summary>
    private static ulong? LinkAddressOption(ReadOnlySpan<byte> icmp, byte type)
    {
        for (var at = 24; at + 8 <= icmp.Length;)
        {
            var length = icmp[at + 1] * 8;
            if (length == 0) return null;
            if (icmp[at] == type && length >= 8) return Ethernet.Read48(icmp[(at + 2)..]);
            at += length;
        }
        return null;
    }

    /// <summary>Sends a neighbor solicitation for <paramref name="target"/> to its solicited-node group.</summary>
    /// <param name="unicast">A probe of a stale neighbor: sent to its address (and the MAC it had) instead of its solicited-node group (RFC 4861 §7.3.3).</param>
    public static void Solicit(Worker w, DpInterface itf, UInt128 target, bool unicast = false)
    {
        var p = w.Pool.Allocate();
        if (p < 0) return;
        const int length = 32;
        ref var m = ref w.Pool.Meta[p];
        m.Length = Ip6.HeaderLength + length;
        m.TxInterface = itf.Index;
        m.RxInterface = itf.Index;
        m.Originated = true;
        var group = unicast ? target : Ip6.SolicitedNode(target);
        m.NextHop6 = group;
        var h = w.Pool.Data(p);
        var icmp = h[Ip6.HeaderLength..];
        icmp[..length].Clear();
        icmp[0] = NeighborSolicitation;
        BinaryPrimitives.WriteUInt128BigEndian(icmp[8..], target);
        icmp[24] = OptionSourceLinkAddress;
        icmp[25] = 1;
        Ethernet.Write48(icmp[26..], itf.Mac);
        Ip6.WriteHeader(h, length, Ip6.ProtoIcmp6, 255, itf.SourceFor6(target), group);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Ip6.UpperChecksum(h, icmp[..length], Ip6.ProtoIcmp6));
        w.Graph.Enqueue(w.Rewrite6, p);
    }
}
