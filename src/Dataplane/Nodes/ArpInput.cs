using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// ARP (RFC 826) for the interface's addresses: answers requests for them in place, and learns the sender of
/// requests and replies addressed to us. Other ARP traffic is dropped.
/// </summary>
internal sealed class ArpInput(Worker w) : GraphNode("arp-input")
{
    public const int Length = 28;

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var frame = w.Pool.Data(p);
            var itf = w.Interface(m.RxInterface);
            if (itf is null)
            {
                w.Discard(p, DropReason.InterfaceDown); // deleted while the packet was on its way
                continue;
            }
            if (frame.Length < Ethernet.HeaderLength + Length)
            {
                w.Discard(p, DropReason.ArpMalformed);
                continue;
            }
            var arp = frame[Ethernet.HeaderLength..];
            if (BinaryPrimitives.ReadUInt16BigEndian(arp) != 1 || BinaryPrimitives.ReadUInt16BigEndian(arp[2..]) != Ethernet.TypeIp4 || arp[4] != 6 || arp[5] != 4)
            {
                w.Discard(p, DropReason.ArpMalformed);
                continue;
            }
            var op = BinaryPrimitives.ReadUInt16BigEndian(arp[6..]);
            var senderMac = Ethernet.Read48(arp[8..]);
            var senderIp = BinaryPrimitives.ReadUInt32BigEndian(arp[14..]);
            var targetIp = BinaryPrimitives.ReadUInt32BigEndian(arp[24..]);
            if (senderIp == 0 || Ethernet.IsGroup(senderMac))
            {
                w.Discard(p, DropReason.ArpNotForUs); // a probe (RFC 5227) or a bogus sender: nothing to learn or answer
                continue;
            }
            var neighbors = w.Dataplane.Neighbors;
            // An outside interface of NAT44 also answers for the pool and static external addresses it stands for.
            if (!itf.Owns(targetIp) && !(itf.NatRole == Nat.NatRole.Outside && w.Dataplane.Nat?.Answers(targetIp) == true)
                && w.Dataplane.Lb?.IsVipAddress(targetIp) != true)
            {
                // RFC 826: a sender already in the table is updated whoever the packet is for, so a gratuitous ARP
                // (an address moving to another MAC: failover) takes effect; nobody new is learned from it.
                if (neighbors.TryGet(itf.Index, senderIp, out var known) && known != senderMac)
                {
                    neighbors.Learn(itf.Index, senderIp, senderMac);
                    if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"{Ip4.Format(senderIp)} moved to {Ethernet.Format(senderMac)}");
                }
                w.Discard(p, DropReason.ArpNotForUs);
                continue;
            }
            HostPunt.Copy(w, p, 0); // the host stack keeps its own ARP table for what it sends
            neighbors.Learn(itf.Index, senderIp, senderMac);
            w.Rewrite.Resolved(itf.Index, senderIp);
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"{(op == 1 ? "request" : "reply")} from {Ip4.Format(senderIp)} is-at {Ethernet.Format(senderMac)} for {Ip4.Format(targetIp)}");
            if (op != 1)
            {
                w.Pool.Free(p);
                continue;
            }
            // The reply, written over the request.
            BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 2);
            Ethernet.Write48(arp[18..], senderMac);
            BinaryPrimitives.WriteUInt32BigEndian(arp[24..], senderIp);
            Ethernet.Write48(arp[8..], itf.Mac);
            BinaryPrimitives.WriteUInt32BigEndian(arp[14..], targetIp);
            Ethernet.WriteHeader(frame, senderMac, itf.Mac, Ethernet.TypeArp);
            m.TxInterface = itf.Index;
            w.Graph.Enqueue(w.Output, p);
        }
    }

    /// <summary>
    /// Sends an ARP request for <paramref name="target"/> out of an interface: broadcast (a neighbor is missing), or
    /// to <paramref name="unicastTo"/> (a stale neighbor is probed at the MAC it had, RFC 1122 §2.3.2.1).
    /// </summary>
    public static void Request(Worker w, Interfaces.DpInterface itf, uint target, ulong unicastTo = 0)
    {
        var p = w.Pool.Allocate();
        if (p < 0) return;
        ref var m = ref w.Pool.Meta[p];
        m.Length = Ethernet.HeaderLength + Length;
        m.TxInterface = itf.Index;
        var frame = w.Pool.Data(p);
        Ethernet.WriteHeader(frame, unicastTo != 0 ? unicastTo : Ethernet.Broadcast, itf.Mac, Ethernet.TypeArp);
        var arp = frame[Ethernet.HeaderLength..];
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], Ethernet.TypeIp4);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 1);
        Ethernet.Write48(arp[8..], itf.Mac);
        BinaryPrimitives.WriteUInt32BigEndian(arp[14..], itf.SourceFor(target));
        Ethernet.Write48(arp[18..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(arp[24..], target);
        w.Graph.Enqueue(w.Output, p);
    }
}
