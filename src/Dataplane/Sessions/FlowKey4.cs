using System.Runtime.CompilerServices;

namespace Mgmt.Dataplane.Sessions;

/// <summary>A key a <see cref="SessionTable{TKey}"/> can index: compared by value, hashed with a seed.</summary>
public interface IFlowKey<TKey> where TKey : unmanaged, IFlowKey<TKey>
{
    /// <summary>The key's hash under <paramref name="seed"/> (per table, so that crafted flows cannot be made to collide everywhere).</summary>
    uint Hash(uint seed);

    /// <summary>A 64-bit hash under <paramref name="seed"/> (its low half is <see cref="Hash"/>), for tables that take a bucket and a tag from it.</summary>
    ulong Hash64(uint seed);

    bool Same(in TKey other);

    /// <summary>The IP protocol (6 TCP, 17 UDP, ...): it picks the session's state machine and timeouts.</summary>
    byte Protocol { get; }

    /// <summary>The other direction of the same flow (the reply's key when no address is translated).</summary>
    TKey Reversed { get; }
}

/// <summary>
/// One direction of an IPv4 flow as it appears on the wire: source and destination address and port, protocol
/// (ports are 0 for protocols without them; ICMP query messages carry their identifier as both ports). 16 bytes.
/// </summary>
/// <remarks>
/// Held as two 64-bit words (the addresses; the ports and protocol), so that making, copying and comparing a key
/// are two whole-word moves or compares: a key assembled from five narrower stores and then copied as one 16-byte
/// load stalls the CPU (a failed store-to-load forward), and the nodes make a key per packet.
/// </remarks>
public readonly struct FlowKey4 : IFlowKey<FlowKey4>, IEquatable<FlowKey4>
{
    private readonly ulong _addresses; // Source << 32 | Destination
    private readonly ulong _rest; // SourcePort << 24 | DestinationPort << 8 | Protocol

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowKey4(uint source, uint destination, ushort sourcePort, ushort destinationPort, byte protocol)
    {
        _addresses = (ulong)source << 32 | destination;
        _rest = (ulong)sourcePort << 24 | (ulong)destinationPort << 8 | protocol;
    }

    /// <summary>A key from the header's words as they are read: the addresses (source high), the ports (source high) and the protocol.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowKey4(ulong addresses, uint ports, byte protocol)
    {
        _addresses = addresses;
        _rest = (ulong)ports << 8 | protocol;
    }

    public uint Source => (uint)(_addresses >> 32);

    public uint Destination => (uint)_addresses;

    public ushort SourcePort => (ushort)(_rest >> 24);

    public ushort DestinationPort => (ushort)(_rest >> 8);

    public byte Protocol => (byte)_rest;

    /// <summary>The other direction of the same flow (the reply's key when no address is translated).</summary>
    public FlowKey4 Reversed => new(Destination, Source, DestinationPort, SourcePort, Protocol);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Hash(uint seed) => (uint)Hash64(seed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash64(uint seed)
    {
        // Two rounds of a multiply-xorshift mix over the two words.
        var h = (_addresses ^ seed) * 0x9e37_79b9_7f4a_7c15UL;
        h ^= h >> 29;
        h = (h ^ _rest) * 0xbf58_476d_1ce4_e5b9UL;
        return h ^ h >> 32;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Same(in FlowKey4 other) => _addresses == other._addresses && _rest == other._rest;

    public bool Equals(FlowKey4 other) => Same(other);

    public override bool Equals(object? obj) => obj is FlowKey4 k && Same(k);

    public override int GetHashCode() => HashCode.Combine(_addresses, _rest);

    public static bool operator ==(FlowKey4 a, FlowKey4 b) => a.Same(b);

    public static bool operator !=(FlowKey4 a, FlowKey4 b) => !a.Same(b);

    public override string ToString() =>
        $"{Packets.Ip4.Format(Source)}:{SourcePort} -> {Packets.Ip4.Format(Destination)}:{DestinationPort} proto {Protocol}";
}
