using System.Buffers.Binary;
using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Cuts a forwarded IPv4 packet bigger than its egress MTU (DF clear; ip4-rewrite lowered its TTL already) into
/// fragments that fit (RFC 791 §3.2, RFC 1812 §5.2.6), each in a buffer of its own: the data in multiples of 8
/// bytes but the last piece's, the identification kept, offsets counted from the packet's own (it may be a
/// fragment itself) and MF on all but the last piece, which keeps the packet's MF. The first fragment has all the
/// options, the others only those with the copied flag. The fragments go back to ip4-rewrite, which now finds
/// them fitting and gives each its neighbor (or holds it while ARP asks), or to tunnel-encap on a tunnel; the
/// original buffer is freed. When the buffers run out the pieces not cut yet are lost and the packet counts as
/// a <see cref="DropReason.NoBuffer"/> drop. <see cref="GraphNode.Made"/> counts the fragments made.
/// </summary>
internal sealed class Ip4Fragment(Worker w) : GraphNode("ip4-fragment")
{
    public const ushort MoreFragments = 0x2000, OffsetMask = 0x1fff;
    public const int MaxHeaderLength = 60;

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        // The header of the fragments after the first; per call, not a field, since a full frame of ip4-rewrite can
        // run that node, and through it this one, while this loop is cutting.
        Span<byte> later = stackalloc byte[MaxHeaderLength];
        foreach (var p in packets)
        {
            var itf = w.Interface(w.Pool.Meta[p].TxInterface);
            if (itf is null)
            {
                w.Discard(p, DropReason.InterfaceDown); // deleted while the packet was on its way
                continue;
            }
            var h = w.Pool.Data(p);
            var mtu = itf.Mtu;
            if (w.Pool.Meta[p].Traced)
                w.Trace(p, Name, $"{h.Length} bytes, id {BinaryPrimitives.ReadUInt16BigEndian(h[4..])}, into fragments for {itf.Name} (MTU {mtu})");
            if (Cut(p, h, mtu, later)) w.Pool.Free(p);
        }
    }

    /// <summary>
    /// Cuts packet <paramref name="p"/> (<paramref name="h"/>) into fragments of at most <paramref name="mtu"/>
    /// bytes, sent to ip4-rewrite; false when not all could be made (the packet is then discarded).
    /// </summary>
    private bool Cut(int p, ReadOnlySpan<byte> h, int mtu, Span<byte> later)
    {
        var headerLength = Ip4.HeaderLength(h);
        var laterLength = CopiedOptions(h[..headerLength], later);
        var field = BinaryPrimitives.ReadUInt16BigEndian(h[6..]);
        var offset = (field & OffsetMask) * 8; // where this packet's data starts in the original datagram
        var lastMore = field & MoreFragments;
        var keep = field & ~(MoreFragments | OffsetMask);
        var data = h[headerLength..];
        if (mtu - Math.Max(headerLength, laterLength) < 8)
        {
            w.Discard(p, DropReason.FragmentationNeeded); // no room for data (the API keeps MTUs at 68 or more, which always has)
            return false;
        }
        for (var at = 0; at < data.Length;)
        {
            var header = at == 0 ? h[..headerLength] : later[..laterLength];
            var size = Math.Min((mtu - header.Length) & ~7, data.Length - at);
            var f = w.Pool.AllocatePiece(p, header.Length + size);
            if (f < 0)
            {
                w.Discard(p, DropReason.NoBuffer); // the pieces not cut yet are lost
                return false;
            }
            ref var fm = ref w.Pool.Meta[f];
            fm.Held = true; // its TTL was lowered: ip4-rewrite must not lower it again
            var d = w.Pool.Data(f);
            header.CopyTo(d);
            data.Slice(at, size).CopyTo(d[header.Length..]);
            var more = at + size < data.Length ? MoreFragments : lastMore;
            BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)fm.Length);
            BinaryPrimitives.WriteUInt16BigEndian(d[6..], (ushort)(keep | more | (offset + at) / 8));
            d[10] = d[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(d[10..], Checksum.Compute(d[..header.Length]));
            w.Graph.Enqueue(w.Rewrite, f);
            at += size;
            Made++;
        }
        return true;
    }

    /// <summary>
    /// Writes the header of the fragments after the first into <paramref name="into"/>: the fixed part and the
    /// options whose copied flag is set (RFC 791 §3.1), padded with end-of-options to a multiple of 4; returns its
    /// length. An option running past the header ends the list.
    /// </summary>
    internal static int CopiedOptions(ReadOnlySpan<byte> header, Span<byte> into)
    {
        header[..Ip4.MinHeaderLength].CopyTo(into);
        var length = Ip4.MinHeaderLength;
        for (var i = Ip4.MinHeaderLength; i < header.Length;)
        {
            var type = header[i];
            if (type == 0) break; // end of options
            if (type == 1)
            {
                i++; // no-operation: not copied
                continue;
            }
            if (i + 1 >= header.Length || header[i + 1] < 2 || i + header[i + 1] > header.Length) break;
            var optionLength = header[i + 1];
            if ((type & 0x80) != 0)
            {
                header.Slice(i, optionLength).CopyTo(into[length..]);
                length += optionLength;
            }
            i += optionLength;
        }
        while (length % 4 != 0) into[length++] = 0;
        into[0] = (byte)(0x40 | length / 4);
        return length;
    }
}
