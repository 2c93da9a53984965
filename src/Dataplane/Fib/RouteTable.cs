using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Fib;

/// <summary>
/// One way out of a route as configured: a next hop (IPv4 ones in the low 32 bits), the interface it is on or -1
/// to resolve it through the table (a recursive next hop), and its weight among the route's paths.
/// </summary>
public readonly record struct RoutePath(UInt128 NextHop, int Interface = -1, int Weight = 1);

/// <summary>A route's prefix in a table (IPv4 prefixes in the low 32 bits).</summary>
public readonly record struct RouteKey(bool V6, UInt128 Prefix, int Length)
{
    public override string ToString() => (V6 ? Ip6.Format(Prefix) : Ip4.Format((uint)Prefix)) + "/" + Length;

    /// <summary>Whether the prefix covers an address of its family.</summary>
    public bool Covers(bool v6, UInt128 address) =>
        v6 == V6 && (V6 ? (address & Ip6.Mask(Length)) == Prefix : ((uint)address & Ip4Fib.Mask(Length)) == (uint)Prefix);
}

/// <summary>A route as the table holds it: what was asked for, and whether (and through what) it is forwarding.</summary>
public readonly record struct RouteInfo(RouteKey Key, RouteKind Kind, int Interface, IReadOnlyList<RoutePath> Paths, bool Installed, IReadOnlyList<RouteKey> ResolvedVia);

/// <summary>
/// One routing table (a VRF): the routes as the control plane gave them (the RIB) and the IPv4 and IPv6 FIBs the
/// workers read. A next hop given without its interface is resolved through the table, recursively: through the
/// longest installed route that covers it (a connected route: the next hop itself; a route through other next
/// hops: theirs), never through the route itself or a route that depends on it, at most <see cref="MaxDepth"/>
/// levels deep. When a route changes, the routes whose next hops it covers are resolved again (and theirs in turn);
/// a route none of whose next hops resolves stays out of the FIB until one does. Several paths make a multipath
/// (ECMP, weighted) route. Control-plane calls come from one thread at a time.
/// </summary>
public sealed class RouteTable(int id)
{
    public const int MaxDepth = 4;

    private sealed class Entry
    {
        public RouteKind Kind;
        public int Interface;
        public RoutePath[] Paths = [];
        public bool Installed;
        public int Depth;
        public Member[] Members = [];
        public RouteKey[] Vias = [];
    }

    /// <summary>A resolved path: interface, the neighbor to send to, weight.</summary>
    private readonly record struct Member(int Interface, UInt128 NextHop, int Weight);

    private readonly Dictionary<RouteKey, Entry> _rib = [];
    // Recursive next hops in use, with how many routes use each: a change covering one of them resolves those
    // routes again (found by a walk over the table: such changes are rare, and an index per route would cost
    // more memory than the route itself).
    private readonly Dictionary<(bool V6, UInt128 NextHop), int> _nextHops = [];
    // Where each recursive next hop resolves, for any route but the one it names (most routes share a few next hops).
    private readonly Dictionary<(bool V6, UInt128 NextHop), (RouteKey Via, Entry Through)?> _resolved = [];
    // Arrays that many routes share: single paths, single resolved members, single resolving routes.
    private readonly Dictionary<RoutePath, RoutePath[]> _singlePaths = [];
    private readonly Dictionary<Member, Member[]> _singleMembers = [];
    private readonly Dictionary<RouteKey, RouteKey[]> _singleVias = [];

    public int Id { get; } = id;

    /// <summary>Where the dataplane keeps it for packets that name their table (<c>PacketMeta.TableSlot</c> - 1).</summary>
    internal int Slot { get; set; }

    public Ip4Fib Fib4 { get; } = new();

    public Ip6Fib Fib6 { get; } = new();

    public int Count => _rib.Count;

    public bool TryGet(RouteKey key, out RouteInfo route)
    {
        route = default;
        if (!_rib.TryGetValue(key, out var e)) return false;
        route = Info(key, e);
        return true;
    }

    public IEnumerable<RouteInfo> Routes => _rib.Select(r => Info(r.Key, r.Value));

    private static RouteInfo Info(RouteKey key, Entry e) => new(key, e.Kind, e.Interface, e.Paths, e.Installed, e.Vias);

    /// <summary>Adds or replaces a route: a local or connected route of an interface, a drop route, or next hops.</summary>
    public void Set(RouteKey key, RouteKind kind, int interfaceIndex, RoutePath[] paths)
    {
        if (_rib.TryGetValue(key, out var old)) Unlink(key, old);
        if (paths.Length == 1)
        {
            if (_singlePaths.TryGetValue(paths[0], out var shared)) paths = shared;
            else _singlePaths[paths[0]] = paths;
        }
        var e = new Entry { Kind = kind, Interface = interfaceIndex, Paths = paths };
        _rib[key] = e;
        Link(key, e);
        Update(key, e, force: true);
        Propagate(key);
    }

    public bool Remove(RouteKey key)
    {
        if (!_rib.Remove(key, out var e)) return false;
        Unlink(key, e);
        if (e.Installed) Uninstall(key);
        Propagate(key);
        return true;
    }

    private void Link(RouteKey key, Entry e)
    {
        foreach (var p in e.Paths)
            if (p.Interface < 0) _nextHops[(key.V6, p.NextHop)] = _nextHops.GetValueOrDefault((key.V6, p.NextHop)) + 1;
    }

    private void Unlink(RouteKey key, Entry e)
    {
        foreach (var p in e.Paths)
            if (p.Interface < 0 && _nextHops.TryGetValue((key.V6, p.NextHop), out var n))
            {
                if (n == 1)
                {
                    _nextHops.Remove((key.V6, p.NextHop));
                    _resolved.Remove((key.V6, p.NextHop));
                }
                else _nextHops[(key.V6, p.NextHop)] = n - 1;
            }
    }

    /// <summary>Resolves again the routes whose next hops a changed route covers, and the routes that depend on those.</summary>
    private void Propagate(RouteKey changed)
    {
        if (_nextHops.Count == 0 || !CoversAny(changed)) return;
        var queue = new Queue<RouteKey>();
        queue.Enqueue(changed);
        var budget = 64 + MaxDepth * 16; // resolution cannot loop (no route resolves through its dependents); a bound all the same
        while (queue.TryDequeue(out var k) && budget-- > 0)
        {
            var covered = _nextHops.Keys.Where(n => k.Covers(n.V6, n.NextHop)).ToHashSet();
            if (covered.Count == 0) continue;
            foreach (var n in covered) _resolved.Remove(n);
            foreach (var (key, e) in _rib.Where(r => r.Key != k && r.Value.Paths.Any(p => p.Interface < 0 && covered.Contains((r.Key.V6, p.NextHop)))).ToList())
                if (Update(key, e, force: false)) queue.Enqueue(key);
        }
    }

    private bool CoversAny(RouteKey k)
    {
        foreach (var (v6, nextHop) in _nextHops.Keys)
            if (k.Covers(v6, nextHop)) return true;
        return false;
    }

    /// <summary>Resolves a route and installs, changes or withdraws it in the FIB; true when its forwarding changed.</summary>
    private bool Update(RouteKey key, Entry e, bool force)
    {
        if (e.Kind != RouteKind.NextHop)
        {
            if (force || !e.Installed) Install(key, e);
            return force;
        }
        if (e.Paths.Length == 1) return UpdateSingle(key, e, force);
        var members = new List<Member>();
        var vias = new List<RouteKey>();
        var depth = 1;
        foreach (var p in e.Paths)
        {
            if (p.Interface >= 0)
            {
                Add(members, new Member(p.Interface, p.NextHop, p.Weight));
                continue;
            }
            if (Resolve(key, p.NextHop) is not var (via, through)) continue;
            vias.Add(via);
            depth = Math.Max(depth, through.Depth + 1);
            if (through.Kind == RouteKind.Connected) Add(members, new Member(through.Interface, p.NextHop, p.Weight));
            else foreach (var m in through.Members) Add(members, m with { Weight = m.Weight * p.Weight });
        }
        var changed = force || !members.SequenceEqual(e.Members) || e.Installed != members.Count > 0;
        e.Members = [.. members];
        e.Vias = [.. vias];
        e.Depth = depth;
        if (!changed) return false;
        if (members.Count > 0) Install(key, e);
        else if (e.Installed) Uninstall(key);
        return true;
    }

    // The common case without lists: one path.
    private bool UpdateSingle(RouteKey key, Entry e, bool force)
    {
        var p = e.Paths[0];
        Member[] members;
        RouteKey[] vias = [];
        var depth = 1;
        if (p.Interface >= 0) members = Single(new Member(p.Interface, p.NextHop, p.Weight));
        else if (Resolve(key, p.NextHop) is var (via, through))
        {
            vias = _singleVias.TryGetValue(via, out var v) ? v : _singleVias[via] = [via];
            depth = through.Depth + 1;
            members = through.Kind == RouteKind.Connected ? Single(new Member(through.Interface, p.NextHop, p.Weight))
                : p.Weight == 1 ? through.Members
                : [.. through.Members.Select(m => m with { Weight = m.Weight * p.Weight })];
        }
        else members = [];
        var changed = force || !members.AsSpan().SequenceEqual(e.Members) || e.Installed != members.Length > 0;
        e.Members = members;
        e.Vias = vias;
        e.Depth = depth;
        if (!changed) return false;
        if (members.Length > 0) Install(key, e);
        else if (e.Installed) Uninstall(key);
        return true;
    }

    private Member[] Single(Member m) => _singleMembers.TryGetValue(m, out var a) ? a : _singleMembers[m] = [m];

    private static void Add(List<Member> members, Member m)
    {
        var i = members.FindIndex(x => x.Interface == m.Interface && x.NextHop == m.NextHop);
        if (i < 0) members.Add(m);
        else members[i] = members[i] with { Weight = members[i].Weight + m.Weight };
    }

    /// <summary>The longest installed route that can carry a next hop of <paramref name="self"/>.</summary>
    private (RouteKey, Entry)? Resolve(RouteKey self, UInt128 nextHop)
    {
        if (!_resolved.TryGetValue((self.V6, nextHop), out var any))
            _resolved[(self.V6, nextHop)] = any = Search(self.V6, nextHop, null);
        // What serves any route serves this one too, unless it is this route or depends on it.
        if (any is not var (via, through) || via != self && (through.Kind == RouteKind.Connected || !DependsOn(through, self, MaxDepth)))
            return any;
        return Search(self.V6, nextHop, self);
    }

    private (RouteKey, Entry)? Search(bool v6, UInt128 nextHop, RouteKey? self)
    {
        for (var length = v6 ? 128 : 32; length >= 0; length--)
        {
            var candidate = new RouteKey(v6, v6 ? nextHop & Ip6.Mask(length) : (uint)nextHop & Ip4Fib.Mask(length), length);
            if (candidate == self || !_rib.TryGetValue(candidate, out var e) || !e.Installed) continue;
            if (e.Kind is not (RouteKind.Connected or RouteKind.NextHop)) return null; // a drop or local route covers it: unresolved
            if (e.Kind == RouteKind.NextHop && (e.Depth >= MaxDepth || self is { } s && DependsOn(e, s, MaxDepth))) continue;
            return (candidate, e);
        }
        return null;
    }

    private bool DependsOn(Entry e, RouteKey on, int levels)
    {
        if (levels == 0) return true; // deeper than resolution goes: treat as a loop
        foreach (var via in e.Vias)
            if (via == on || _rib.TryGetValue(via, out var next) && next.Kind == RouteKind.NextHop && DependsOn(next, on, levels - 1)) return true;
        return false;
    }

    private void Install(RouteKey key, Entry e)
    {
        e.Installed = true;
        if (key.V6)
        {
            var a = e.Kind switch
            {
                RouteKind.NextHop when e.Members.Length == 1 => new Ip6Adjacency(RouteKind.NextHop, e.Members[0].Interface, e.Members[0].NextHop),
                RouteKind.NextHop => new Ip6Adjacency(RouteKind.Multipath, -1, UInt128.Zero,
                    Fib6.Paths.Intern([.. e.Members.Select(m => (new Ip6Adjacency(RouteKind.NextHop, m.Interface, m.NextHop), m.Weight))])),
                _ => new Ip6Adjacency(e.Kind, e.Interface, UInt128.Zero),
            };
            Fib6.Add(key.Prefix, key.Length, a);
        }
        else
        {
            var a = e.Kind switch
            {
                RouteKind.NextHop when e.Members.Length == 1 => new Adjacency(RouteKind.NextHop, e.Members[0].Interface, (uint)e.Members[0].NextHop),
                RouteKind.NextHop => new Adjacency(RouteKind.Multipath, -1, 0,
                    Fib4.Paths.Intern([.. e.Members.Select(m => (new Adjacency(RouteKind.NextHop, m.Interface, (uint)m.NextHop), m.Weight))])),
                _ => new Adjacency(e.Kind, e.Interface, 0),
            };
            Fib4.Add(new Ip4Route((uint)key.Prefix, key.Length, a));
        }
    }

    private void Uninstall(RouteKey key)
    {
        if (_rib.TryGetValue(key, out var e)) e.Installed = false;
        if (key.V6) Fib6.Remove(key.Prefix, key.Length);
        else Fib4.Remove((uint)key.Prefix, key.Length);
    }
}
