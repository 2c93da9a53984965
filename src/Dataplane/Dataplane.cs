using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Nat;
using Mgmt.Dataplane.Neighbors;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane;

/// <summary>
/// The in-process dataplane and its typed API, which the translation layer calls: interfaces on ports, their
/// addresses, routes, neighbors; counters and traces to read back. Every call is checked first and refused with a
/// <see cref="DataplaneException"/> that says why, changing nothing. Calls come from one control thread at a time;
/// the workers read the tables without locks (<see cref="Start"/> runs each on its own thread, <see cref="PollOnce"/>
/// steps them from the caller's, as tests do). Counters are kept per worker and summed when read.
/// </summary>
public sealed partial class Dataplane : IDisposable
{
    public const int MinMtu = 68;
    public const int MaxMtu = PacketPool.BufferSize - PacketPool.Headroom - Ethernet.HeaderLength;

    private readonly Lock _api = new();
    private readonly List<Thread> _threads = [];
    private volatile bool _stopping;

    /// <summary>
    /// A dataplane with <paramref name="workers"/> worker threads sharing <paramref name="buffers"/> packet buffers
    /// per worker; <paramref name="cores"/>, when given, pins worker i to CPU <c>cores[i % cores.Count]</c>.
    /// </summary>
    public Dataplane(int buffers = 4096, int workers = 1, IReadOnlyList<int>? cores = null)
    {
        if (workers is < 1 or > 64) throw new DataplaneException($"worker count {workers} is not between 1 and 64");
        if (buffers < 64) throw new DataplaneException("a worker needs at least 64 packet buffers");
        if (cores is { Count: 0 } || cores?.Any(c => c < 0 || c >= Environment.ProcessorCount) == true)
            throw new DataplaneException($"cores are between 0 and {Environment.ProcessorCount - 1}");
        _cores = cores;
        NewSlot(_tables[0]);
        Buffers = new PacketBuffers(buffers * workers);
        Workers = [.. Enumerable.Range(0, workers).Select(i => new Worker(this, i, workers, Buffers.NewCache(Math.Min(512, buffers / 2))))];
        foreach (var w in Workers) w.Connect(Workers);
    }

    /// <summary>One worker per core left to the dataplane (all but one, for the control plane), at least one.</summary>
    public static int DefaultWorkerCount => Math.Max(1, Environment.ProcessorCount - 1);

    private readonly IReadOnlyList<int>? _cores;

    /// <summary>The packet-processing threads; a flow is handled by the worker its hash picks.</summary>
    public IReadOnlyList<Worker> Workers { get; }

    /// <summary>The packet buffers all workers share.</summary>
    public PacketBuffers Buffers { get; }

    internal DpInterface?[] InterfaceArray { get; private set; } = [];

    public IEnumerable<DpInterface> Interfaces => InterfaceArray.OfType<DpInterface>();

    private readonly Dictionary<int, RouteTable> _tables = new() { [0] = new RouteTable(0) };

    /// <summary>Tables by slot, for packets that name the table they are looked up in (tunnels' outer packets); slots are not reused.</summary>
    internal RouteTable[] TableSlots { get; private set; } = [];

    /// <summary>The routing tables (VRFs) by id; table 0 always exists.</summary>
    public IReadOnlyDictionary<int, RouteTable> Tables => _tables;

    /// <summary>Table 0's IPv4 FIB.</summary>
    public Ip4Fib Fib => _tables[0].Fib4;

    /// <summary>Table 0's IPv6 FIB.</summary>
    public Ip6Fib Fib6 => _tables[0].Fib6;

    /// <summary>Creates an empty routing table (a VRF) for interfaces to be put in.</summary>
    public RouteTable CreateTable(int id)
    {
        lock (_api)
        {
            if (id is < 1 or > 1_000_000) throw new DataplaneException($"table id {id} is not between 1 and 1000000");
            if (_tables.ContainsKey(id)) throw new DataplaneException($"table {id} exists");
            return _tables[id] = NewSlot(new RouteTable(id));
        }
    }

    /// <summary>Deletes a table with its routes; no interface may be in it.</summary>
    public void DeleteTable(int id)
    {
        lock (_api)
        {
            var table = Table(id);
            if (id == 0) throw new DataplaneException("table 0 cannot be deleted");
            if (Interfaces.FirstOrDefault(i => i.Table == table) is { } user) throw new DataplaneException($"interface {user.Name} is in table {id}");
            if (Interfaces.FirstOrDefault(i => i.Tunnel?.UnderlayTable == id) is { } tunnel) throw new DataplaneException($"tunnel {tunnel.Name} is routed in table {id}");
            _tables.Remove(id);
        }
    }

    private RouteTable NewSlot(RouteTable table)
    {
        table.Slot = TableSlots.Length;
        TableSlots = [.. TableSlots, table];
        return table;
    }

    public RouteTable Table(int id) => _tables.TryGetValue(id, out var t) ? t : throw new DataplaneException($"no table {id}");

    /// <summary>Moves an interface into a table (VRF); it may have no addresses then (as VPP requires): add them after.</summary>
    public void SetInterfaceTable(string name, int id)
    {
        lock (_api)
        {
            var itf = Interface(name);
            var table = Table(id);
            if (itf.Addresses.Length > 0 || itf.Addresses6.Any(a => !Ip6.IsLinkLocal(a.Address)))
                throw new DataplaneException($"{name} has addresses: remove them before moving it to table {id}");
            foreach (var route in _tables.Values.SelectMany(t => t.Routes))
                if (route.Paths.Any(p => p.Interface == itf.Index))
                    throw new DataplaneException($"route {route.Key} goes out of {name}: remove it before moving {name} to table {id}");
            itf.Table = table;
        }
    }

    public NeighborTable Neighbors { get; } = new();

    public DpInterface Interface(string name) =>
        Interfaces.FirstOrDefault(i => i.Name == name) ?? throw new DataplaneException($"no interface \"{name}\"");

    /// <summary>Creates an interface (admin down, no addresses) on a port; names are unique.</summary>
    public DpInterface CreateInterface(string name, IPacketPort port, ulong mac, int mtu = 1500)
    {
        lock (_api)
        {
            CheckMac(mac);
            return AddInterface(name, port, mac, mtu, null);
        }
    }

    private DpInterface AddInterface(string name, IPacketPort port, ulong mac, int mtu, Tunnel? tunnel)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64) throw new DataplaneException("an interface name has 1 to 64 characters");
        if (Interfaces.Any(i => i.Name == name)) throw new DataplaneException($"interface \"{name}\" exists");
        CheckMtu(mtu);
        var all = InterfaceArray;
        var index = Array.IndexOf(all, null);
        if (index < 0) index = all.Length;
        var itf = new DpInterface(index, name, port, mac, mtu, Workers.Count)
        {
            // A tunnel has no MAC: no link-local address from one either (it needs none to forward).
            Addresses6 = tunnel is null ? [new Ip6Prefix(Ip6.LinkLocal(mac), 64)] : [],
            RxWorker = index % Workers.Count,
            Table = _tables[0],
            Tunnel = tunnel,
        };
        var next = new DpInterface?[Math.Max(all.Length, index + 1)];
        all.CopyTo(next, 0);
        next[index] = itf;
        InterfaceArray = next;
        return itf;
    }

    /// <summary>Tunnel interfaces by what identifies their packets on arrival (replaced as a whole on change).</summary>
    internal IReadOnlyDictionary<Nodes.TunnelEndpoints, int> TunnelsByEndpoints { get; private set; } = new Dictionary<Nodes.TunnelEndpoints, int>();

    /// <summary>
    /// Creates a tunnel interface (admin down, no addresses): GRE or IP-in-IP from <paramref name="source"/> to
    /// <paramref name="destination"/>, both IPv4 or both IPv6 (given as text), routed in table
    /// <paramref name="underlayTable"/>; the far end's packets are taken when they arrive at the source address.
    /// The MTU defaults to 1500 less the encapsulation.
    /// </summary>
    public DpInterface CreateTunnel(string name, TunnelKind kind, string source, string destination, int underlayTable = 0, uint? key = null, int? mtu = null)
    {
        lock (_api)
        {
            if (!System.Net.IPAddress.TryParse(source, out var s) || !System.Net.IPAddress.TryParse(destination, out var d) || s.AddressFamily != d.AddressFamily)
                throw new DataplaneException($"tunnel endpoints {source} and {destination} are not two IPv4 or two IPv6 addresses");
            var outer6 = s.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
            var (src, dst) = outer6 ? (Ip6.Parse(source), Ip6.Parse(destination)) : ((UInt128)Ip4.Parse(source), (UInt128)Ip4.Parse(destination));
            if (src == dst) throw new DataplaneException("a tunnel's endpoints differ");
            if (outer6 ? Ip6.IsMulticast(src) || Ip6.IsMulticast(dst) || src == UInt128.Zero || dst == UInt128.Zero
                       : src == 0 || dst == 0 || (uint)src >> 28 >= 0xe || (uint)dst >> 28 >= 0xe)
                throw new DataplaneException($"tunnel endpoints {source} and {destination} are not both unicast");
            if (key is not null && kind != TunnelKind.Gre) throw new DataplaneException("only GRE tunnels have a key");
            var table = Table(underlayTable);
            var tunnel = new Tunnel(kind, outer6, src, dst, underlayTable, key) { UnderlaySlot = table.Slot };
            var endpoints = new Nodes.TunnelEndpoints(kind, outer6, src, dst, underlayTable, key);
            if (TunnelsByEndpoints.TryGetValue(endpoints, out var other))
                throw new DataplaneException($"tunnel {InterfaceArray[other]!.Name} has the same endpoints{(key is null ? "" : " and key")}");
            var itf = AddInterface(name, new TunnelPort(), 0, mtu ?? 1500 - tunnel.Overhead, tunnel);
            TunnelsByEndpoints = new Dictionary<Nodes.TunnelEndpoints, int>(TunnelsByEndpoints) { [endpoints] = itf.Index };
            return itf;
        }
    }

    /// <summary>Deletes an interface with its addresses, the routes through it and its neighbors.</summary>
    public void DeleteInterface(string name)
    {
        lock (_api)
        {
            var itf = Interface(name);
            if (itf.NatRole != NatRole.None) throw new DataplaneException($"{name} is a NAT44 {itf.NatRole.ToString().ToLowerInvariant()} interface: take it out of NAT44 first");
            itf.AdminUp = false;
            foreach (var table in _tables.Values)
            {
                foreach (var r in table.Routes.Where(r => r.Kind is RouteKind.Local or RouteKind.Connected && r.Interface == itf.Index).ToList())
                    table.Remove(r.Key);
                foreach (var r in table.Routes.Where(r => r.Paths.Any(p => p.Interface == itf.Index)).ToList())
                {
                    var rest = r.Paths.Where(p => p.Interface != itf.Index).ToArray();
                    if (rest.Length == 0) table.Remove(r.Key);
                    else table.Set(r.Key, r.Kind, -1, rest);
                }
            }
            Neighbors.RemoveInterface(itf.Index);
            if (itf.Tunnel is not null)
                TunnelsByEndpoints = TunnelsByEndpoints.Where(t => t.Value != itf.Index).ToDictionary(t => t.Key, t => t.Value);
            var next = (DpInterface?[])InterfaceArray.Clone();
            next[itf.Index] = null;
            InterfaceArray = next;
            WaitForWorkers();
            itf.Port.Dispose();
            itf.PuntPort?.Dispose();
        }
    }

    public void SetAdminUp(string name, bool up)
    {
        lock (_api) Interface(name).AdminUp = up;
    }

    /// <summary>
    /// Gives the interface a host-stack side (a <see cref="TapPort"/>): unserved local traffic goes there and what
    /// the host sends on it leaves by the interface. Null removes it. The port is the dataplane's afterwards.
    /// </summary>
    public void SetPunt(string name, IPacketPort? port)
    {
        lock (_api)
        {
            var itf = Interface(name);
            var old = itf.PuntPort;
            itf.PuntPort = port;
            if (old is not null)
            {
                WaitForWorkers();
                old.Dispose();
            }
        }
    }

    public void SetMtu(string name, int mtu)
    {
        lock (_api)
        {
            CheckMtu(mtu);
            Interface(name).Mtu = mtu;
        }
    }

    public void SetMac(string name, ulong mac)
    {
        lock (_api)
        {
            CheckMac(mac);
            var itf = Interface(name);
            if (itf.Tunnel is not null) throw new DataplaneException($"{name} is a tunnel: it has no MAC");
            itf.Mac = mac;
        }
    }

    /// <summary>Adds an IPv4 address: a local route for it and a connected route for its subnet (/31 and /32 included), in the interface's table.</summary>
    public void AddAddress(string name, uint address, int length)
    {
        lock (_api)
        {
            var itf = Interface(name);
            if (length is < 1 or > 32) throw new DataplaneException($"prefix length {length} is not between 1 and 32");
            if (address == 0 || address >> 28 >= 0xe) throw new DataplaneException($"{Ip4.Format(address)} is not a unicast address");
            var prefix = new Ip4Prefix(address, length);
            if (length < 31 && (address == prefix.Network || address == (prefix.Network | ~Ip4Fib.Mask(length))))
                throw new DataplaneException($"{prefix} is the network or broadcast address of its subnet");
            foreach (var other in Interfaces.Where(i => i.Table == itf.Table))
                foreach (var a in other.Addresses)
                {
                    if (a.Address == address) throw new DataplaneException($"{Ip4.Format(address)} is already on {other.Name}");
                    if (other != itf && a.Network == prefix.Network && a.Length == length)
                        throw new DataplaneException($"subnet {Ip4.Format(prefix.Network)}/{length} is already on {other.Name}");
                }
            itf.Addresses = [.. itf.Addresses, prefix];
            itf.Table.Set(new RouteKey(false, address, 32), RouteKind.Local, itf.Index, []);
            if (length < 32 && !itf.Table.TryGet(new RouteKey(false, prefix.Network, length), out _))
                itf.Table.Set(new RouteKey(false, prefix.Network, length), RouteKind.Connected, itf.Index, []);
            OutsideAddressesChanged(itf);
        }
    }

    public void RemoveAddress(string name, uint address, int length)
    {
        lock (_api)
        {
            var itf = Interface(name);
            var prefix = new Ip4Prefix(address, length);
            if (!itf.Addresses.Contains(prefix)) throw new DataplaneException($"{prefix} is not on {name}");
            itf.Addresses = [.. itf.Addresses.Where(a => a != prefix)];
            itf.Table.Remove(new RouteKey(false, address, 32));
            if (length < 32 && !itf.Addresses.Any(a => a.Network == prefix.Network && a.Length == length))
                itf.Table.Remove(new RouteKey(false, prefix.Network, length));
            OutsideAddressesChanged(itf);
        }
    }

    /// <summary>Adds a global IPv6 address: a local route for it and a connected route for its prefix, in the interface's table.</summary>
    public void AddAddress6(string name, UInt128 address, int length)
    {
        lock (_api)
        {
            var itf = Interface(name);
            if (length is < 1 or > 128) throw new DataplaneException($"prefix length {length} is not between 1 and 128");
            if (address == UInt128.Zero || Ip6.IsMulticast(address) || Ip6.IsLinkLocal(address) || address == UInt128.One)
                throw new DataplaneException($"{Ip6.Format(address)} is not a global unicast address");
            var prefix = new Ip6Prefix(address, length);
            foreach (var other in Interfaces.Where(i => i.Table == itf.Table))
                foreach (var a in other.Addresses6)
                {
                    if (a.Address == address) throw new DataplaneException($"{Ip6.Format(address)} is already on {other.Name}");
                    if (other != itf && !Ip6.IsLinkLocal(a.Address) && a.Network == prefix.Network && a.Length == length)
                        throw new DataplaneException($"prefix {Ip6.Format(prefix.Network)}/{length} is already on {other.Name}");
                }
            itf.Addresses6 = [.. itf.Addresses6, prefix];
            itf.Table.Set(new RouteKey(true, address, 128), RouteKind.Local, itf.Index, []);
            if (length < 128 && !itf.Table.TryGet(new RouteKey(true, prefix.Network, length), out _))
                itf.Table.Set(new RouteKey(true, prefix.Network, length), RouteKind.Connected, itf.Index, []);
        }
    }

    /// <summary>
    /// Adds (or replaces) an IPv4 route in a table: a drop route (blackhole, unreachable, prohibit) or one through
    /// a next hop, on the interface named or else resolved through the table (recursively).
    /// </summary>
    public void AddRoute(uint prefix, int length, RouteKind kind, uint nextHop = 0, string? interfaceName = null, int table = 0)
    {
        if (kind == RouteKind.NextHop) AddRoute(prefix, length, new[] { new Ip4NextHop(nextHop, interfaceName) }, table);
        else SetRoute(new RouteKey(false, prefix, length), kind, [], table);
    }

    /// <summary>Adds (or replaces) an IPv4 route through one or more next hops (ECMP; weighted when weights differ).</summary>
    public void AddRoute(uint prefix, int length, IReadOnlyList<Ip4NextHop> nextHops, int table = 0)
    {
        lock (_api)
        {
            if (nextHops.Count is 0 or > PathSets<Adjacency>.MaxBuckets) throw new DataplaneException($"a route has 1 to {PathSets<Adjacency>.MaxBuckets} next hops");
            var paths = new RoutePath[nextHops.Count];
            for (var i = 0; i < paths.Length; i++)
            {
                var (address, interfaceName, weight) = nextHops[i];
                if (address == 0 || address >> 28 >= 0xe) throw new DataplaneException($"next hop {Ip4.Format(address)} is not a unicast address");
                CheckWeight(weight);
                var itf = -1;
                if (interfaceName is not null)
                {
                    var i4 = Interface(interfaceName);
                    if (!i4.Addresses.Any(a => ((a.Address ^ address) & Ip4Fib.Mask(a.Length)) == 0))
                        throw new DataplaneException($"next hop {Ip4.Format(address)} is not on a subnet of {interfaceName}");
                    if (i4.Table != Table(table)) throw new DataplaneException($"{interfaceName} is not in table {table}");
                    itf = i4.Index;
                }
                paths[i] = new RoutePath(address, itf, weight);
            }
            SetRoute(new RouteKey(false, prefix, length), RouteKind.NextHop, paths, table);
        }
    }

    /// <summary>Adds (or replaces) an IPv6 route: a drop route, or through a next hop (link-local ones need their interface).</summary>
    public void AddRoute6(UInt128 prefix, int length, RouteKind kind, UInt128 nextHop = default, string? interfaceName = null, int table = 0)
    {
        if (kind == RouteKind.NextHop) AddRoute6(prefix, length, [new Ip6NextHop(nextHop, interfaceName)], table);
        else SetRoute(new RouteKey(true, prefix, length), kind, [], table);
    }

    /// <summary>Adds (or replaces) an IPv6 route through one or more next hops (ECMP; weighted when weights differ).</summary>
    public void AddRoute6(UInt128 prefix, int length, IReadOnlyList<Ip6NextHop> nextHops, int table = 0)
    {
        lock (_api)
        {
            if (nextHops.Count is 0 or > PathSets<Adjacency>.MaxBuckets) throw new DataplaneException($"a route has 1 to {PathSets<Adjacency>.MaxBuckets} next hops");
            var paths = new RoutePath[nextHops.Count];
            for (var i = 0; i < paths.Length; i++)
            {
                var (address, interfaceName, weight) = nextHops[i];
                if (Ip6.IsMulticast(address) || address == UInt128.Zero) throw new DataplaneException($"{Ip6.Format(address)} is not a unicast next hop");
                CheckWeight(weight);
                if (interfaceName is null && Ip6.IsLinkLocal(address)) throw new DataplaneException($"link-local next hop {Ip6.Format(address)} needs its interface");
                var itf = -1;
                if (interfaceName is not null)
                {
                    var i6 = Interface(interfaceName);
                    if (i6.Table != Table(table)) throw new DataplaneException($"{interfaceName} is not in table {table}");
                    itf = i6.Index;
                }
                paths[i] = new RoutePath(address, itf, weight);
            }
            SetRoute(new RouteKey(true, prefix, length), RouteKind.NextHop, paths, table);
        }
    }

    private static void CheckWeight(int weight)
    {
        if (weight is < 1 or > 255) throw new DataplaneException($"weight {weight} is not between 1 and 255");
    }

    private void SetRoute(RouteKey key, RouteKind kind, RoutePath[] paths, int tableId)
    {
        lock (_api)
        {
            if (kind is not (RouteKind.NextHop or RouteKind.Blackhole or RouteKind.Unreachable or RouteKind.Prohibit))
                throw new DataplaneException($"routes of kind {kind} come from interface addresses");
            CheckPrefix(key);
            var table = Table(tableId);
            if (table.TryGet(key, out var existing) && existing.Kind is RouteKind.Local or RouteKind.Connected)
                throw new DataplaneException($"{key} is an interface's own route");
            table.Set(key, kind, -1, paths);
        }
    }

    private static void CheckPrefix(RouteKey key)
    {
        var bits = key.V6 ? 128 : 32;
        if (key.Length < 0 || key.Length > bits) throw new DataplaneException($"prefix length {key.Length} is not between 0 and {bits}");
        if (key.V6 ? (key.Prefix & ~Ip6.Mask(key.Length)) != UInt128.Zero : key.Prefix > uint.MaxValue || ((uint)key.Prefix & ~Ip4Fib.Mask(key.Length)) != 0)
            throw new DataplaneException($"{key} has host bits set");
    }

    public void DeleteRoute(uint prefix, int length, int table = 0) => DeleteRoute(new RouteKey(false, prefix, length), table);

    public void DeleteRoute6(UInt128 prefix, int length, int table = 0) => DeleteRoute(new RouteKey(true, prefix, length), table);

    private void DeleteRoute(RouteKey key, int tableId)
    {
        lock (_api)
        {
            CheckPrefix(key);
            var table = Table(tableId);
            if (table.TryGet(key, out var existing) && existing.Kind is RouteKind.Local or RouteKind.Connected)
                throw new DataplaneException($"{key} is an interface's own route");
            if (!table.Remove(key)) throw new DataplaneException($"no route {key} in table {tableId}");
        }
    }

    public void AddNeighbor(string name, uint address, ulong mac)
    {
        lock (_api)
        {
            CheckMac(mac);
            Neighbors.SetStatic(Interface(name).Index, address, mac);
        }
    }

    public void AddNeighbor6(string name, UInt128 address, ulong mac)
    {
        lock (_api)
        {
            CheckMac(mac);
            Neighbors.SetStatic(Interface(name).Index, address, mac);
        }
    }

    private readonly Dictionary<string, Acl.AclList> _acls = [];

    public IReadOnlyDictionary<string, Acl.AclList> Acls => _acls;

    /// <summary>Creates an ACL, or replaces its rules (interfaces it is attached to get the new rules at once).</summary>
    public Acl.AclList SetAcl(string name, IReadOnlyList<Acl.AclRule> rules)
    {
        lock (_api)
        {
            if (string.IsNullOrEmpty(name) || name.Length > 64) throw new DataplaneException("an ACL name has 1 to 64 characters");
            for (var i = 0; i < rules.Count; i++) CheckRule(rules[i], $"ACL \"{name}\" rule {i + 1}");
            foreach (var itf in Interfaces.Where(i => i.OutputAclNames.Contains(name))) CheckOutputAcl(name, rules, itf.Name);
            var list = new Acl.AclList(name, [.. rules]);
            _acls[name] = list;
            foreach (var itf in Interfaces.Where(i => i.InputAclNames.Contains(name) || i.OutputAclNames.Contains(name)))
                Recompile(itf);
            return list;
        }
    }

    public void DeleteAcl(string name)
    {
        lock (_api)
        {
            if (!_acls.ContainsKey(name)) throw new DataplaneException($"no ACL \"{name}\"");
            if (Interfaces.FirstOrDefault(i => i.InputAclNames.Contains(name) || i.OutputAclNames.Contains(name)) is { } user)
                throw new DataplaneException($"ACL \"{name}\" is attached to {user.Name}");
            _acls.Remove(name);
        }
    }

    /// <summary>Attaches ACLs to an interface in order (first match across them wins; none matching: deny). Empty lists detach.</summary>
    public void AttachAcls(string interfaceName, IReadOnlyList<string> input, IReadOnlyList<string> output)
    {
        lock (_api)
        {
            var itf = Interface(interfaceName);
            foreach (var n in input.Concat(output))
                if (!_acls.ContainsKey(n)) throw new DataplaneException($"no ACL \"{n}\"");
            foreach (var n in output) CheckOutputAcl(n, _acls[n].Rules, itf.Name);
            itf.InputAclNames = [.. input];
            itf.OutputAclNames = [.. output];
            Recompile(itf);
        }
    }

    /// <summary>
    /// Makes the pods' interfaces enforce these network policies (<see cref="Policy.NetworkPolicies"/>): the ACLs they
    /// need are made or kept, each pod interface gets its policy ACLs as its only ACLs (none where no policy isolates
    /// it), and policy ACLs no longer used go. Checked whole before anything changes.
    /// </summary>
    /// <remarks>
    /// <paramref name="uplinks"/>: interfaces traffic from other nodes comes in by (tunnels, the uplink); they get the
    /// global table (<see cref="Policy.NetworkPolicies.Global"/>) as their only input ACL.
    /// </remarks>
    public void ApplyNetworkPolicies(IReadOnlyList<Policy.Pod> pods, IReadOnlyList<Policy.NetworkPolicy> policies, IReadOnlyList<string>? uplinks = null)
    {
        lock (_api)
        {
            var (compiled, attachments) = Policy.NetworkPolicies.Compile(pods, policies);
            var acls = compiled.ToDictionary();
            string? global = null;
            if (uplinks is { Count: > 0 })
            {
                var rules = Policy.NetworkPolicies.Global(pods, policies);
                global = Policy.NetworkPolicies.GlobalName(rules);
                acls[global] = rules;
                foreach (var u in uplinks)
                    if (attachments.ContainsKey(u)) throw new DataplaneException($"{u} is a pod's interface and an uplink");
            }
            foreach (var itf in attachments.Keys.Concat(uplinks ?? [])) Interface(itf); // each pod's interface and uplink exists
            foreach (var (name, rules) in acls)
                for (var i = 0; i < rules.Count; i++) CheckRule(rules[i], $"ACL \"{name}\" rule {i + 1}");
            foreach (var (name, rules) in acls)
                if (!_acls.TryGetValue(name, out var have) || !have.Rules.SequenceEqual(rules)) SetAcl(name, rules);
            foreach (var (itf, (input, output)) in attachments)
                AttachAcls(itf, input is null ? [] : [input], output is null ? [] : [output]);
            foreach (var u in uplinks ?? []) AttachAcls(u, [global!], Interface(u).OutputAclNames);
            // An interface no longer an uplink loses the global table.
            var globalPrefix = Policy.NetworkPolicies.AclPrefix + "global-";
            foreach (var itf in Interfaces.Where(i => !(uplinks?.Contains(i.Name) ?? false) && i.InputAclNames.Any(n => n.StartsWith(globalPrefix, StringComparison.Ordinal))).ToList())
                AttachAcls(itf.Name, [.. itf.InputAclNames.Where(n => !n.StartsWith(globalPrefix, StringComparison.Ordinal))], itf.OutputAclNames);
            foreach (var name in _acls.Keys.Where(n => n.StartsWith(Policy.NetworkPolicies.AclPrefix, StringComparison.Ordinal) && !acls.ContainsKey(n)).ToList())
                if (!Interfaces.Any(i => i.InputAclNames.Contains(name) || i.OutputAclNames.Contains(name))) _acls.Remove(name);
        }
    }

    /// <summary>Sets how learned neighbors age (confirmation time, probe interval and count); static ones never do.</summary>
    public void SetNeighborAging(NeighborAging aging)
    {
        lock (_api)
        {
            if (aging.Reachable < TimeSpan.FromMilliseconds(10) || aging.ProbeInterval < TimeSpan.FromMilliseconds(10))
                throw new DataplaneException("neighbor reachable time and probe interval are at least 10 ms");
            if (aging.Probes is < 0 or > 100) throw new DataplaneException($"{aging.Probes} probes: 0 to 100");
            Neighbors.Aging = aging;
        }
    }

    /// <summary>Sets the idle timeouts of permit-and-reflect sessions (each 1 ms to 24 days); open sessions use them from now on.</summary>
    public void SetSessionTimeouts(Acl.SessionTimeouts timeouts)
    {
        lock (_api)
        {
            timeouts.Check("session");
            foreach (var w in Workers) w.Sessions.Timeouts = timeouts;
        }
    }

    private void Recompile(DpInterface itf)
    {
        itf.InputAcl = itf.InputAclNames.Length == 0 ? null : new Acl.AclClassifier([.. itf.InputAclNames.Select(n => _acls[n])]);
        itf.OutputAcl = itf.OutputAclNames.Length == 0 ? null : new Acl.AclClassifier([.. itf.OutputAclNames.Select(n => _acls[n])]);
    }

    private static void CheckRule(Acl.AclRule r, string where)
    {
        if (r.Family is not (0 or 4 or 6)) throw new DataplaneException($"{where}: family {r.Family}");
        var bits = r.Family == 4 ? 32 : 128;
        if (r.Family == 0 && (r.SourceLength != 0 || r.DestinationLength != 0)) throw new DataplaneException($"{where}: addresses need a family");
        if (r.SourceLength < 0 || r.SourceLength > bits || r.DestinationLength < 0 || r.DestinationLength > bits)
            throw new DataplaneException($"{where}: prefix length outside 0..{bits}");
        if (r.Family == 4 && ((r.Source >> 32) != 0xffff || (r.Destination >> 32) != 0xffff))
            throw new DataplaneException($"{where}: IPv4 addresses are given IPv4-mapped");
        var offset = r.Family == 4 ? 96 : 0;
        if (r.Family != 0 && ((r.Source & ~Ip6.Mask(r.SourceLength + offset)) != UInt128.Zero || (r.Destination & ~Ip6.Mask(r.DestinationLength + offset)) != UInt128.Zero))
            throw new DataplaneException($"{where}: a prefix has host bits set");
        if (r.SourcePortLow > r.SourcePortHigh || r.DestinationPortLow > r.DestinationPortHigh) throw new DataplaneException($"{where}: a port range ends before it starts");
        if (r.HasPorts && r.Protocol is not (Ip4.ProtoTcp or Ip4.ProtoUdp)) throw new DataplaneException($"{where}: ports need protocol TCP or UDP");
        if ((r.TcpFlagsMask != 0 || (r.TcpFlagsValue & ~r.TcpFlagsMask) != 0) && r.Protocol != Ip4.ProtoTcp) throw new DataplaneException($"{where}: TCP flags need protocol TCP");
        var v6 = r.Family == 6 || r.EtherType == Ethernet.TypeIp6;
        if ((r.IcmpType.HasValue || r.IcmpCode.HasValue) && r.Protocol != (v6 ? Ip6.ProtoIcmp6 : Ip4.ProtoIcmp))
            throw new DataplaneException($"{where}: ICMP fields need protocol {(v6 ? "ICMPv6 (58)" : "ICMP (1)")}");
        if (r.Dscp > 63) throw new DataplaneException($"{where}: DSCP {r.Dscp} is not between 0 and 63");
        // Ethernet fields (RFC 8519 eth): MACs compared under their masks, a known ethertype for IP fields.
        foreach (var (side, mac, mask) in new[] { ("source", r.SourceMac, r.SourceMacMask), ("destination", r.DestinationMac, r.DestinationMacMask) })
        {
            if (mac > Ethernet.Broadcast || mask > Ethernet.Broadcast) throw new DataplaneException($"{where}: a {side} MAC address or mask has more than 48 bits");
            if ((mac & ~mask) != 0)
                throw new DataplaneException($"{where}: {side} MAC {Ethernet.Format(mac)} has bits outside its mask {Ethernet.Format(mask)}");
        }
        if (r.EtherType < 0x0600) throw new DataplaneException($"{where}: ethertype 0x{r.EtherType:x4} is below 0x0600 (an 802.3 length)");
        if (r.EtherType == Ethernet.TypeIp4 && r.Family == 6 || r.EtherType == Ethernet.TypeIp6 && r.Family == 4)
            throw new DataplaneException($"{where}: ethertype 0x{r.EtherType:x4} contradicts family {r.Family}");
        if (r.EtherType is { } type && type is not (Ethernet.TypeIp4 or Ethernet.TypeIp6) && r.HasL3)
            throw new DataplaneException($"{where}: IP fields need ethertype IPv4 (0x0800) or IPv6 (0x86dd), not 0x{type:x4}");
    }

    // Output ACLs run between lookup and rewrite: the frame's MACs are not written yet (its neighbor may still be
    // unresolved, the packet held) and its source would only ever be the interface's own MAC, so a MAC rule could
    // only match wrongly. Refused rather than given a meaning that differs from the wire; ethertype rules are fine
    // (the packet's IP version decides it).
    private static void CheckOutputAcl(string name, IReadOnlyList<Acl.AclRule> rules, string interfaceName)
    {
        for (var i = 0; i < rules.Count; i++)
            if (rules[i].HasMac)
                throw new DataplaneException($"ACL \"{name}\" rule {i + 1} matches MAC addresses, which output ACLs cannot ({interfaceName} has it for output): MACs are matched on input only");
    }

    private static void CheckMac(ulong mac)
    {
        if (mac == 0 || mac > Ethernet.Broadcast || Ethernet.IsGroup(mac)) throw new DataplaneException($"{Ethernet.Format(mac & Ethernet.Broadcast)} is not a unicast MAC address");
    }

    private static void CheckMtu(int mtu)
    {
        if (mtu is < MinMtu or > MaxMtu) throw new DataplaneException($"MTU {mtu} is not between {MinMtu} and {MaxMtu}");
    }

    /// <summary>Packets dropped by every worker, by reason.</summary>
    public long DropCount(DropReason reason) => Workers.Sum(w => w.DropCount(reason));

    /// <summary>Permit-and-reflect sessions open on every worker.</summary>
    public int SessionCount => Workers.Sum(w => w.Sessions.Count);

    /// <summary>A node's counters summed over the workers (VPP's <c>show runtime</c>): how often it ran, the packets it saw, the packets it made.</summary>
    public NodeCounters Node(string name)
    {
        if (!Workers[0].Nodes.Any(n => n.Name == name)) throw new DataplaneException($"no node \"{name}\"");
        var nodes = Workers.Select(w => w.Nodes.First(n => n.Name == name)).ToList();
        return new NodeCounters(name, nodes.Sum(n => n.Calls), nodes.Sum(n => n.Packets), nodes.Sum(n => n.Made));
    }

    /// <summary>Every node's counters summed over the workers, in graph order.</summary>
    public IReadOnlyList<NodeCounters> Runtime() => [.. Workers[0].Nodes.Select(n => Node(n.Name))];

    /// <summary>
    /// Steps every worker once on the caller's thread, and again while packets handed between them wait
    /// (tests; the worker threads must not be running). Returns the number of frames taken in.
    /// </summary>
    public int PollOnce()
    {
        var total = 0;
        var again = true;
        while (again)
        {
            again = false;
            for (var i = 0; i < Workers.Count; i++) total += Workers[i].PollOnce();
            for (var i = 0; i < Workers.Count; i++) again |= Workers[i].HandoffPending;
        }
        return total;
    }

    /// <summary>
    /// Runs every worker on its own thread until <see cref="Dispose"/>; a worker sleeps briefly when no frame
    /// comes. Throws (with no worker left running) when a worker cannot be pinned to its core.
    /// </summary>
    public void Start()
    {
        lock (_api)
        {
            if (_threads.Count > 0) return;
            var errors = new string?[Workers.Count];
            using var started = new CountdownEvent(Workers.Count);
            foreach (var w in Workers)
            {
                var core = _cores is null ? -1 : _cores[w.Index % _cores.Count];
                var thread = new Thread(() =>
                {
                    errors[w.Index] = core >= 0 ? CpuAffinity.PinCurrentThread(core) : null;
                    var failed = errors[w.Index] is not null;
                    started.Signal();
                    if (!failed) Run(w);
                }) { IsBackground = true, Name = $"dataplane-worker-{w.Index}" };
                _threads.Add(thread);
                thread.Start();
            }
            started.Wait();
            if (errors.FirstOrDefault(e => e is not null) is { } error)
            {
                _stopping = true;
                foreach (var t in _threads) t.Join();
                _threads.Clear();
                _stopping = false;
                throw new DataplaneException(error);
            }
        }
    }

    /// <summary>
    /// Waits until every running worker has finished the round it was in, so that nothing still uses what the
    /// control plane just unpublished (a port about to be closed). Stepped workers (<see cref="PollOnce"/>) are idle.
    /// </summary>
    private void WaitForWorkers()
    {
        if (_threads.Count == 0 || _stopping) return;
        var seen = Workers.Select(w => w.Rounds).ToArray();
        var spin = new SpinWait();
        for (var i = 0; i < Workers.Count; i++)
            while (Workers[i].Rounds <= seen[i] && _threads[i].IsAlive) spin.SpinOnce();
    }

    // A worker that finds nothing keeps polling at full speed for a short while (traffic comes in bursts), then
    // yields its core to runnable threads between polls, and only after a longer quiet spell sleeps a millisecond
    // at a time (a sleeping worker lets a port's ring fill for that long: at 1 Mpps, 1,000 frames).
    private const long SpinTicks = TimeSpan.TicksPerMillisecond / 20, YieldTicks = TimeSpan.TicksPerMillisecond * 20;

    private void Run(Worker w)
    {
        var idleSince = 0L;
        while (!_stopping)
        {
            if (w.PollOnce() > 0)
            {
                idleSince = 0;
                continue;
            }
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (idleSince == 0) idleSince = now;
            var idle = System.Diagnostics.Stopwatch.GetElapsedTime(idleSince, now).Ticks;
            if (idle < SpinTicks) Thread.SpinWait(20);
            else if (idle < YieldTicks) Thread.Yield();
            else Thread.Sleep(1);
        }
    }

    // Packet trace (VPP's trace add / show trace): the next N packets received, on any worker.
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _trace = new();
    private int _traceRemaining;
    private int _traceNext;

    /// <summary>Records the path of the next <paramref name="count"/> received packets (VPP's <c>trace add</c>).</summary>
    public void TraceNext(int count) => Interlocked.Exchange(ref _traceRemaining, count);

    /// <summary>The trace recorded so far, one line per packet and node (VPP's <c>show trace</c>).</summary>
    public IReadOnlyList<string> TraceLines => [.. _trace];

    /// <summary>Forgets the trace recorded so far (VPP's <c>clear trace</c>).</summary>
    public void ClearTrace() => _trace.Clear();

    internal bool TraceWanted => Volatile.Read(ref _traceRemaining) > 0;

    internal void TraceStart(int packet, PacketPool pool, DpInterface itf, int worker)
    {
        if (Interlocked.Decrement(ref _traceRemaining) < 0) return;
        ref var m = ref pool.Meta[packet];
        m.Traced = true;
        m.TraceId = Interlocked.Increment(ref _traceNext);
        TraceLine(m.TraceId, worker, "device-input", $"{itf.Name} {m.Length} bytes" + (Workers.Count > 1 ? $" (worker {worker})" : ""));
    }

    internal void TraceLine(int id, int worker, string node, string what)
    {
        if (_trace.Count < 10_000) _trace.Enqueue($"packet {id}: {node}: {what}");
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var t in _threads) t.Join();
        foreach (var i in Interfaces)
        {
            i.Port.Dispose();
            i.PuntPort?.Dispose();
        }
    }
}
