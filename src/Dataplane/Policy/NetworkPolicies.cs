using System.Security.Cryptography;
using System.Text;
using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Policy;

/// <summary>
/// A pod: its name, the dataplane interface that leads to it (its veth or TAP), and its addresses (host prefixes;
/// needed only for the global table of traffic from other nodes).
/// </summary>
public sealed record Pod(string Name, string Interface, IReadOnlyList<PolicyPrefix>? Addresses = null);

/// <summary>An address prefix (IPv4 as IPv4-mapped, as ACL rules take them) and its length.</summary>
public readonly record struct PolicyPrefix(UInt128 Address, int Length, int Family)
{
    public static PolicyPrefix V4(uint address, int length) => new(Ip4Mapped(address), 96 + length, 4);

    public static PolicyPrefix V6(UInt128 address, int length) => new(address, length, 6);

    internal static UInt128 Ip4Mapped(uint a) => (UInt128)0xffff_0000_0000UL | a;
}

/// <summary>
/// A peer of a rule: the addresses the caller resolved from pod and namespace selectors, or an ipBlock (a CIDR with
/// exceptions inside it).
/// </summary>
public sealed record PolicyPeer(IReadOnlyList<PolicyPrefix> Addresses, IReadOnlyList<PolicyPrefix>? Except = null);

/// <summary>A port of a rule: the protocol (6 TCP, 17 UDP; the ACLs do not read SCTP ports), the port, and the end of a range (0: the port alone; port 0: every port).</summary>
public sealed record PolicyPort(byte Protocol, ushort Port = 0, ushort EndPort = 0);

/// <summary>One ingress or egress rule: traffic from (to) any of the peers on any of the ports; no peers: any address; no ports: any port.</summary>
public sealed record PolicyRule(IReadOnlyList<PolicyPeer>? Peers = null, IReadOnlyList<PolicyPort>? Ports = null);

/// <summary>
/// A Kubernetes NetworkPolicy with its pod selector resolved: the pods it selects, whether it isolates them for
/// ingress and for egress (its policyTypes), and the rules that allow traffic in and out.
/// </summary>
public sealed record NetworkPolicy(
    string Name, IReadOnlyList<string> Pods, bool Ingress, bool Egress,
    IReadOnlyList<PolicyRule>? IngressRules = null, IReadOnlyList<PolicyRule>? EgressRules = null);

/// <summary>
/// Turns network policies into ACLs on the pods' interfaces, with Kubernetes semantics: a pod selected by no policy
/// of a direction is not isolated in it (a pod selected by none has no ACLs; one isolated in the other direction
/// only gets a permit-all there); a selected pod allows the union of the rules of every policy that selects it, and
/// nothing else; replies of allowed connections pass both ways (every entry is permit-and-reflect: the session lets
/// the other direction back, also through the other direction's isolation). Traffic to a pod leaves the dataplane by its interface, so ingress rules are the
/// interface's output ACL, egress rules its input ACL. Pods with the same rules share one ACL object, named after
/// a hash of its rules. An ipBlock's exceptions are cut out of its CIDR (the remainder as prefixes), so one rule's
/// exception never denies what another rule allows.
/// </summary>
public static class NetworkPolicies
{
    /// <summary>ACL names this compiler makes start with it; others are left alone.</summary>
    public const string AclPrefix = "netpol-";

    /// <summary>The ACLs to have and, per pod interface, the input (egress) and output (ingress) ACL names (null: none).</summary>
    public static (IReadOnlyDictionary<string, IReadOnlyList<AclRule>> Acls, IReadOnlyDictionary<string, (string? Input, string? Output)> Attachments)
        Compile(IReadOnlyList<Pod> pods, IReadOnlyList<NetworkPolicy> policies)
    {
        var byName = new Dictionary<string, Pod>();
        foreach (var pod in pods)
            if (!byName.TryAdd(pod.Name, pod)) throw new DataplaneException($"pod {pod.Name} is given twice");
        var interfaces = new HashSet<string>();
        foreach (var pod in pods)
            if (!interfaces.Add(pod.Interface)) throw new DataplaneException($"interface {pod.Interface} leads to two pods");
        foreach (var policy in policies)
            foreach (var name in policy.Pods)
                if (!byName.ContainsKey(name)) throw new DataplaneException($"network policy {policy.Name} selects pod {name}, which is not given");

        var acls = new Dictionary<string, IReadOnlyList<AclRule>>();
        var attachments = new Dictionary<string, (string?, string?)>();
        foreach (var pod in pods)
        {
            var selecting = policies.Where(p => p.Pods.Contains(pod.Name)).ToList();
            var ingress = selecting.Where(p => p.Ingress).ToList();
            var egress = selecting.Where(p => p.Egress).ToList();
            if (ingress.Count == 0 && egress.Count == 0)
            {
                attachments[pod.Interface] = (null, null);
                continue;
            }
            // A direction no policy isolates allows everything, as permit-and-reflect all the same: the sessions its
            // connections open let their replies through the other direction's ACL.
            var output = Acl(acls, ingress.Count == 0 ? [Open] : Rules(ingress.SelectMany(p => p.IngressRules ?? []), fromPeer: true));
            var input = Acl(acls, egress.Count == 0 ? [Open] : Rules(egress.SelectMany(p => p.EgressRules ?? []), fromPeer: false));
            attachments[pod.Interface] = (input, output);
        }
        return (acls, attachments);
    }

    /// <summary>
    /// The single global table for traffic that comes from other nodes (their tunnels, the uplink): one ACL holding,
    /// for every pod isolated for ingress, its allowed traffic with the pod's addresses as destination, then a deny
    /// of the rest to those addresses; traffic to other pods and addresses passes. Attached as the input ACL of those
    /// interfaces, it refuses what a pod would refuse where it comes in, before any routing or tunnel work. Pods without
    /// addresses are left to their interface's ACLs.
    /// </summary>
    public static IReadOnlyList<AclRule> Global(IReadOnlyList<Pod> pods, IReadOnlyList<NetworkPolicy> policies)
    {
        var rules = new List<AclRule>();
        foreach (var pod in pods)
        {
            var ingress = policies.Where(p => p.Ingress && p.Pods.Contains(pod.Name)).ToList();
            if (ingress.Count == 0 || pod.Addresses is not { Count: > 0 } addresses) continue;
            var allowed = Rules(ingress.SelectMany(p => p.IngressRules ?? []), fromPeer: true);
            foreach (var a in addresses)
            {
                Check(a);
                var (length, any) = a.Family == 4 ? (a.Length - 96, PolicyPrefix.Ip4Mapped(0)) : (a.Length, UInt128.Zero);
                foreach (var e in allowed.Where(e => e.Family == 0 || e.Family == a.Family))
                    rules.Add(e.Family == 0
                        ? e with { Family = a.Family, Source = any, Destination = a.Address, DestinationLength = length }
                        : e with { Destination = a.Address, DestinationLength = length });
                rules.Add(new AclRule(AclAction.Deny) { Family = a.Family, Source = any, Destination = a.Address, DestinationLength = length });
            }
        }
        rules.Add(Open);
        return rules;
    }

    /// <summary>The global table's ACL name for these rules (shared like the pods' ACLs).</summary>
    public static string GlobalName(IReadOnlyList<AclRule> rules) => AclPrefix + "global-" + Hash(rules);

    private static readonly AclRule Open = new(AclAction.PermitReflect);

    // The permit-and-reflect entries of rules; the ACL's implicit deny ends them. Ingress rules match the peer as the
    // source, egress rules as the destination.
    private static List<AclRule> Rules(IEnumerable<PolicyRule> rules, bool fromPeer)
    {
        var entries = new List<AclRule>();
        foreach (var rule in rules)
        {
            var prefixes = rule.Peers is { Count: > 0 } peers ? peers.SelectMany(Remainder).Distinct().ToList() : [null];
            var ports = rule.Ports is { Count: > 0 } p ? p.Cast<PolicyPort?>().ToList() : [null];
            foreach (var prefix in prefixes)
                foreach (var port in ports)
                {
                    var e = new AclRule(AclAction.PermitReflect);
                    if (prefix is { } a)
                    {
                        // ACL rules take IPv4 prefixes IPv4-mapped with their IPv4 length, the other address too.
                        var (length, any) = a.Family == 4 ? (a.Length - 96, PolicyPrefix.Ip4Mapped(0)) : (a.Length, UInt128.Zero);
                        e = fromPeer
                            ? e with { Family = a.Family, Source = a.Address, SourceLength = length, Destination = any }
                            : e with { Family = a.Family, Destination = a.Address, DestinationLength = length, Source = any };
                    }
                    if (port is { } q)
                    {
                        if (q.Protocol is not (6 or 17)) throw new DataplaneException($"a network policy port's protocol is TCP (6) or UDP (17) here, not {q.Protocol}");
                        if (q.EndPort != 0 && (q.Port == 0 || q.EndPort < q.Port)) throw new DataplaneException($"port range {q.Port}-{q.EndPort} is empty");
                        e = e with { Protocol = q.Protocol };
                        if (q.Port != 0) e = e with { DestinationPortLow = q.Port, DestinationPortHigh = q.EndPort != 0 ? q.EndPort : q.Port };
                    }
                    entries.Add(e);
                }
        }
        return entries.Distinct().ToList();
    }

    // A peer's addresses with its exceptions cut out, as prefixes.
    private static IEnumerable<PolicyPrefix?> Remainder(PolicyPeer peer)
    {
        foreach (var block in peer.Addresses)
        {
            Check(block);
            var parts = new List<PolicyPrefix> { block };
            foreach (var cut in peer.Except ?? [])
            {
                Check(cut);
                if (cut.Family != block.Family || cut.Length < block.Length || !Covers(block, cut.Address))
                    throw new DataplaneException($"ipBlock exception {Format(cut)} is not inside {Format(block)}");
                parts = [.. parts.SelectMany(p => Subtract(p, cut))];
            }
            foreach (var p in parts) yield return p;
        }
    }

    // p minus c: p itself when they do not overlap, nothing when c covers p, else the halves of p down to c's
    // length that do not hold c (at most c.Length - p.Length prefixes).
    private static IEnumerable<PolicyPrefix> Subtract(PolicyPrefix p, PolicyPrefix c)
    {
        if (c.Length <= p.Length) return Covers(c, p.Address) ? [] : [p];
        if (!Covers(p, c.Address)) return [p];
        var left = new List<PolicyPrefix>();
        var current = p;
        while (current.Length < c.Length)
        {
            var length = current.Length + 1;
            var bit = UInt128.One << (128 - length);
            var low = current with { Length = length };
            var high = current with { Address = current.Address | bit, Length = length };
            if (Covers(low, c.Address)) (current, left) = (low, [.. left, high]);
            else (current, left) = (high, [.. left, low]);
        }
        return left;
    }

    private static bool Covers(PolicyPrefix p, UInt128 address) => (address & Ip6.Mask(p.Length)) == p.Address;

    private static void Check(PolicyPrefix p)
    {
        var ok = p.Family switch
        {
            4 => p.Length is >= 96 and <= 128 && p.Address >> 32 == 0xffff,
            6 => p.Length is >= 0 and <= 128,
            _ => false,
        };
        if (!ok || (p.Address & ~Ip6.Mask(p.Length)) != UInt128.Zero) throw new DataplaneException($"{Format(p)} is not a prefix");
    }

    private static string Format(PolicyPrefix p) =>
        p.Family == 4 ? $"{Ip4.Format((uint)p.Address)}/{p.Length - 96}" : $"{Ip6.Format(p.Address)}/{p.Length}";

    // The shared ACL object for these rules: named after their hash, made once.
    private static string Acl(Dictionary<string, IReadOnlyList<AclRule>> acls, List<AclRule> rules)
    {
        var name = AclPrefix + Hash(rules);
        acls.TryAdd(name, rules);
        return name;
    }

    private static string Hash(IReadOnlyList<AclRule> rules) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', rules.Select(r => r.ToString())))))[..16].ToLowerInvariant();
}
