using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>A port of a service: its protocol (TCP 6, UDP 17), the service port, the backends' port and, for NodePort services, the port on every node address.</summary>
public sealed record ServicePort(byte Protocol, ushort Port, ushort TargetPort, ushort NodePort = 0);

/// <summary>
/// A backend of a service: a pod's address, its weight and, where the pod's port differs from the service port's
/// target port (a named port), its own port per service port (<see cref="Ports"/>: service port to the pod's port).
/// </summary>
public sealed record ServiceBackend(uint Address, int Weight = 100)
{
    public IReadOnlyDictionary<ushort, ushort>? Ports { get; init; }
}

/// <summary>An IPv6 backend of a service (as <see cref="ServiceBackend"/>).</summary>
public sealed record ServiceBackend6(UInt128 Address, int Weight = 100)
{
    public IReadOnlyDictionary<ushort, ushort>? Ports { get; init; }
}

/// <summary>
/// A Kubernetes Service as the service proxy needs it (the caller resolves selectors into backends): the cluster IP,
/// its ports, external (LoadBalancer) IPs, the backends, and how long a client sticks to its backend after its last
/// new connection (sessionAffinity ClientIP with its timeoutSeconds, <see cref="DefaultAffinity"/> unless told;
/// null: no affinity), on every address of a service port alike. A dual-stack service has an IPv6 side too
/// (<see cref="ClusterIp6"/>, its own backends and external IPs); an IPv6-only one has <see cref="ClusterIp"/> 0.
/// </summary>
public sealed record Service(string Name, uint ClusterIp, IReadOnlyList<ServicePort> Ports, IReadOnlyList<ServiceBackend> Backends,
    IReadOnlyList<uint>? ExternalIps = null, TimeSpan? ClientAffinity = null)
{
    /// <summary>Kubernetes' default affinity timeout (10800 seconds).</summary>
    public static readonly TimeSpan DefaultAffinity = TimeSpan.FromHours(3);

    /// <summary>The IPv6 cluster IP (zero: no IPv6 side).</summary>
    public UInt128 ClusterIp6 { get; init; }

    public IReadOnlyList<ServiceBackend6> Backends6 { get; init; } = [];

    public IReadOnlyList<UInt128> ExternalIps6 { get; init; } = [];
}

/// <summary>
/// The service proxy (what the seed's VPP plugin does in place of kube-proxy): every service port becomes a NAT-mode
/// VIP of the load balancer on the cluster IP, on each external IP, and with a node port on each node address, all
/// with the service's backends on the target port. The load balancer does the rest: Maglev over the backends, flows
/// that keep their backend (a removed backend keeps its connections until they end), the answers from the service
/// address, hairpinning, a TCP reset or ICMP port unreachable when no backend is ready.
/// </summary>
public static class ServiceProxy
{
    /// <summary>
    /// The VIPs of the services: each port of each family on its cluster IP, its external IPs and, with a node port,
    /// every node address of the family (<paramref name="nodeAddresses"/>, <paramref name="nodeAddresses6"/>).
    /// </summary>
    public static IReadOnlyList<LbVip> Compile(IReadOnlyList<Service> services, IReadOnlyList<uint> nodeAddresses, IReadOnlyList<UInt128>? nodeAddresses6 = null)
    {
        var vips = new List<LbVip>();
        var names = new HashSet<string>();
        foreach (var s in services)
        {
            if (string.IsNullOrEmpty(s.Name) || !names.Add(s.Name)) throw new DataplaneException($"service \"{s.Name}\": names are unique and not empty");
            if (s.Ports.Count == 0) throw new DataplaneException($"service \"{s.Name}\" has no ports");
            if (s.ClusterIp == 0 && s.ClusterIp6 == UInt128.Zero) throw new DataplaneException($"service \"{s.Name}\" has no cluster IP");
            foreach (var p in s.Ports)
            {
                if (p.Protocol is not (Ip4.ProtoTcp or Ip4.ProtoUdp)) throw new DataplaneException($"service \"{s.Name}\" port {p.Port}: protocol {p.Protocol} (TCP 6 or UDP 17)");
                if (p.Port == 0 || p.TargetPort == 0) throw new DataplaneException($"service \"{s.Name}\": a port and its target port are 1 to 65535");
            }
            if (s.ClusterIp != 0)
                Add(s, "", [.. s.Backends.Select(b => (Ip6.Mapped(b.Address), b.Weight, b.Ports))], Ip6.Mapped(s.ClusterIp),
                    [.. (s.ExternalIps ?? []).Select(Ip6.Mapped)], [.. nodeAddresses.Select(Ip6.Mapped)]);
            if (s.ClusterIp6 != UInt128.Zero)
                Add(s, " IPv6", [.. s.Backends6.Select(b => (b.Address, b.Weight, b.Ports))], s.ClusterIp6, s.ExternalIps6, nodeAddresses6 ?? []);
        }
        return vips;

        // One family's VIPs of a service: NAT mode, the backends on the target port or their own.
        void Add(Service s, string family, List<(UInt128 Address, int Weight, IReadOnlyDictionary<ushort, ushort>? Ports)> backends, UInt128 clusterIp,
            IReadOnlyList<UInt128> external, IReadOnlyList<UInt128> nodes)
        {
            foreach (var p in s.Ports)
            {
                var servers = backends.Select(b => new LbServer(b.Address, b.Weight, b.Ports?.GetValueOrDefault(p.Port) ?? 0)).ToList();
                LbVip Vip(UInt128 address, ushort port) =>
                    new LbVip(address, 128, LbMode.Nat, servers, p.Protocol, port, p.TargetPort, TableSize(servers.Count))
                    {
                        ClientAffinity = s.ClientAffinity,
                        AffinityScope = s.ClientAffinity is null ? null : $"service {s.Name} {p.Protocol}/{p.Port}{family}",
                    };
                vips.Add(Vip(clusterIp, p.Port));
                foreach (var ip in external) vips.Add(Vip(ip, p.Port));
                if (p.NodePort != 0)
                    foreach (var node in nodes) vips.Add(Vip(node, p.NodePort));
            }
        }
    }

    // Maglev's table for a service: a prime at least 100 times its backends (shares within about 1% of even), at
    // most the default; a cluster has thousands of services of a few backends each, and a table is 4 bytes an entry.
    private static readonly int[] Primes = [251, 1021, 4093, 16381, Maglev.DefaultSize];

    private static int TableSize(int backends) => Primes.FirstOrDefault(p => p >= 100 * backends, Maglev.DefaultSize);
}
