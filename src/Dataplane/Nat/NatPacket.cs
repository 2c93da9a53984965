using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Nat;

/// <summary>What NAT can do with an IPv4 packet.</summary>
internal enum NatPacketKind : byte
{
    /// <summary>TCP, UDP or an ICMP echo: a flow with ports (an echo's identifier as both ports).</summary>
    Flow,

    /// <summary>An ICMP error (destination unreachable, time exceeded, parameter problem) about a flow with ports.</summary>
    IcmpError,

    /// <summary>Another protocol, or ICMP that is neither: only a 1:1 mapping translates it (by addresses).</summary>
    Other,

    /// <summary>A fragment after the first: no ports to find its flow by.</summary>
    Fragment,

    /// <summary>Too short for its protocol's header.</summary>
    Truncated,
}

/// <summary>
/// Reads the flow an IPv4 packet belongs to and rewrites its addresses and ports, keeping every checksum right
/// with RFC 1624 incremental updates (the IPv4 header's, TCP's and UDP's over their pseudo-header, ICMP's); an
/// ICMP error's embedded packet is translated too (RFC 5508 REQ-4), its checksums with it.
/// </summary>
internal static class NatPacket
{
    private const byte EchoReply = 0, EchoRequest = 8, Unreachable = 3, TimeExceeded = 11, ParameterProblem = 12;

    /// <summary>
    /// The packet's key as NAT looks it up: its own flow's, or for an ICMP error the reported flow's key in the
    /// error's direction of travel (the embedded packet went the other way). <paramref name="l4"/> is where the
    /// transport header starts; <paramref name="tcpFlags"/> the TCP flags (0 for the rest).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NatPacketKind Read(ReadOnlySpan<byte> ip, out FlowKey4 key, out int l4, out byte tcpFlags)
    {
        // The common case in a few whole-word loads: a header without options, TCP or UDP whole, not a fragment.
        if (ip.Length >= 28)
        {
            ref var b = ref MemoryMarshal.GetReference(ip);
            var protocol = Unsafe.Add(ref b, 9);
            var total = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, 2)));
            var offset = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, 6))) & 0x1fff;
            if (b == 0x45 && offset == 0 && total <= ip.Length && (protocol == Ip4.ProtoUdp && total >= 28 || protocol == Ip4.ProtoTcp && total >= 40))
            {
                key = new FlowKey4(BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, 12))),
                    BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, 20))), protocol);
                l4 = Ip4.MinHeaderLength;
                tcpFlags = protocol == Ip4.ProtoTcp ? Unsafe.Add(ref b, 33) : (byte)0;
                return NatPacketKind.Flow;
            }
        }
        return Read(ip, false, out key, out l4, out tcpFlags);
    }

    // An embedded packet has its transport header's first 8 bytes only (RFC 792): ports, not TCP's flags.
    private static NatPacketKind Read(ReadOnlySpan<byte> ip, bool embedded, out FlowKey4 key, out int l4, out byte tcpFlags)
    {
        tcpFlags = 0;
        l4 = (ip[0] & 0xf) * 4;
        var protocol = ip[9];
        var source = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        var destination = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        key = new FlowKey4(source, destination, 0, 0, protocol);
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1fff) != 0) return NatPacketKind.Fragment;
        // An embedded packet was cut short by its ICMP error: its total length is the original's.
        var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
        var rest = length - l4;
        switch (protocol)
        {
            case Ip4.ProtoTcp:
                if (rest < (embedded ? 8 : 20)) return NatPacketKind.Truncated;
                if (!embedded) tcpFlags = ip[l4 + 13];
                key = new FlowKey4(source, destination, BinaryPrimitives.ReadUInt16BigEndian(ip[l4..]), BinaryPrimitives.ReadUInt16BigEndian(ip[(l4 + 2)..]), protocol);
                return NatPacketKind.Flow;
            case Ip4.ProtoUdp:
                if (rest < 8) return NatPacketKind.Truncated;
                key = new FlowKey4(source, destination, BinaryPrimitives.ReadUInt16BigEndian(ip[l4..]), BinaryPrimitives.ReadUInt16BigEndian(ip[(l4 + 2)..]), protocol);
                return NatPacketKind.Flow;
            case Ip4.ProtoIcmp:
                if (rest < 8) return NatPacketKind.Truncated;
                var type = ip[l4];
                if (type is EchoRequest or EchoReply)
                {
                    var id = BinaryPrimitives.ReadUInt16BigEndian(ip[(l4 + 4)..]);
                    key = new FlowKey4(source, destination, id, id, protocol);
                    return NatPacketKind.Flow;
                }
                if (type is not (Unreachable or TimeExceeded or ParameterProblem)) return NatPacketKind.Other;
                // The embedded packet: its header and the first 8 bytes of its transport header (RFC 792).
                var inner = ip[(l4 + 8)..length];
                if (inner.Length < 20 || inner[0] >> 4 != 4 || (inner[0] & 0xf) * 4 + 8 > inner.Length) return NatPacketKind.Truncated;
                if (Read(inner, true, out var reported, out _, out _) != NatPacketKind.Flow) return NatPacketKind.Other;
                key = reported.Reversed;
                return NatPacketKind.IcmpError;
            default:
                return NatPacketKind.Other;
        }
    }

    /// <summary>
    /// Rewrites a packet read as <paramref name="from"/> (<see cref="Read"/>) to <paramref name="to"/>: its
    /// addresses and ports, or for an ICMP error the embedded packet's (as <paramref name="to"/> reversed) and the
    /// outer addresses that were the flow's.
    /// </summary>
    public static void Rewrite(Span<byte> ip, NatPacketKind kind, int l4, in FlowKey4 from, in FlowKey4 to)
    {
        if (kind == NatPacketKind.IcmpError) RewriteIcmpError(ip, l4, from, to);
        else if (kind == NatPacketKind.Fragment) RewriteAddresses(ip, to.Source, to.Destination); // no transport header here
        else RewriteFlow(ip, l4, from, to);
    }

    /// <summary><see cref="Rewrite"/> for a packet read as a flow (TCP, UDP, an ICMP echo) or another protocol (addresses only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RewriteFlow(Span<byte> ip, int l4, in FlowKey4 from, in FlowKey4 to)
    {
        var addresses = SetAddresses(ip, from.Source, from.Destination, to.Source, to.Destination);
        switch (from.Protocol)
        {
            case Ip4.ProtoTcp:
                SetPorts(ip[l4..], from, to);
                Adjust(ip[(l4 + 16)..], addresses + Delta16(from.SourcePort, to.SourcePort) + Delta16(from.DestinationPort, to.DestinationPort));
                break;
            case Ip4.ProtoUdp:
                SetPorts(ip[l4..], from, to);
                AdjustUdp(ip[(l4 + 6)..], addresses + Delta16(from.SourcePort, to.SourcePort) + Delta16(from.DestinationPort, to.DestinationPort));
                break;
            case Ip4.ProtoIcmp when l4 + 8 <= ip.Length && ip[l4] is EchoRequest or EchoReply:
                // An echo: the identifier, as both "ports" of the key; ICMP's checksum has no pseudo-header.
                BinaryPrimitives.WriteUInt16BigEndian(ip[(l4 + 4)..], to.SourcePort);
                Adjust(ip[(l4 + 2)..], Delta16(from.SourcePort, to.SourcePort));
                break;
        }
    }

    // An ICMP error whose embedded packet is `from` reversed: that packet becomes `to` reversed, and the outer
    // source or destination that was one of the flow's endpoints moves with it (the error's sender, a router on
    // the way, keeps its address). The ICMP checksum is summed afresh over the whole message.
    private static void RewriteIcmpError(Span<byte> ip, int l4, in FlowKey4 from, in FlowKey4 to)
    {
        var source = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        var destination = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        SetAddresses(ip, source, destination, source == from.Source ? to.Source : source, destination == from.Destination ? to.Destination : destination);
        var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
        var inner = ip[(l4 + 8)..length];
        var innerL4 = (inner[0] & 0xf) * 4;
        var was = from.Reversed;
        var now = to.Reversed;
        var addresses = SetAddresses(inner, was.Source, was.Destination, now.Source, now.Destination);
        var ports = Delta16(was.SourcePort, now.SourcePort) + Delta16(was.DestinationPort, now.DestinationPort);
        var transport = inner[innerL4..];
        switch (was.Protocol)
        {
            case Ip4.ProtoTcp:
                SetPorts(transport, was, now);
                if (transport.Length >= 18) Adjust(transport[16..], addresses + ports); // beyond the 8 bytes RFC 792 asks for: when there
                break;
            case Ip4.ProtoUdp:
                SetPorts(transport, was, now);
                AdjustUdp(transport[6..], addresses + ports);
                break;
            case Ip4.ProtoIcmp:
                BinaryPrimitives.WriteUInt16BigEndian(transport[4..], now.SourcePort);
                Adjust(transport[2..], Delta16(was.SourcePort, now.SourcePort));
                break;
        }
        var icmp = ip[l4..length];
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
    }

    /// <summary>Whether more fragments follow (a first fragment has this and offset 0).</summary>
    public static bool MoreFragments(ReadOnlySpan<byte> ip) => (ip[6] & 0x20) != 0;

    /// <summary>A later fragment: only its addresses change (its transport header is in the first fragment).</summary>
    public static void RewriteAddresses(Span<byte> ip, uint source, uint destination) =>
        SetAddresses(ip, BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), BinaryPrimitives.ReadUInt32BigEndian(ip[16..]), source, destination);

    // Writes the addresses, updates the header checksum, and returns the change to the pseudo-header's sum.
    private static uint SetAddresses(Span<byte> ip, uint oldSource, uint oldDestination, uint source, uint destination)
    {
        var delta = Delta32(oldSource, source) + Delta32(oldDestination, destination);
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], destination);
        Adjust(ip[10..], delta);
        return delta;
    }

    private static void SetPorts(Span<byte> l4, in FlowKey4 from, in FlowKey4 to)
    {
        BinaryPrimitives.WriteUInt16BigEndian(l4, to.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(l4[2..], to.DestinationPort);
    }

    // RFC 1624 eqn. 3 over several words at once: HC' = ~(~HC + sum of (~m + m')).
    private static void Adjust(Span<byte> field, uint delta) =>
        BinaryPrimitives.WriteUInt16BigEndian(field, Adjusted(BinaryPrimitives.ReadUInt16BigEndian(field), delta));

    private static ushort Adjusted(ushort checksum, uint delta) => (ushort)~Checksum.Fold((uint)(ushort)~checksum + delta);

    // UDP: a zero checksum means none was computed (RFC 768) and stays zero; a computed zero is sent as all ones.
    private static void AdjustUdp(Span<byte> field, uint delta)
    {
        if (field.Length < 2) return;
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(field);
        if (checksum == 0) return;
        checksum = Adjusted(checksum, delta);
        BinaryPrimitives.WriteUInt16BigEndian(field, checksum == 0 ? (ushort)0xffff : checksum);
    }

    private static uint Delta16(ushort old, ushort now) => (uint)(ushort)~old + now;

    private static uint Delta32(uint old, uint now) => Delta16((ushort)(old >> 16), (ushort)(now >> 16)) + Delta16((ushort)old, (ushort)now);
}
