using Mgmt.Dataplane.Nat;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane;

/// <summary>The dataplane's NAT44 API: one configuration, checked whole and applied at once; counters and sessions to read.</summary>
public sealed partial class Dataplane
{
    private Nat44? _nat;
    private int _natGeneration;
    private readonly NatFragments _natFragments = new();

    /// <summary>The NAT44 the workers translate by (null: off).</summary>
    internal Nat44? Nat => Volatile.Read(ref _nat);

    /// <summary>The NAT44 configuration in force, or null.</summary>
    public Nat44Config? Nat44 => Nat?.Config;

    /// <summary>
    /// Sets NAT44 (null turns it off). Everything is checked before anything changes. Sessions made under the
    /// previous configuration stay while they still translate as this one would (checked at their next packet);
    /// a new session limit starts every worker's sessions afresh.
    /// </summary>
    public void SetNat44(Nat44Config? config)
    {
        lock (_api)
        {
            if (config is null)
            {
                foreach (var itf in Interfaces) itf.NatRole = NatRole.None;
                Volatile.Write(ref _nat, null);
                WaitForWorkers();
                foreach (var w in Workers) w.NatSessions = null;
                return;
            }
            var roles = CheckNat(config);
            var old = Nat;
            if (old is null || old.Config.SessionsPerWorker != config.SessionsPerWorker)
            {
                // Fresh tables before the new configuration is visible; a worker in the middle of a run finishes it on the old one.
                foreach (var w in Workers) w.NatSessions = new Nat44Sessions(w.Index, config.SessionsPerWorker, config.Timeouts);
                WaitForWorkers();
            }
            else
                foreach (var w in Workers) w.NatSessions!.Table.Timeouts = config.Timeouts;
            Volatile.Write(ref _nat, new Nat44(config, NatPool(config), Workers.Count, ++_natGeneration, _natFragments));
            foreach (var itf in Interfaces) itf.NatRole = roles.GetValueOrDefault(itf.Name);
        }
    }

    /// <summary>NAT44 counters summed over the workers.</summary>
    public NatCounters NatCounters
    {
        get
        {
            long sessions = 0, created = 0, expired = 0, in2out = 0, out2in = 0, hairpinned = 0, errors = 0, noSession = 0, noPorts = 0, refused = 0, fragments = 0, unsupported = 0;
            foreach (var w in Workers)
            {
                if (w.NatSessions is not { } s) continue;
                sessions += s.Table.Count;
                created += s.Table.Created;
                expired += s.Table.Expired;
                refused += s.Table.Refused;
                in2out += s.InToOut;
                out2in += s.OutToIn;
                hairpinned += s.Hairpinned;
                errors += s.IcmpErrors;
                noSession += s.NoSession;
                noPorts += s.NoPorts;
                fragments += s.Fragments;
                unsupported += s.Unsupported;
            }
            return new NatCounters(sessions, created, expired, in2out, out2in, hairpinned, errors, noSession, noPorts, refused, fragments, unsupported);
        }
    }

    /// <summary>Memory per session of the NAT44 session tables (their fixed part, at capacity; 0 while NAT44 is off).</summary>
    public double NatBytesPerSession => Workers.Select(w => w.NatSessions?.Table.BytesPerSession ?? 0).DefaultIfEmpty().Average();

    /// <summary>Up to <paramref name="max"/> NAT44 sessions of every worker (a snapshot taken while they run).</summary>
    public IReadOnlyList<NatSessionInfo> NatSessions(int max = 10_000)
    {
        var list = new List<NatSessionInfo>();
        foreach (var w in Workers)
        {
            if (w.NatSessions?.Table is not { } table) continue;
            foreach (var s in table.Open())
            {
                if (list.Count >= max) return list;
                list.Add(new NatSessionInfo(table.Forward(s), table.Reverse(s).Reversed, table.State(s), w.Index));
            }
        }
        return list;
    }

    // An outside interface's addresses are pool addresses when the configuration says so: a change republishes it.
    private void OutsideAddressesChanged(Interfaces.DpInterface itf)
    {
        if (Nat is { Config.UseOutsideAddresses: true } nat && itf.NatRole == NatRole.Outside)
            Volatile.Write(ref _nat, new Nat44(nat.Config, NatPool(nat.Config), Workers.Count, ++_natGeneration, _natFragments));
    }

    private uint[] NatPool(Nat44Config config)
    {
        var pool = new List<uint>();
        foreach (var r in config.Pool)
            for (var a = (long)r.First; a <= r.Last; a++) pool.Add((uint)a);
        if (config.UseOutsideAddresses)
            foreach (var itf in Interfaces.Where(i => config.Outside.Contains(i.Name)))
                pool.AddRange(itf.Addresses.Select(a => a.Address).Where(a => !pool.Contains(a)));
        return [.. pool];
    }

    private const int MaxPoolAddresses = 65536;

    // Checks a configuration whole; returns the interfaces' roles.
    private Dictionary<string, NatRole> CheckNat(Nat44Config c)
    {
        var roles = new Dictionary<string, NatRole>();
        foreach (var (names, role) in new[] { (c.Inside, NatRole.Inside), (c.Outside, NatRole.Outside) })
            foreach (var name in names)
            {
                Interface(name);
                if (roles.TryGetValue(name, out var had))
                    throw new DataplaneException(had == role ? $"{name} is named twice" : $"{name} cannot be both inside and outside");
                roles[name] = role;
            }
        if (c.Outside.Count == 0) throw new DataplaneException("NAT44 needs at least one outside interface");
        if (c.SessionsPerWorker is < 1 or > 1 << 24) throw new DataplaneException($"{c.SessionsPerWorker} sessions per worker: 1 to {1 << 24}");
        (c.Timeouts ?? throw new DataplaneException("NAT44 timeouts are missing")).Check("NAT44");
        if (c.FirstPort == 0 || 65536 - c.FirstPort < Workers.Count)
            throw new DataplaneException($"first port {c.FirstPort} leaves no ports for {Workers.Count} workers");
        var ranges = c.Pool.OrderBy(r => r.First).ToList();
        long total = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (r.First > r.Last) throw new DataplaneException($"pool range {Ip4.Format(r.First)}-{Ip4.Format(r.Last)} ends before it starts");
            CheckUnicast(r.First, $"pool range {r}");
            CheckUnicast(r.Last, $"pool range {r}");
            if (i > 0 && r.First <= ranges[i - 1].Last) throw new DataplaneException($"pool ranges {ranges[i - 1]} and {r} overlap");
            total += r.Count;
        }
        if (total > MaxPoolAddresses) throw new DataplaneException($"the pool has {total} addresses; at most {MaxPoolAddresses}");
        var external = new HashSet<NatEndpoint>();
        var local = new HashSet<NatEndpoint>();
        var outsideAddresses = Interfaces.Where(i => roles.GetValueOrDefault(i.Name) == NatRole.Outside).SelectMany(i => i.Addresses).Select(a => a.Address).ToHashSet();
        foreach (var m in c.StaticMappings)
        {
            var what = $"static mapping {m}";
            CheckUnicast(m.Local, what);
            CheckUnicast(m.External, what);
            if (m.Protocol is not (0 or Ip4.ProtoTcp or Ip4.ProtoUdp)) throw new DataplaneException($"{what}: protocol {m.Protocol}; a port mapping is TCP (6) or UDP (17), a 1:1 mapping has none");
            if (m.Protocol == 0 && (m.LocalPort != 0 || m.ExternalPort != 0)) throw new DataplaneException($"{what}: a 1:1 mapping has no ports");
            if (m.Protocol != 0 && (m.LocalPort == 0 || m.ExternalPort == 0)) throw new DataplaneException($"{what}: a port mapping needs both ports");
            if (!external.Add(new NatEndpoint(m.External, m.Protocol, m.ExternalPort))) throw new DataplaneException($"{what}: its external endpoint is mapped twice");
            if (!local.Add(new NatEndpoint(m.Local, m.Protocol, m.LocalPort))) throw new DataplaneException($"{what}: its local endpoint is mapped twice");
            if (m.Protocol == 0)
            {
                if (ranges.Any(r => r.Contains(m.External))) throw new DataplaneException($"{what}: its external address is in the pool");
                if (outsideAddresses.Contains(m.External)) throw new DataplaneException($"{what}: its external address is an outside interface's own");
            }
        }
        foreach (var m in c.StaticMappings.Where(m => m.Protocol == 0))
            if (c.StaticMappings.FirstOrDefault(o => o.Protocol != 0 && o.External == m.External) is { } clash)
                throw new DataplaneException($"static mappings {m} and {clash} share an external address");
        return roles;
    }

    private static void CheckUnicast(uint address, string what)
    {
        if (address == 0 || address >> 28 >= 0xe || address >> 24 == 127) throw new DataplaneException($"{what}: {Ip4.Format(address)} is not a unicast address");
    }
}
