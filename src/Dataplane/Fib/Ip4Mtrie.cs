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

    private readonly uint[] _root = new uint[1 << 16];
    private readonly byte[] _rootDepth = new byte[1 << 16];
    private Ply[] _plies = new Ply[64];
    private int _plyCount;

    private sealed class Ply(uint leaf, byte depth)
    {
        public readonly uint[] Leaves = Filled(leaf);
        public readonly byte[] Depths = FilledDepth(depth);

        private static uint[] Filled(uint v) { var a = new uint[256]; Array.Fill(a, v); return a; }

        private static byte[] FilledDepth(byte v) { var a = new byte[256]; Array.Fill(a, v); return a; }
    }

    public int PlyCount => _plyCount;

    /// <summary>The leaf of the longest prefix that covers <paramref name="address"/> (0 when none does).</summary>
    public uint Lookup(uint address)
    {
        var e = _root[address >> 16];
        if ((e & PlyFlag) == 0) return e;
        var plies = Volatile.Read(ref _plies);
        e = plies[e & ~PlyFlag].Leaves[(address >> 8) & 0xff];
        if ((e & PlyFlag) == 0) return e;
        return plies[e & ~PlyFlag].Leaves[address & 0xff];
    }

    /// <summary>Installs <paramref name="leaf"/> for prefix/length where no longer prefix holds the slots.</summary>
    public void Insert(uint prefix, int length, uint leaf)
    {
        if (leaf >= PlyFlag) throw new ArgumentOutOfRangeException(nameof(leaf));
        Walk(_root, _rootDepth, 0, 16, prefix, length, leaf, (byte)length, replaceOnly: false);
    }

    /// <summary>Removes prefix/length: its slots get <paramref name="coverLeaf"/> of the covering prefix of length <paramref name="coverLength"/>.</summary>
    public void Remove(uint prefix, int length, uint coverLeaf, int coverLength) =>
        Walk(_root, _rootDepth, 0, 16, prefix, length, coverLeaf, (byte)coverLength, replaceOnly: true, (byte)length);

    // A ply covering bits [baseLength, baseLength + width) of the address. Insert: slots whose depth is at most
    // the new length take the leaf. Remove: slots whose depth is exactly the removed length take the cover.
    private void Walk(uint[] leaves, byte[] depths, int baseLength, int width, uint prefix, int length, uint leaf, byte depth,
        bool replaceOnly, byte removed = 0)
    {
        var shift = 32 - baseLength - width;
        var mask = (1u << width) - 1;
        if (length <= baseLength + width)
        {
            var count = 1 << (baseLength + width - length);
            var first = (int)((prefix >> shift) & mask) & ~(count - 1);
            for (var i = first; i < first + count; i++) Set(leaves, depths, i, length, leaf, depth, replaceOnly, removed);
            return;
        }
        var slot = (int)((prefix >> shift) & mask);
        var e = leaves[slot];
        if ((e & PlyFlag) == 0)
        {
            if (replaceOnly) return; // nothing longer than this level was ever installed here
            var ply = new Ply(e, depths[slot]);
            var index = AddPly(ply);
            Volatile.Write(ref leaves[slot], PlyFlag | (uint)index);
            e = leaves[slot];
        }
        var child = _plies[e & ~PlyFlag];
        Walk(child.Leaves, child.Depths, baseLength + width, 8, prefix, length, leaf, depth, replaceOnly, removed);
    }

    private void Set(uint[] leaves, byte[] depths, int i, int length, uint leaf, byte depth, bool replaceOnly, byte removed)
    {
        var e = leaves[i];
        if ((e & PlyFlag) != 0)
        {
            var ply = _plies[e & ~PlyFlag];
            for (var k = 0; k < 256; k++) Set(ply.Leaves, ply.Depths, k, length, leaf, depth, replaceOnly, removed);
            return;
        }
        if (replaceOnly ? depths[i] != removed : depths[i] > length) return;
        depths[i] = depth;
        Volatile.Write(ref leaves[i], leaf);
    }

    private int AddPly(Ply ply)
    {
        if (_plyCount == _plies.Length)
        {
            var bigger = new Ply[_plies.Length * 2];
            Array.Copy(_plies, bigger, _plyCount);
            Volatile.Write(ref _plies, bigger);
        }
        _plies[_plyCount] = ply;
        return _plyCount++;
    }
}
