using System.Buffers.Binary;

namespace Mgmt.Dataplane.Packets;

/// <summary>
/// A flow's hash from its addresses, protocol and ports, the same in both directions (source and destination
/// combine symmetrically), so that a flow and its replies meet on the same worker (software RSS) and stay on one
/// path of an ECMP route. Fragments after the first and non-TCP/UDP protocols hash by addresses and protocol
/// (IPv6: the upper-layer protocol, after the extension headers).
/// </summary>
public static class FlowHash
{
    /// <summary>The hash of an Ethernet frame; non-IP frames hash to 0.</summary>
    public static uint OfFrame(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < Ethernet.HeaderLength) return 0;
        var ip = frame[Ethernet.HeaderLength..];
        return Ethernet.Type(frame) switch
        {
            Ethernet.TypeIp4 => OfIp4(ip),
            Ethernet.TypeIp6 => OfIp6(ip),
            _ => 0,
        };
    }

    public static uint OfIp4(ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 20) return 0;
        var addresses = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]) ^ BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        var protocol = ip[9];
        var headerLength = (ip[0] & 0xf) * 4;
        var fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1fff;
        return Mix(addresses, protocol, fragmentOffset == 0 ? Ports(ip, headerLength, protocol) : 0);
    }

    public static uint OfIp6(ReadOnlySpan<byte> ip)
    {
        if (ip.Length < Ip6.HeaderLength) return 0;
        var a = BinaryPrimitives.ReadUInt64LittleEndian(ip[8..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(ip[16..])
            ^ BinaryPrimitives.ReadUInt64LittleEndian(ip[24..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(ip[32..]);
        var whole = Ip6.UpperLayer(ip, out var protocol, out var offset);
        return Mix((uint)a ^ (uint)(a >> 32), protocol, whole ? Ports(ip, offset, protocol) : 0);
    }

    /// <summary>
    /// The hash <see cref="OfIp4"/> gives a packet with these addresses, ports and protocol (ports count for TCP and
    /// UDP only): what a packet rewritten to them will hash to, for steering by the translated flow (NAT).
    /// </summary>
    public static uint OfTuple(uint source, uint destination, ushort sourcePort, ushort destinationPort, byte protocol) =>
        Mix(source ^ destination, protocol, protocol is Ip4.ProtoTcp or Ip4.ProtoUdp ? (uint)(sourcePort ^ destinationPort) : 0);

    private static uint Ports(ReadOnlySpan<byte> ip, int offset, byte protocol) =>
        protocol is Ip4.ProtoTcp or Ip4.ProtoUdp && ip.Length >= offset + 4
            ? (uint)(BinaryPrimitives.ReadUInt16BigEndian(ip[offset..]) ^ BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]))
            : 0;

    // A multiply-xorshift finalizer: every input bit reaches the high bits, which callers use to pick a worker or path.
    private static uint Mix(uint addresses, byte protocol, uint ports)
    {
        var x = ((ulong)addresses << 32 | ports << 8 | protocol) * 0x9E3779B97F4A7C15UL;
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9UL;
        return (uint)(x >> 32);
    }

    /// <summary>Picks one of <paramref name="count"/> choices evenly from a hash.</summary>
    public static int Pick(uint hash, int count) => (int)(((ulong)hash * (uint)count) >> 32);
}
