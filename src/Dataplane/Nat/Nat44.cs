using System.Collections.Frozen;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Nat;

/// <summary>An address, protocol and port a static mapping is found by (protocol and port 0: a 1:1 mapping's address).</summary>
internal readonly record struct NatEndpoint(uint Address, byte Protocol, ushort Port);

/// <summary>
/// A NAT44 configuration as the workers use it, made once per change and published whole: the pool as a set, the
/// static mappings by their external and their local endpoint, and which worker owns which ports.
/// </summary>
/// <remarks>
/// <para>
/// Every session lives on one worker, so both directions of a translated flow must reach that worker. Packets
/// are steered on arrival (<see cref="Steer"/>): dynamic translation gives each worker its own slice of the ports
/// (and ICMP identifiers) from <see cref="Nat44Config.FirstPort"/> up, and a packet to a pool address goes to the
/// worker owning its destination port; a packet to a static mapping's external endpoint goes where the flow
/// hash of its translated form points, which is where the inside host's replies arrive by the plain flow hash;
/// anything else goes by the plain flow hash. An ICMP error goes where the flow it reports on would.
/// </para>
/// </remarks>
internal sealed class Nat44
{
    private readonly FrozenSet<uint> _pool;
    private readonly FrozenDictionary<NatEndpoint, StaticMapping> _byExternal;
    private readonly FrozenDictionary<NatEndpoint, StaticMapping> _byLocal;
    private readonly FrozenSet<uint> _externalAddresses;

    public Nat44(Nat44Config config, uint[] pool, int workers, int generation, NatFragments fragments)
    {
        Fragments = fragments;
        Config = config;
        Pool = pool;
        _pool = pool.ToFrozenSet();
        _byExternal = config.StaticMappings.ToFrozenDictionary(m => new NatEndpoint(m.External, m.Protocol, m.ExternalPort));
        _byLocal = config.StaticMappings.ToFrozenDictionary(m => new NatEndpoint(m.Local, m.Protocol, m.LocalPort));
        _externalAddresses = config.StaticMappings.Select(m => m.External).ToFrozenSet();
        Workers = workers;
        FirstPort = config.FirstPort;
        PortsPerWorker = (65536 - FirstPort) / workers;
        Generation = generation;
    }

    public Nat44Config Config { get; }

    /// <summary>The translations of first fragments, for the fragments after them (shared by every configuration).</summary>
    public NatFragments Fragments { get; }

    /// <summary>The pool's addresses in order (configured ranges, then the outside interfaces' addresses).</summary>
    public uint[] Pool { get; }

    public int Workers { get; }

    public int FirstPort { get; }

    public int PortsPerWorker { get; }

    /// <summary>Counts configurations: a session made under an older one is checked again before it is used.</summary>
    public int Generation { get; }

    public bool InPool(uint address) => _pool.Contains(address);

    /// <summary>Whether an outside interface answers ARP for the address (a pool or static external address the interface does not own).</summary>
    public bool Answers(uint address) => _pool.Contains(address) || _externalAddresses.Contains(address);

    /// <summary>The static mapping a packet to this external endpoint reaches (a port forward before a 1:1 mapping).</summary>
    public StaticMapping? ByExternal(uint address, byte protocol, ushort port) =>
        _byExternal.Count == 0 ? null
        : _byExternal.TryGetValue(new NatEndpoint(address, protocol, port), out var m) || _byExternal.TryGetValue(new NatEndpoint(address, 0, 0), out m) ? m : null;

    /// <summary>The static mapping a connection from this inside endpoint leaves by.</summary>
    public StaticMapping? ByLocal(uint address, byte protocol, ushort port) =>
        _byLocal.Count == 0 ? null
        : _byLocal.TryGetValue(new NatEndpoint(address, protocol, port), out var m) || _byLocal.TryGetValue(new NatEndpoint(address, 0, 0), out m) ? m : null;

    /// <summary>The first port of a worker's slice.</summary>
    public int SliceStart(int worker) => FirstPort + worker * PortsPerWorker;

    /// <summary>The worker whose slice holds the port, or -1 below the slices.</summary>
    public int OwnerOf(ushort port) => port < FirstPort ? -1 : Math.Min((port - FirstPort) / PortsPerWorker, Workers - 1);

    /// <summary>The worker a packet of a NAT interface goes to (see the remarks on the type).</summary>
    public int Steer(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < Ethernet.HeaderLength || Ethernet.Type(frame) != Ethernet.TypeIp4) return FlowHash.Pick(FlowHash.OfFrame(frame), Workers);
        var ip = frame[Ethernet.HeaderLength..];
        return NatPacket.Read(ip, out var key, out _, out _) switch
        {
            NatPacketKind.Flow or NatPacketKind.IcmpError => Steer(key),
            // A later fragment: to the worker that translated its first one.
            NatPacketKind.Fragment when Fragments.TryFind(ip, Environment.TickCount64, out var worker, out _, out _) && worker < Workers => worker,
            _ => FlowHash.Pick(FlowHash.OfIp4(ip), Workers),
        };
    }

    /// <summary>The worker of a flow, by a packet's key in its direction of travel.</summary>
    public int Steer(in FlowKey4 key)
    {
        if (key.Protocol is Ip4.ProtoTcp or Ip4.ProtoUdp or Ip4.ProtoIcmp && _pool.Contains(key.Destination) && OwnerOf(key.DestinationPort) is >= 0 and var owner)
            return owner;
        if (ByExternal(key.Destination, key.Protocol, key.DestinationPort) is { } m)
        {
            var port = m.IsPortMapping ? m.LocalPort : key.DestinationPort;
            return FlowHash.Pick(FlowHash.OfTuple(key.Source, m.Local, key.SourcePort, port, key.Protocol), Workers);
        }
        return FlowHash.Pick(FlowHash.OfTuple(key.Source, key.Destination, key.SourcePort, key.DestinationPort, key.Protocol), Workers);
    }
}
