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
internal sealed class AclNode(Worker w, bool input) : GraphNode(input ? "acl-in" : "acl-out")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var now = Environment.TickCount64;
        w.Sessions.Expire(now);
        foreach (var p in packets)
        {
            ref var m = ref w.Pool.Meta[p];
            var h = w.Pool.Data(p);
            var itf = w.Interface(input ? m.RxInterface : m.TxInterface);
            var classifier = input ? itf?.InputAcl : itf?.OutputAcl;
            var v6 = h[0] >> 4 == 6;
            PacketKey key;
            if (v6) AclKeys.FromIp6(h, out key);
            else AclKeys.FromIp4(h, out key);
            var permitted = classifier is null || input && v6 && key.Protocol == Ip6.ProtoIcmp6 && key.IcmpType is >= 133 and <= 137
                || w.Sessions.Match(key, now);
            if (!permitted)
            {
                var rule = classifier!.Match(key);
                if (rule >= 0)
                {
                    var (list, index) = classifier.Rules[rule];
                    list.Hits[index]++;
                    var action = classifier.Rule(rule).Action;
                    permitted = action != AclAction.Deny;
                    if (action == AclAction.PermitReflect) w.Sessions.Open(key, now);
                }
                if (m.Traced) w.Trace(p, Name, rule < 0 ? "no rule matched: deny" : $"rule {rule}: {classifier.Rule(rule).Action}");
            }
            if (!permitted)
            {
                w.Discard(p, DropReason.AclDeny);
                continue;
            }
            w.Graph.Enqueue(input ? v6 ? w.Lookup6 : w.Lookup : v6 ? w.Rewrite6 : w.Rewrite, p);
        }
    }
}
