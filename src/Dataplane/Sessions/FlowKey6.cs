using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Sessions;

/// <summary>
/// One direction of a flow with 128-bit addresses: IPv6, or IPv4 as IPv4-mapped addresses (as ACL keys carry them),
/// for tables that hold both families. Ports 0 for protocols without them. 40 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public readonly record struct FlowKey6(UInt128 Source, UInt128 Destination, ushort SourcePort, ushort DestinationPort, byte Protocol)
    : IFlowKey<FlowKey6>
{
    public FlowKey6 Reversed => new(Destination, Source, DestinationPort, SourcePort, Protocol);

    public uint Hash(uint seed) => (uint)Hash64(seed);

    public ulong Hash64(uint seed)
    {
        var h = ((ulong)Source ^ seed) * 0x9e37_79b9_7f4a_7c15UL;
        h = (h ^ (ulong)(Source >> 64) ^ h >> 29) * 0xbf58_476d_1ce4_e5b9UL;
        h = (h ^ (ulong)Destination ^ h >> 32) * 0x94d0_49bb_1331_11ebUL;
        h = (h ^ (ulong)(Destination >> 64) ^ h >> 29) * 0x9e37_79b9_7f4a_7c15UL;
        h = (h ^ ((ulong)SourcePort << 24 | (ulong)DestinationPort << 8 | Protocol) ^ h >> 32) * 0xbf58_476d_1ce4_e5b9UL;
        return h ^ h >> 31;
    }

    public bool Same(in FlowKey6 other) => Source == other.Source && Destination == other.Destination
        && SourcePort == other.SourcePort && DestinationPort == other.DestinationPort && Protocol == other.Protocol;
}
