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

    /// <summary>Reads up to <see cref="Size"/> packets and finds their sessions (-1: none; fragments and truncated packets get -1).</summary>
    public void Load(PacketPool pool, ReadOnlySpan<int> packets, SessionTable<FlowKey4> table)
    {
        var n = packets.Length;
        for (var i = 0; i < n; i++) Kinds[i] = NatPacket.Read(pool.Data(packets[i]), out Keys[i], out L4[i], out Flags[i]);
        table.FindMany(Keys.AsSpan(0, n), Sessions.AsSpan(0, n), Replies.AsSpan(0, n), _hashes.AsSpan(0, n));
        for (var i = 0; i < n; i++)
            if (Kinds[i] is NatPacketKind.Fragment or NatPacketKind.Truncated) Sessions[i] = -1;
    }
}
