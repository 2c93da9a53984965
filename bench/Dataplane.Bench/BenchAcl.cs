using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Bench;

/// <summary>The ACL of the ACL cases: the traffic matches only its last rule.</summary>
static class BenchAcl
{
    /// <summary>
    /// <paramref name="count"/>-1 denies of other sources (in 172.0.0.0/8, /32, /28, /24 and /20 prefixes in turn,
    /// TCP or UDP, destination ports 1000-2000), then permit.
    /// </summary>
    public static List<AclRule> Rules(int count, Random random)
    {
        var rules = new List<AclRule>(count);
        for (var i = 0; i < count - 1; i++)
        {
            var length = new[] { 32, 28, 24, 20 }[i % 4];
            var source = (uint)random.NextInt64(172L << 24, 173L << 24) & Ip4Fib.Mask(length);
            rules.Add(AclRule.Ip4(AclAction.Deny, Ip4.Format(source), length) with { Protocol = i % 2 == 0 ? (byte)6 : (byte)17, DestinationPortLow = 1000, DestinationPortHigh = 2000 });
        }
        rules.Add(new AclRule(AclAction.Permit));
        return rules;
    }
}
