using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// The ACLs of an interface in one direction (acl-in after ip4/ip6-input, acl-out between lookup and rewrite): the
/// first matching rule decides and counts a hit; a packet no rule matches is denied. Packets of a flow a
/// permit-and-reflect rule let through before (<see cref="ReflectSessions"/>) pass in both directions. IPv6
/// neighbor discovery is not filtered on input (a link must keep working under any ACL).
/// </summary>
/// <remarks>
/// acl-in matches the Ethernet fields of the frame as received: every packet it gets came from ethernet-input,
/// which took the 14-byte header off but left its bytes in front of the packet (as <see cref="HostPunt"/> relies
/// on too). When an input ACL has Ethernet rules (<see cref="AclClassifier.FiltersNonIp"/>), ethernet-input sends
/// the frames that are not IP here as well: permitted ARP goes on to arp-input, other ethertypes are dropped as
/// before (unknown to the dataplane), only counted by the rule that matched them. Permit-and-reflect acts as
/// permit on them (sessions are IP flows). acl-out sees IP packets before the rewrite, without MACs, and so does
/// acl-in on a tunnel interface (its packets had no Ethernet header; the bytes in front are the outer headers).
/// </remarks>
internal sealed class AclNode(Worker w, bool input) : GraphNode(input ? "acl-in" : "acl-out")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var now = Environment.TickCount64;
        w.Sessions.Expire(now);
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var itf = w.Interface(input ? m.RxInterface : m.TxInterface);
            var classifier = input ? itf?.InputAcl : itf?.OutputAcl;
            PacketKey key;
            if (input && itf?.Tunnel is null)
            {
                w.Pool.Advance(p, -Ethernet.HeaderLength);
                AclKeys.FromFrame(w.Pool.Data(p), out key);
                w.Pool.Advance(p, Ethernet.HeaderLength);
            }
            else
            {
                var h = w.Pool.Data(p);
                if (h[0] >> 4 == 6) AclKeys.FromIp6(h, out key);
                else AclKeys.FromIp4(h, out key);
            }
            var ip = key.Family != 0;
            var permitted = classifier is null || input && key.Family == 6 && key.Protocol == Ip6.ProtoIcmp6 && key.IcmpType is >= 133 and <= 137
                || ip && w.Sessions.Match(key, now);
            if (!permitted)
            {
                var rule = classifier!.Match(key);
                if (rule >= 0)
                {
                    var (list, index) = classifier.Rules[rule];
                    list.Hits[index]++;
                    var action = classifier.Rule(rule).Action;
                    permitted = action != AclAction.Deny;
                    if (action == AclAction.PermitReflect && ip) w.Sessions.Open(key, now);
                }
                if (m.Traced) w.Trace(p, Name, rule < 0 ? "no rule matched: deny" : $"rule {rule}: {classifier.Rule(rule).Action}");
            }
            if (!permitted)
            {
                w.Discard(p, DropReason.AclDeny);
                continue;
            }
            if (!ip)
            {
                if (key.EtherType == Ethernet.TypeArp)
                {
                    w.Pool.Advance(p, -Ethernet.HeaderLength); // arp-input reads the whole frame
                    w.Graph.Enqueue(w.Arp, p);
                }
                else
                {
                    itf!.PerWorker[w.Index].InUnknownProtos++;
                    w.Discard(p, DropReason.UnknownEthertype);
                }
                continue;
            }
            var v6 = key.Family == 6;
            w.Graph.Enqueue(input ? v6 ? w.AfterInput6 : (itf is null ? w.Lookup : w.AfterInput4(itf)) : v6 ? w.Rewrite6 : w.Rewrite, p);
        }
    }
}
