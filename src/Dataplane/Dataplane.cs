using Mgmt.Dataplane.Fib;
using Mgmt.Dataplane.Interfaces;
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
public sealed class Dataplane : IDisposable
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

    public Ip4Fib Fib { get; } = new();

    public Ip6Fib Fib6 { get; } = new();

    public NeighborTable Neighbors { get; } = new();

    public DpInterface Interface(string name) =>
        Interfaces.FirstOrDefault(i => i.Name == name) ?? throw new DataplaneException($"no interface \"{name}\"");

    /// <summary>Creates an interface (admin down, no addresses) on a port; names are unique.</summary>
    public DpInterface CreateInterface(string name, IPacketPort port, ulong mac, int mtu = 1500)
    {
        lock (_api)
        {
            if (string.IsNullOrEmpty(name) || name.Length > 64) throw new DataplaneException("an interface name has 1 to 64 characters");
            if (Interfaces.Any(i => i.Name == name)) throw new DataplaneException($"interface \"{name}\" exists");
            CheckMac(mac);
            CheckMtu(mtu);
            var all = InterfaceArray;
            var index = Array.IndexOf(all, null);
            if (index < 0) index = all.Length;
            var itf = new DpInterface(index, name, port, mac, mtu, Workers.Count)
            {
                Addresses6 = [new Ip6Prefix(Ip6.LinkLocal(mac), 64)],
                RxWorker = index % Workers.Count,
            };
            var next = new DpInterface?[Math.Max(all.Length, index + 1)];
            all.CopyTo(next, 0);
            next[index] = itf;
            InterfaceArray = next;
            return itf;
        }
    }

    /// <summary>Deletes an interface with its addresses, the routes through it and its neighbors.</summary>
    public void DeleteInterface(string name)
    {
        lock (_api)
        {
            var itf = Interface(name);
            itf.AdminUp = false;
            foreach (var r in Fib.Routes.Where(r => r.Adjacency.Interface == itf.Index && r.Adjacency.Kind is RouteKind.Connected or RouteKind.NextHop or RouteKind.Local).ToList())
                Fib.Remove(r.Prefix, r.Length);
            foreach (var r in Fib6.Routes.Where(r => r.Adjacency.Interface == itf.Index && r.Adjacency.Kind is RouteKind.Connected or RouteKind.NextHop or RouteKind.Local).ToList())
                Fib6.Remove(r.Prefix, r.Length);
            Neighbors.RemoveInterface(itf.Index);
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
            Interface(name).Mac = mac;
        }
    }

    /// <summary>Adds an IPv4 address: a local route for it and a connected route for its subnet (/31 and /32 included).</summary>
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
            foreach (var other in Interfaces)
                foreach (var a in other.Addresses)
                {
                    if (a.Address == address) throw new DataplaneException($"{Ip4.Format(address)} is already on {other.Name}");
                    if (other != itf && a.Network == prefix.Network && a.Length == length)
                        throw new DataplaneException($"subnet {Ip4.Format(prefix.Network)}/{length} is already on {other.Name}");
                }
            itf.Addresses = [.. itf.Addresses, prefix];
            Fib.Add(new Ip4Route(address, 32, new Adjacency(RouteKind.Local, itf.Index, 0)));
            if (length < 32 && !Fib.TryGet(prefix.Network, length, out _))
                Fib.Add(new Ip4Route(prefix.Network, length, new Adjacency(RouteKind.Connected, itf.Index, 0)));
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
            Fib.Remove(address, 32);
            if (length < 32 && !itf.Addresses.Any(a => a.Network == prefix.Network && a.Length == length)) Fib.Remove(prefix.Network, length);
        }
    }

    /// <summary>Adds a global IPv6 address: a local route for it and a connected route for its prefix.</summary>
    public void AddAddress6(string name, UInt128 address, int length)
    {
        lock (_api)
        {
            var itf = Interface(name);
            if (length is < 1 or > 128) throw new DataplaneException($"prefix length {length} is not between 1 and 128");
            if (address == UInt128.Zero || Ip6.IsMulticast(address) || Ip6.IsLinkLocal(address) || address == UInt128.One)
                throw new DataplaneException($"{Ip6.Format(address)} is not a global unicast address");
            var prefix = new Ip6Prefix(address, length);
            foreach (var other in Interfaces)
                foreach (var a in other.Addresses6)
                {
                    if (a.Address == address) throw new DataplaneException($"{Ip6.Format(address)} is already on {other.Name}");
                    if (other != itf && !Ip6.IsLinkLocal(a.Address) && a.Network == prefix.Network && a.Length == length)
                        throw new DataplaneException($"prefix {Ip6.Format(prefix.Network)}/{length} is already on {other.Name}");
                }
            itf.Addresses6 = [.. itf.Addresses6, prefix];
            Fib6.Add(address, 128, new Ip6Adjacency(RouteKind.Local, itf.Index, UInt128.Zero));
            if (length < 128 && !Fib6.TryGet(prefix.Network, length, out _))
                Fib6.Add(prefix.Network, length, new Ip6Adjacency(RouteKind.Connected, itf.Index, UInt128.Zero));
        }
    }

    /// <summary>Adds (or replaces) an IPv6 route; a next hop is a link-local or on-link address of the interface given.</summary>
    public void AddRoute6(UInt128 prefix, int length, RouteKind kind, UInt128 nextHop = default, string? interfaceName = null)
    {
        lock (_api)
        {
            Ip6Adjacency adjacency;
            if (kind == RouteKind.NextHop)
            {
                if (interfaceName is null)
                {
                    var via = Fib6.Lookup(nextHop);
                    if (via.Kind != RouteKind.Connected) throw new DataplaneException($"next hop {Ip6.Format(nextHop)} is not on a connected prefix; name the interface");
                    adjacency = new Ip6Adjacency(RouteKind.NextHop, via.Interface, nextHop);
                }
                else adjacency = new Ip6Adjacency(RouteKind.NextHop, Interface(interfaceName).Index, nextHop);
                if (Ip6.IsMulticast(nextHop) || nextHop == UInt128.Zero) throw new DataplaneException($"{Ip6.Format(nextHop)} is not a unicast next hop");
            }
            else if (kind is RouteKind.Blackhole or RouteKind.Unreachable or RouteKind.Prohibit) adjacency = new Ip6Adjacency(kind, -1, UInt128.Zero);
            else throw new DataplaneException($"routes of kind {kind} come from interface addresses");
            if (Fib6.TryGet(prefix, length, out var existing) && existing.Kind is RouteKind.Local or RouteKind.Connected)
                throw new DataplaneException($"{Ip6.Format(prefix)}/{length} is an interface's own route");
            Fib6.Add(prefix, length, adjacency);
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

    /// <summary>
    /// Adds (or replaces) a route. A next hop must be on a connected subnet of its interface, or, without an
    /// interface (-1), is resolved through the connected route that covers it.
    /// </summary>
    public void AddRoute(uint prefix, int length, RouteKind kind, uint nextHop = 0, string? interfaceName = null)
    {
        lock (_api)
        {
            var adjacency = kind switch
            {
                RouteKind.NextHop => NextHopAdjacency(nextHop, interfaceName),
                RouteKind.Blackhole or RouteKind.Unreachable or RouteKind.Prohibit => new Adjacency(kind, -1, 0),
                _ => throw new DataplaneException($"routes of kind {kind} come from interface addresses"),
            };
            if (Fib.TryGet(prefix, length, out var existing) && existing.Kind is RouteKind.Local or RouteKind.Connected)
                throw new DataplaneException($"{Ip4.Format(prefix)}/{length} is an interface's own route");
            Fib.Add(new Ip4Route(prefix, length, adjacency));
        }
    }

    public void DeleteRoute(uint prefix, int length)
    {
        lock (_api)
        {
            if (Fib.TryGet(prefix, length, out var existing) && existing.Kind is RouteKind.Local or RouteKind.Connected)
                throw new DataplaneException($"{Ip4.Format(prefix)}/{length} is an interface's own route");
            if (!Fib.Remove(prefix, length)) throw new DataplaneException($"no route {Ip4.Format(prefix)}/{length}");
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

    private Adjacency NextHopAdjacency(uint nextHop, string? interfaceName)
    {
        if (interfaceName is not null)
        {
            var itf = Interface(interfaceName);
            if (!itf.Addresses.Any(a => ((a.Address ^ nextHop) & Ip4Fib.Mask(a.Length)) == 0))
                throw new DataplaneException($"next hop {Ip4.Format(nextHop)} is not on a subnet of {interfaceName}");
            return new Adjacency(RouteKind.NextHop, itf.Index, nextHop);
        }
        var via = Fib.Lookup(nextHop);
        if (via.Kind != RouteKind.Connected) throw new DataplaneException($"next hop {Ip4.Format(nextHop)} is not on a connected subnet");
        return new Adjacency(RouteKind.NextHop, via.Interface, nextHop);
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
            itf.InputAclNames = [.. input];
            itf.OutputAclNames = [.. output];
            Recompile(itf);
        }
    }

    /// <summary>Sets the idle timeouts of permit-and-reflect sessions (each at least 1 ms); open sessions use them from now on.</summary>
    public void SetSessionTimeouts(Acl.SessionTimeouts timeouts)
    {
        lock (_api)
        {
            if (new[] { timeouts.TcpEstablished, timeouts.TcpTransitory, timeouts.Udp, timeouts.Other }.Any(t => t < TimeSpan.FromMilliseconds(1)))
                throw new DataplaneException("session timeouts are at least 1 ms");
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
        var ports = r.SourcePortLow != 0 || r.SourcePortHigh != ushort.MaxValue || r.DestinationPortLow != 0 || r.DestinationPortHigh != ushort.MaxValue;
        if (ports && r.Protocol is not (Ip4.ProtoTcp or Ip4.ProtoUdp)) throw new DataplaneException($"{where}: ports need protocol TCP or UDP");
        if ((r.TcpFlagsMask != 0 || (r.TcpFlagsValue & ~r.TcpFlagsMask) != 0) && r.Protocol != Ip4.ProtoTcp) throw new DataplaneException($"{where}: TCP flags need protocol TCP");
        if ((r.IcmpType.HasValue || r.IcmpCode.HasValue) && r.Protocol != (r.Family == 6 ? Ip6.ProtoIcmp6 : Ip4.ProtoIcmp))
            throw new DataplaneException($"{where}: ICMP fields need protocol {(r.Family == 6 ? "ICMPv6 (58)" : "ICMP (1)")}");
        if (r.Dscp > 63) throw new DataplaneException($"{where}: DSCP {r.Dscp} is not between 0 and 63");
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

    /// <summary>
    /// Steps every worker once on the caller's thread, and again while packets handed between them wait
    /// (tests; the worker threads must not be running). Returns the number of frames taken in.
    /// </summary>
    public int PollOnce()
    {
        var total = 0;
        foreach (var w in Workers) total += w.PollOnce();
        while (Workers.Any(w => w.HandoffPending))
            foreach (var w in Workers) total += w.PollOnce();
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

    private void Run(Worker w)
    {
        var idle = 0;
        while (!_stopping)
        {
            if (w.PollOnce() > 0) idle = 0;
            else if (++idle > 64) Thread.Sleep(1);
            else Thread.SpinWait(50);
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
