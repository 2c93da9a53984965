using System.Buffers.Binary;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Nat;

/// <summary>
/// Rewrites an IPv6 packet's addresses and TCP/UDP ports (the load balancer's NAT mode for IPv6 VIPs), keeping the
/// transport checksum right with RFC 1624 incremental updates over its pseudo-header (IPv6 has no header checksum;
/// a UDP checksum is mandatory, so a computed zero is sent as all ones).
/// </summary>
internal static class NatPacket6
{
    /// <summary>
    /// Rewrites the packet read as <paramref name="from"/> (its transport header at <paramref name="l4"/>) to
    /// <paramref name="to"/>; false when its transport header is cut short (nothing written).
    /// </summary>
    public static bool Rewrite(Span<byte> ip, int l4, in FlowKey6 from, in FlowKey6 to)
    {
        var checksumAt = from.Protocol switch { Ip4.ProtoTcp => l4 + 16, Ip4.ProtoUdp => l4 + 6, _ => -1 };
        if (checksumAt < 0 || ip.Length < checksumAt + 2) return false;
        var delta = Delta128(from.Source, to.Source) + Delta128(from.Destination, to.Destination)
            + Delta16(from.SourcePort, to.SourcePort) + Delta16(from.DestinationPort, to.DestinationPort);
        BinaryPrimitives.WriteUInt128BigEndian(ip[8..], to.Source);
        BinaryPrimitives.WriteUInt128BigEndian(ip[24..], to.Destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[l4..], to.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[(l4 + 2)..], to.DestinationPort);
        var sum = (ushort)~Checksum.Fold((uint)(ushort)~BinaryPrimitives.ReadUInt16BigEndian(ip[checksumAt..]) + Checksum.Fold(delta));
        BinaryPrimitives.WriteUInt16BigEndian(ip[checksumAt..], from.Protocol == Ip4.ProtoUdp && sum == 0 ? (ushort)0xffff : sum);
        return true;
    }

    private static uint Delta16(ushort old, ushort now) => (uint)(ushort)~old + now;

    // The change of a 128-bit address in 16-bit words, summed (at most 8 * 0x1fffe: no overflow).
    private static uint Delta128(UInt128 old, UInt128 now)
    {
        var sum = 0u;
        for (var i = 0; i < 8; i++) sum += Delta16((ushort)(old >> (16 * i)), (ushort)(now >> (16 * i)));
        return sum;
    }
}
