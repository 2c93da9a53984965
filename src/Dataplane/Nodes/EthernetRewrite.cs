using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// The Ethernet header a rewrite node puts in front of packets to one neighbor, made once per run of such packets
/// (VPP's rewrite string): the neighbor's MAC, the interface's and the ethertype as three stores of 8, 4 and 2 bytes.
/// </summary>
internal readonly struct EthernetRewrite
{
    public readonly int Interface;

    /// <summary>The neighbor: an IPv6 address, or an IPv4 one in the low 32 bits.</summary>
    public readonly UInt128 NextHop;

    public readonly ulong Mac;
    private readonly ulong _first8;
    private readonly uint _next4;
    private readonly ushort _type;

    public EthernetRewrite(int interfaceIndex, UInt128 nextHop, ulong destination, ulong source, ushort type)
    {
        Interface = interfaceIndex;
        NextHop = nextHop;
        Mac = destination;
        Span<byte> h = stackalloc byte[14];
        Packets.Ethernet.WriteHeader(h, destination, source, type);
        _first8 = MemoryMarshal.Read<ulong>(h);
        _next4 = MemoryMarshal.Read<uint>(h[8..]);
        _type = MemoryMarshal.Read<ushort>(h[12..]);
    }

    public void WriteTo(Span<byte> frame)
    {
        if (frame.Length < 14) throw new ArgumentException("no room for an Ethernet header", nameof(frame));
        ref var b = ref MemoryMarshal.GetReference(frame);
        Unsafe.WriteUnaligned(ref b, _first8);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref b, 8), _next4);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref b, 12), _type);
    }
}
