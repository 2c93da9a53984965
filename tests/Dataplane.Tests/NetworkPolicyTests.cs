using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Policy;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>Kubernetes network policies as ACLs on pod interfaces: what they allow, what they block, replies, sharing, removal.</summary>
public sealed class NetworkPolicyTests : IDisposable
{
    private const byte Syn = 0x02, SynAck = 0x12;
    private readonly Dataplane _dp = new(buffers: 512);
    private readonly Dictionary<string, MemoryPort> _ports = [];
    private static readonly ulong Router = 0x02_00_00_00_00_01;

    // Pods a, b, c at 10.0.1.2, 10.0.2.2, 10.0.3.2, each behind its own interface of the dataplane.
    public NetworkPolicyTests()
    {
        foreach (var (pod, n) in new[] { ("a", 1), ("b", 2), ("c", 3) })
        {
            var port = _ports[pod] = new MemoryPort();
            _dp.CreateInterface($"pod-{pod}", port, Router + (ulong)n);
            _dp.AddAddress($"pod-{pod}", Ip4.Parse($"10.0.{n}.1"), 24);
            _dp.SetAdminUp($"pod-{pod}", true);
            _dp.AddNeighbor($"pod-{pod}", Ip4.Parse($"10.0.{n}.2"), 0x02_aa_00_00_00_00UL + (ulong)n);
        }
    }

    public void Dispose() => _dp.Dispose();

    private static readonly Pod[] Pods = [new("a", "pod-a"), new("b", "pod-b"), new("c", "pod-c")];

    private static int Index(string pod) => pod[0] - 'a' + 1;

    private static PolicyPeer PodPeer(string pod) => new([PolicyPrefix.V4(Ip4.Parse($"10.0.{Index(pod)}.2"), 32)]);

    // Sends one TCP segment from pod `from` to pod `to` and tells whether it came out at `to`.
    private bool Reaches(string from, string to, ushort sport, ushort dport, byte flags = Syn)
    {
        foreach (var p in _ports.Values) p.Clear();
        var f = new byte[14 + 20 + 20];
        Ethernet.WriteHeader(f, Router + (ulong)Index(from), 0x02_aa_00_00_00_00UL + (ulong)Index(from), Ethernet.TypeIp4);
        Ip4.WriteHeader(f.AsSpan(14), 40, 64, Ip4.ProtoTcp, Ip4.Parse($"10.0.{Index(from)}.2"), Ip4.Parse($"10.0.{Index(to)}.2"));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(34), sport);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(36), dport);
        f[46] = 0x50;
        f[47] = flags;
        _ports[from].Inject(f);
        _dp.PollOnce();
        return _ports[to].Sent.Count == 1;
    }

    [Fact]
    public void A_selected_pod_takes_only_what_its_policies_allow_and_its_replies_go_back()
    {
        // "web" isolates a both ways: in, TCP 80 from b only; out, nothing (replies excepted).
        _dp.ApplyNetworkPolicies(Pods, [new NetworkPolicy("web", ["a"], Ingress: true, Egress: true,
            IngressRules: [new PolicyRule([PodPeer("b")], [new PolicyPort(6, 80)])])]);
        Assert.True(Reaches("b", "a", 40000, 80));
        Assert.True(Reaches("a", "b", 80, 40000, SynAck)); // the reply of an allowed connection
        Assert.False(Reaches("b", "a", 40001, 22)); // another port
        Assert.False(Reaches("c", "a", 40002, 80)); // another peer
        Assert.False(Reaches("a", "c", 40003, 443)); // a's egress is isolated with no rule
        Assert.False(Reaches("a", "b", 80, 40009, SynAck)); // no connection it answers
        // Pods no policy selects are not isolated.
        Assert.True(Reaches("c", "b", 40004, 5432));
        Assert.True(Reaches("b", "c", 40005, 22));

        // A second policy selecting a adds to what it allows (a union), here any port from c.
        _dp.ApplyNetworkPolicies(Pods, [
            new NetworkPolicy("web", ["a"], Ingress: true, Egress: true, IngressRules: [new PolicyRule([PodPeer("b")], [new PolicyPort(6, 80)])]),
            new NetworkPolicy("ops", ["a"], Ingress: true, Egress: false, IngressRules: [new PolicyRule([PodPeer("c")])]),
        ]);
        Assert.True(Reaches("c", "a", 40006, 22));
        Assert.False(Reaches("b", "a", 40007, 22));

        // No policies: every pod open again, and the policy ACLs are gone.
        _dp.ApplyNetworkPolicies(Pods, []);
        Assert.True(Reaches("b", "a", 40008, 22));
        Assert.DoesNotContain(_dp.Acls.Keys, n => n.StartsWith(NetworkPolicies.AclPrefix));
    }

    [Fact]
    public void The_global_table_on_the_uplink_refuses_what_a_pod_would_where_it_comes_in()
    {
        // Another node's host 10.9.0.2 comes in by "uplink"; pod a takes TCP 80 from 10.9.0.0/24 only.
        var uplink = new MemoryPort();
        _dp.CreateInterface("uplink", uplink, Router + 9);
        _dp.AddAddress("uplink", Ip4.Parse("10.9.0.1"), 24);
        _dp.SetAdminUp("uplink", true);
        _dp.AddNeighbor("uplink", Ip4.Parse("10.9.0.2"), 0x02_aa_00_00_00_09UL);
        Pod[] pods = [.. Pods.Select(p => p with { Addresses = [PolicyPrefix.V4(Ip4.Parse($"10.0.{Index(p.Name)}.2"), 32)] })];
        _dp.ApplyNetworkPolicies(pods, [new NetworkPolicy("web", ["a"], Ingress: true, Egress: false,
            IngressRules: [new PolicyRule([new PolicyPeer([PolicyPrefix.V4(Ip4.Parse("10.9.0.0"), 24)])], [new PolicyPort(6, 80)])])], uplinks: ["uplink"]);
        var global = Assert.Single(_dp.Interface("uplink").InputAclNames);
        Assert.StartsWith(NetworkPolicies.AclPrefix + "global-", global);
        bool FromUplink(int pod, ushort dport)
        {
            foreach (var p in _ports.Values) p.Clear();
            var f = new byte[14 + 20 + 20];
            Ethernet.WriteHeader(f, Router + 9, 0x02_aa_00_00_00_09UL, Ethernet.TypeIp4);
            Ip4.WriteHeader(f.AsSpan(14), 40, 64, Ip4.ProtoTcp, Ip4.Parse("10.9.0.2"), Ip4.Parse($"10.0.{pod}.2"));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(34), 50000);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(36), dport);
            f[46] = 0x50;
            f[47] = Syn;
            uplink.Inject(f);
            _dp.PollOnce();
            return _ports.Values.Any(p => p.Sent.Count > 0);
        }
        Assert.True(FromUplink(1, 80));
        var deniedBefore = _dp.Node("acl-out").Packets;
        Assert.False(FromUplink(1, 22));
        Assert.Equal(deniedBefore, _dp.Node("acl-out").Packets); // refused on the way in: it never reached pod a's own ACL
        Assert.True(FromUplink(2, 22)); // pod b is not isolated
        // Without uplinks, the global table goes.
        _dp.ApplyNetworkPolicies(pods, []);
        Assert.Empty(_dp.Interface("uplink").InputAclNames);
        Assert.DoesNotContain(_dp.Acls.Keys, n => n.StartsWith(NetworkPolicies.AclPrefix));
    }

    [Fact]
    public void An_ipblock_exception_blocks_only_its_part_and_port_ranges_hold()
    {
        _dp.ApplyNetworkPolicies(Pods, [new NetworkPolicy("db", ["c"], Ingress: true, Egress: false, IngressRules:
        [
            new PolicyRule([new PolicyPeer([PolicyPrefix.V4(Ip4.Parse("10.0.0.0"), 16)], [PolicyPrefix.V4(Ip4.Parse("10.0.2.0"), 24)])],
                [new PolicyPort(6, 5000, 5010)]),
        ])]);
        Assert.True(Reaches("a", "c", 40000, 5000));
        Assert.True(Reaches("a", "c", 40001, 5010));
        Assert.False(Reaches("a", "c", 40002, 5011));
        Assert.False(Reaches("b", "c", 40003, 5000)); // 10.0.2.0/24 is excepted

        // Another rule that allows b is not undone by the first rule's exception.
        _dp.ApplyNetworkPolicies(Pods, [new NetworkPolicy("db", ["c"], Ingress: true, Egress: false, IngressRules:
        [
            new PolicyRule([new PolicyPeer([PolicyPrefix.V4(Ip4.Parse("10.0.0.0"), 16)], [PolicyPrefix.V4(Ip4.Parse("10.0.2.0"), 24)])],
                [new PolicyPort(6, 5000, 5010)]),
            new PolicyRule([PodPeer("b")], [new PolicyPort(6, 5000)]),
        ])]);
        Assert.True(Reaches("b", "c", 40004, 5000));
        Assert.False(Reaches("b", "c", 40005, 5001));
    }

    [Fact]
    public void Pods_with_the_same_policies_share_one_acl_and_bad_input_changes_nothing()
    {
        var (acls, attachments) = NetworkPolicies.Compile(Pods, [
            new NetworkPolicy("web", ["a", "b"], Ingress: true, Egress: false, IngressRules: [new PolicyRule([PodPeer("c")], [new PolicyPort(6, 80)])]),
        ]);
        Assert.Equal(2, acls.Count); // the ingress rules, and the permit-all of the direction no policy isolates
        Assert.Equal(attachments["pod-a"], attachments["pod-b"]);
        Assert.Equal((null, null), attachments["pod-c"]);

        _dp.ApplyNetworkPolicies(Pods, [new NetworkPolicy("web", ["a"], Ingress: true, Egress: false)]);
        var before = _dp.Acls.Keys.ToList();
        Assert.Contains("selects pod x", Assert.Throws<DataplaneException>(() =>
            _dp.ApplyNetworkPolicies(Pods, [new NetworkPolicy("bad", ["x"], Ingress: true, Egress: false)])).Message);
        Assert.Contains("not inside", Assert.Throws<DataplaneException>(() => _dp.ApplyNetworkPolicies(Pods, [
            new NetworkPolicy("bad", ["b"], Ingress: true, Egress: false, IngressRules:
                [new PolicyRule([new PolicyPeer([PolicyPrefix.V4(Ip4.Parse("10.0.0.0"), 16)], [PolicyPrefix.V4(Ip4.Parse("10.1.0.0"), 24)])])]),
        ])).Message);
        Assert.Contains("no interface", Assert.Throws<DataplaneException>(() =>
            _dp.ApplyNetworkPolicies([.. Pods, new Pod("d", "pod-d")], [])).Message);
        Assert.Equal(before, _dp.Acls.Keys.ToList());
        Assert.False(Reaches("b", "a", 40000, 80)); // "web" (ingress, no rules: deny all) still holds
        Assert.True(Reaches("a", "b", 40001, 80));
    }

    [Fact]
    public void A_pod_isolated_one_way_still_gets_the_replies_of_its_connections_the_other_way()
    {
        // a: ingress isolated with no rule (nothing may connect to it), egress open.
        _dp.ApplyNetworkPolicies(Pods, [new NetworkPolicy("in-only", ["a"], Ingress: true, Egress: false)]);
        Assert.False(Reaches("b", "a", 40000, 80));
        Assert.True(Reaches("a", "b", 40001, 80)); // its own connection goes out
        Assert.True(Reaches("b", "a", 80, 40001, SynAck)); // and its reply comes in
        Assert.False(Reaches("b", "a", 80, 40002, SynAck)); // a reply to nothing it sent does not

        // c: egress isolated with no rule (it may connect nowhere), ingress open.
        _dp.ApplyNetworkPolicies(Pods, [new NetworkPolicy("out-only", ["c"], Ingress: false, Egress: true)]);
        Assert.False(Reaches("c", "b", 40003, 80));
        Assert.True(Reaches("b", "c", 40004, 80)); // connections to it come in
        Assert.True(Reaches("c", "b", 80, 40004, SynAck)); // and its replies go out
    }
}
