using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Sessions;

/// <summary>A key a <see cref="SessionTable{TKey}"/> can index: compared by value, hashed with a seed.</summary>
public interface IFlowKey<TKey> where TKey : unmanaged, IFlowKey<TKey>
{
    /// <summary>The key's hash under <paramref name="seed"/> (per table, so that crafted flows cannot be made to collide everywhere).</summary>
    uint Hash(uint seed);

    bool Same(in TKey other);

    /// <summary>The IP protocol (6 TCP, 17 UDP, ...): it picks the session's state machine and timeouts.</summary>
    byte Protocol { get; }
}

/// <summary>
/// One direction of an IPv4 flow as it appears on the wire: source and destination address and port, protocol
/// (ports are 0 for protocols without them; ICMP query messages carry their identifier as both ports). 16 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct FlowKey4(uint Source, uint Destination, ushort SourcePort, ushort DestinationPort, byte Protocol)
    : IFlowKey<FlowKey4>
{
    /// <summary>The other direction of the same flow (the reply's key when no address is translated).</summary>
    public FlowKey4 Reversed => new(Destination, Source, DestinationPort, SourcePort, Protocol);

    public uint Hash(uint seed)
    {
        // Two rounds of a multiply-xorshift mix over the 13 bytes that make the key.
        var a = (ulong)Source << 32 | Destination;
        var b = (ulong)SourcePort << 24 | (ulong)DestinationPort << 8 | Protocol;
        var h = (a ^ seed) * 0x9e37_79b9_7f4a_7c15UL;
        h ^= h >> 29;
        h = (h ^ b) * 0xbf58_476d_1ce4_e5b9UL;
        h ^= h >> 32;
        return (uint)h;
    }

    public bool Same(in FlowKey4 other) => Source == other.Source && Destination == other.Destination
        && SourcePort == other.SourcePort && DestinationPort == other.DestinationPort && Protocol == other.Protocol;

    public override string ToString() =>
        $"{Packets.Ip4.Format(Source)}:{SourcePort} -> {Packets.Ip4.Format(Destination)}:{DestinationPort} proto {Protocol}";
}
