using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Mgmt.Dataplane.Fib;

/// <summary>
/// IPv4 longest-prefix match in a 16-8-8 multibit trie (the shape of VPP's ip4 mtrie): a 65,536-slot root indexed
/// by the first 16 bits, and 256-slot plies for the next 8 and the last 8, created only under prefixes longer
/// than /16 or /24. A slot holds a leaf (a route index below <see cref="PlyFlag"/>) or a ply; beside it, the length
/// of the prefix that put the leaf there, so that a longer prefix is never overwritten by a shorter one and a
/// deleted prefix gives its slots back to the prefix that covers it. A lookup is two to three array reads.
/// </summary>
/// <remarks>
/// One writer (the control plane) and any number of readers (workers) without locks: every slot is one aligned
/// 32-bit write, a ply is filled before the slot that points to it is written, and the ply list is replaced, not
/// grown in place. A reader sees each slot old or new.
/// </remarks>
internal sealed class Ip4Mtrie
{
    public const uint PlyFlag = 0x8000_0000;
    private const int PlySize = 256;

    private readonly uint[] _root = new uint[1 << 16];
    private readonly byte[] _rootDepth = new byte[1 << 16];

    // Every ply in one array (ply i at i * 256): a lookup is two dependent reads, not a walk through objects.
    private uint[] _plies = new uint[64 * PlySize];
    private byte[] _plyDepths = new byte[64 * PlySize];
    private int _plyCount;

    public int PlyCount => _plyCount;

    /// <summary>The leaf of the longest prefix that covers <paramref name="address"/> (0 when none does).</summary>
    public uint Lookup(uint address)
    {
        var e = _root[address >> 16];
        if ((e & PlyFlag) == 0) return e;
        var plies = Volatile.Read(ref _plies);
        e = plies[(int)((e & ~PlyFlag) << 8 | (address >> 8) & 0xff)];
        if ((e & PlyFlag) == 0) return e;
        return plies[(int)((e & ~PlyFlag) << 8 | address & 0xff)];
    }

    /// <summary>
    /// The leaves of a vector of addresses (<see cref="Lookup"/> of each), with the trie's reads overlapped: one pass
    /// reads each root slot (prefetched <see cref="RootAhead"/> addresses before) and prefetches the ply slot it
    /// points to; a second pass reads those ply slots, fetched meanwhile. One lookup after another would wait for
    /// each of its two or three reads in turn, mostly cache misses with a large table.
    /// </summary>
    public unsafe void LookupMany(ReadOnlySpan<uint> addresses, Span<uint> leaves)
    {
        if (leaves.Length < addresses.Length) throw new ArgumentException("fewer leaves than addresses", nameof(leaves));
        var root = _root;
        var plies = Volatile.Read(ref _plies);
        var prefetch = Sse.IsSupported;
        for (var i = 0; i < addresses.Length; i++)
        {
            // A prefetch never faults: the address of a slot is harmless even if the array moves meanwhile.
            if (prefetch && i + RootAhead < addresses.Length) Sse.Prefetch0(Unsafe.AsPointer(ref root[addresses[i + RootAhead] >> 16]));
            var a = addresses[i];
            var e = root[a >> 16];
            if ((e & PlyFlag) != 0)
            {
                // The ply slot's index, flagged, for the second pass (plies hold far fewer than 2^31 slots).
                var slot = (e & ~PlyFlag) << 8 | (a >> 8) & 0xff;
                if (prefetch && slot < (uint)plies.Length) Sse.Prefetch0(Unsafe.AsPointer(ref plies[slot]));
                e = PlyFlag | slot;
            }
            leaves[i] = e;
        }
        for (var i = 0; i < addresses.Length; i++)
        {
            var e = leaves[i];
            if ((e & PlyFlag) == 0) continue;
            e = plies[(int)(e & ~PlyFlag)];
            if ((e & PlyFlag) != 0) e = plies[(int)((e & ~PlyFlag) << 8 | addresses[i] & 0xff)];
            leaves[i] = e;
        }
    }

    private const int RootAhead = 8;

    /// <summary>Installs <paramref name="leaf"/> for prefix/length where no longer prefix holds the slots.</summary>
    public void Insert(uint prefix, int length, uint leaf)
    {
        if (leaf >= PlyFlag) throw new ArgumentOutOfRangeException(nameof(leaf));
        Walk(-1, 0, 16, prefix, length, leaf, (byte)length, replaceOnly: false);
    }

    /// <summary>Removes prefix/length: its slots get <paramref name="coverLeaf"/> of the covering prefix of length <paramref name="coverLength"/>.</summary>
    public void Remove(uint prefix, int length, uint coverLeaf, int coverLength) =>
        Walk(-1, 0, 16, prefix, length, coverLeaf, (byte)coverLength, replaceOnly: true, (byte)length);

    // Slot i of ply p (p = -1: the root).
    private ref uint Leaf(int ply, int i) => ref ply < 0 ? ref _root[i] : ref _plies[ply * PlySize + i];

    private ref byte Depth(int ply, int i) => ref ply < 0 ? ref _rootDepth[i] : ref _plyDepths[ply * PlySize + i];

    // A ply covering bits [baseLength, baseLength + width) of the address. Insert: slots whose depth is at most
    // the new length take the leaf. Remove: slots whose depth is exactly the removed length take the cover.
    private void Walk(int ply, int baseLength, int width, uint prefix, int length, uint leaf, byte depth, bool replaceOnly, byte removed = 0)
    {
        var shift = 32 - baseLength - width;
        var mask = (1u << width) - 1;
        if (length <= baseLength + width)
        {
            var count = 1 << (baseLength + width - length);
            var first = (int)((prefix >> shift) & mask) & ~(count - 1);
            for (var i = first; i < first + count; i++) Set(ply, i, length, leaf, depth, replaceOnly, removed);
            return;
        }
        var slot = (int)((prefix >> shift) & mask);
        var e = Leaf(ply, slot);
        if ((e & PlyFlag) == 0)
        {
            if (replaceOnly) return; // nothing longer than this level was ever installed here
            var child = AddPly(e, Depth(ply, slot));
            Volatile.Write(ref Leaf(ply, slot), PlyFlag | (uint)child);
            e = PlyFlag | (uint)child;
        }
        Walk((int)(e & ~PlyFlag), baseLength + width, 8, prefix, length, leaf, depth, replaceOnly, removed);
    }

    private void Set(int ply, int i, int length, uint leaf, byte depth, bool replaceOnly, byte removed)
    {
        var e = Leaf(ply, i);
        if ((e & PlyFlag) != 0)
        {
            var child = (int)(e & ~PlyFlag);
            for (var k = 0; k < PlySize; k++) Set(child, k, length, leaf, depth, replaceOnly, removed);
            return;
        }
        ref var d = ref Depth(ply, i);
        if (replaceOnly ? d != removed : d > length) return;
        d = depth;
        Volatile.Write(ref Leaf(ply, i), leaf);
    }

    // A new ply filled with the leaf it refines, written before the slot that points to it.
    private int AddPly(uint leaf, byte depth)
    {
        if ((_plyCount + 1) * PlySize > _plies.Length)
        {
            var bigger = new uint[_plies.Length * 2];
            Array.Copy(_plies, bigger, _plyCount * PlySize);
            var biggerDepths = new byte[_plyDepths.Length * 2];
            Array.Copy(_plyDepths, biggerDepths, _plyCount * PlySize);
            _plyDepths = biggerDepths;
            Volatile.Write(ref _plies, bigger);
        }
        var index = _plyCount;
        _plies.AsSpan(index * PlySize, PlySize).Fill(leaf);
        _plyDepths.AsSpan(index * PlySize, PlySize).Fill(depth);
        _plyCount++;
        return index;
    }
}
