using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.Nat;

/// <summary>
/// A slice of a vector of IPv4 packets read as flows (<see cref="NatPacket.Read"/>) and looked up in a session
/// table at once (<see cref="SessionTable{TKey}.FindMany"/>), for the nodes that translate by sessions (NAT44,
/// the load balancer). A slice is small enough that its packets, index slots and sessions stay in the first-level
/// cache from the lookup to the rewrite, large enough that the lookups' misses overlap.
/// </summary>
internal sealed class FlowSlice
{
    public const int Size = 64;

    public readonly FlowKey4[] Keys = new FlowKey4[Size];
    public readonly int[] L4 = new int[Size];
    public readonly NatPacketKind[] Kinds = new NatPacketKind[Size];
    public readonly byte[] Flags = new byte[Size];
    public readonly int[] Sessions = new int[Size];
    public readonly bool[] Replies = new bool[Size];
    private readonly uint[] _hashes = new uint[Size];

    /// <summary>A packet's entry in the sticky table (<see cref="Load(PacketPool, ReadOnlySpan{int}, SessionTable{FlowKey4}?, StickyTable{FlowKey4}?, long)"/>), -1: none.</summary>
    public readonly int[] Entries = new int[Size];

    /// <summary>The packets' hashes for the sticky table (to add a new flow with).</summary>
    public readonly ulong[] StickyHashes = new ulong[Size];

    // The tables' change counts when the slice was looked up.
    private int _sessionChanges, _stickyChanges;

    /// <summary>
    /// Makes packet <paramref name="i"/>'s lookups current: an earlier packet of the slice may have opened its flow
    /// or ended a session whose number the lookup found (and a new flow reused), so once a table changed, the
    /// packets after look again (a change is a new flow or an ended one: rare beside established packets).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Refresh(int i, SessionTable<FlowKey4>? table, StickyTable<FlowKey4>? sticky, long now)
    {
        if (table is not null && table.Changes != _sessionChanges || sticky is not null && sticky.Changes != _stickyChanges)
            LookAgain(i, table, sticky, now);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void LookAgain(int i, SessionTable<FlowKey4>? table, StickyTable<FlowKey4>? sticky, long now)
    {
        if (Kinds[i] is NatPacketKind.Fragment or NatPacketKind.Truncated) return;
        if (table is not null && table.Changes != _sessionChanges)
        {
            table.TryFind(Keys[i], out Sessions[i], out Replies[i]);
            if (Sessions[i] < 0) Replies[i] = false;
        }
        if (sticky is not null && sticky.Changes != _stickyChanges) Entries[i] = sticky.Find(StickyHashes[i], now);
    }

    /// <summary>Reads up to <see cref="Size"/> packets and finds their sessions (-1: none; fragments and truncated packets get -1).</summary>
    /// <remarks>
    /// Three passes, so that the memory reads of the lookups overlap (<see cref="SessionTable{TKey}.FindMany"/>):
    /// read each packet's key, hash it and prefetch its bucket; read the buckets and prefetch the sessions; check.
    /// </remarks>
    public void Load(PacketPool pool, ReadOnlySpan<int> packets, SessionTable<FlowKey4> table) => Load(pool, packets, table, null, 0);

    /// <summary>
    /// The same in either table or both: the sessions in <paramref name="table"/> (<see cref="Sessions"/>, all -1
    /// without one) and the flows in <paramref name="sticky"/> (<see cref="Entries"/>, all -1 without one); one
    /// sticky lookup reads one bucket, prefetched in the first pass and read in the second.
    /// </summary>
    public void Load(PacketPool pool, ReadOnlySpan<int> packets, SessionTable<FlowKey4>? table, StickyTable<FlowKey4>? sticky, long now)
    {
        var n = Math.Min(packets.Length, Size);
        var keys = Keys.AsSpan(0, n);
        var l4 = L4.AsSpan(0, n);
        var kinds = Kinds.AsSpan(0, n);
        var flags = Flags.AsSpan(0, n);
        var sessions = Sessions.AsSpan(0, n);
        var replies = Replies.AsSpan(0, n);
        var hashes = _hashes.AsSpan(0, n);
        var entries = Entries.AsSpan(0, n);
        var stickyHashes = StickyHashes.AsSpan(0, n);
        for (var i = 0; i < keys.Length; i++)
        {
            kinds[i] = NatPacket.Read(pool.Data(packets[i]), out keys[i], out l4[i], out flags[i]);
            if (sticky is not null) stickyHashes[i] = sticky.Prepare(keys[i]);
            if (table is not null) hashes[i] = table.Prepare(keys[i]);
        }
        _sessionChanges = table?.Changes ?? 0;
        _stickyChanges = sticky?.Changes ?? 0;
        if (sticky is not null)
        {
            for (var i = 0; i < keys.Length; i++)
                entries[i] = kinds[i] is NatPacketKind.Fragment or NatPacketKind.Truncated ? -1 : sticky.Find(stickyHashes[i], now);
        }
        else entries.Fill(-1);
        if (table is null)
        {
            sessions.Fill(-1);
            replies.Clear();
            return;
        }
        for (var i = 0; i < hashes.Length; i++) sessions[i] = table.Probe(hashes[i]);
        for (var i = 0; i < keys.Length; i++)
        {
            if (kinds[i] is NatPacketKind.Fragment or NatPacketKind.Truncated)
            {
                sessions[i] = -1;
                replies[i] = false;
            }
            else sessions[i] = table.Confirm(keys[i], hashes[i], sessions[i], out replies[i]);
        }
    }
}
