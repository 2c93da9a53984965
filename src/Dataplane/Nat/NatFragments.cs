using System.Buffers.Binary;

namespace Mgmt.Dataplane.Nat;

/// <summary>
/// Fragments after the first of a translated packet carry no ports to find their session by; the first fragment's
/// translation is kept here under the fragments' common identity (source, destination, identification, protocol),
/// so that the rest are translated the same way (VPP's shallow virtual reassembly, without holding packets: a later
/// fragment that comes before its first is dropped). Shared by the workers: the steering sends a later fragment to
/// the worker that translated the first, which the entry names.
/// </summary>
/// <remarks>
/// A fixed table of entries, one per hash slot (a newer packet takes the slot over); a worker writes an entry under a
/// sequence count (odd while writing) and readers on any worker take it only when the count is even and unchanged
/// around their read. Entries last <see cref="LifetimeMs"/>.
/// </remarks>
internal sealed class NatFragments
{
    public const int LifetimeMs = 2000;
    private const int Slots = 4096;

    private struct Entry
    {
        public int Sequence;
        public ulong Addresses; // source << 32 | destination, as the fragments come
        public uint Rest; // identification << 8 | protocol
        public int Worker;
        public uint Source, Destination; // as they leave
        public long Stamp;
    }

    private readonly Entry[] _entries = new Entry[Slots];

    /// <summary>Notes how the first fragment of a packet was translated (the worker that did it).</summary>
    public void Record(ReadOnlySpan<byte> original, uint source, uint destination, int worker, long now)
    {
        var (addresses, rest) = Identity(original);
        ref var e = ref _entries[Slot(addresses, rest)];
        var sequence = e.Sequence;
        if ((sequence & 1) != 0) return; // another worker is writing it: this packet's rest will be dropped
        if (Interlocked.CompareExchange(ref e.Sequence, sequence + 1, sequence) != sequence) return;
        e.Addresses = addresses;
        e.Rest = rest;
        e.Worker = worker;
        e.Source = source;
        e.Destination = destination;
        e.Stamp = now;
        Volatile.Write(ref e.Sequence, sequence + 2);
    }

    /// <summary>The translation of a later fragment's packet, when its first fragment was translated lately.</summary>
    public bool TryFind(ReadOnlySpan<byte> fragment, long now, out int worker, out uint source, out uint destination)
    {
        var (addresses, rest) = Identity(fragment);
        ref var e = ref _entries[Slot(addresses, rest)];
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var before = Volatile.Read(ref e.Sequence);
            if ((before & 1) != 0) continue;
            var (a, r, w, s, d, t) = (e.Addresses, e.Rest, e.Worker, e.Source, e.Destination, e.Stamp);
            if (Volatile.Read(ref e.Sequence) != before) continue;
            if (a == addresses && r == rest && t != 0 && now - t <= LifetimeMs)
            {
                (worker, source, destination) = (w, s, d);
                return true;
            }
            break;
        }
        (worker, source, destination) = (-1, 0, 0);
        return false;
    }

    private static (ulong Addresses, uint Tail) Identity(ReadOnlySpan<byte> ip) =>
        ((ulong)BinaryPrimitives.ReadUInt32BigEndian(ip[12..]) << 32 | BinaryPrimitives.ReadUInt32BigEndian(ip[16..]),
         (uint)BinaryPrimitives.ReadUInt16BigEndian(ip[4..]) << 8 | ip[9]);

    private static int Slot(ulong addresses, uint rest)
    {
        var h = (addresses ^ rest) * 0x9e37_79b9_7f4a_7c15UL;
        return (int)(h >> 52); // 12 bits: 4096 slots
    }
}
