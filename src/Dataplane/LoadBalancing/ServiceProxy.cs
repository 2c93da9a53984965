using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>A port of a service: its protocol (TCP 6, UDP 17), the service port, the backends' port and, for NodePort services, the port on every node address.</summary>
public sealed record ServicePort(byte Protocol, ushort Port, ushort TargetPort, ushort NodePort = 0);

/// <summary>A backend of a service: a pod's address and its weight.</summary>
public sealed record ServiceBackend(uint Address, int Weight = 100);

/// <summary>
/// A Kubernetes Service as the service proxy needs it (the caller resolves selectors into backends): the cluster IP,
/// its ports, external (LoadBalancer) IPs, the backends, and how long a client sticks to its backend after its last
/// new connection (sessionAffinity ClientIP with its timeoutSeconds, <see cref="DefaultAffinity"/> unless told;
/// null: no affinity), on every address of a service port alike.
/// </summary>
public sealed record Service(string Name, uint ClusterIp, IReadOnlyList<ServicePort> Ports, IReadOnlyList<ServiceBackend> Backends,
    IReadOnlyList<uint>? ExternalIps = null, TimeSpan? ClientAffinity = null)
{
    /// <summary>Kubernetes' default affinity timeout (10800 seconds).</summary>
    public static readonly TimeSpan DefaultAffinity = TimeSpan.FromHours(3);
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
    public static IReadOnlyList<LbVip> Compile(IReadOnlyList<Service> services, IReadOnlyList<uint> nodeAddresses)
    {
        var vips = new List<LbVip>();
        var names = new HashSet<string>();
        foreach (var s in services)
        {
            if (string.IsNullOrEmpty(s.Name) || !names.Add(s.Name)) throw new DataplaneException($"service \"{s.Name}\": names are unique and not empty");
            if (s.Ports.Count == 0) throw new DataplaneException($"service \"{s.Name}\" has no ports");
            var servers = s.Backends.Select(b => LbServer.V4(b.Address, b.Weight)).ToList();
            foreach (var p in s.Ports)
            {
                if (p.Protocol is not (Ip4.ProtoTcp or Ip4.ProtoUdp)) throw new DataplaneException($"service \"{s.Name}\" port {p.Port}: protocol {p.Protocol} (TCP 6 or UDP 17)");
                if (p.Port == 0 || p.TargetPort == 0) throw new DataplaneException($"service \"{s.Name}\": a port and its target port are 1 to 65535");
                LbVip Vip(uint address, ushort port) =>
                    LbVip.V4(address, LbMode.Nat, servers, p.Protocol, port, p.TargetPort, TableSize(servers.Count)) 
                        with { ClientAffinity = s.ClientAffinity, AffinityScope = s.ClientAffinity is null ? null : $"service {s.Name} {p.Protocol}/{p.Port}" };
                vips.Add(Vip(s.ClusterIp, p.Port));
                foreach (var ip in s.ExternalIps ?? []) vips.Add(Vip(ip, p.Port));
                if (p.NodePort != 0)
                    foreach (var node in nodeAddresses) vips.Add(Vip(node, p.NodePort));
            }
        }
        return vips;
    }

    // Maglev's table for a service: a prime at least 100 times its backends (shares within about 1% of even), at
    // most the default; a cluster has thousands of services of a few backends each, and a table is 4 bytes an entry.
    private static readonly int[] Primes = [251, 1021, 4093, 16381, Maglev.DefaultSize];

    private static int TableSize(int backends) => Primes.FirstOrDefault(p => p >= 100 * backends, Maglev.DefaultSize);
}
