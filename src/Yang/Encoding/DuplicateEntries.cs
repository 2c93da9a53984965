using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>
/// Finds, among the children of a node whose content has been read, the first entry of a keyed list with the keys
/// of an earlier entry, or the first repeated value of a configuration leaf-list (RFC 7950 §7.8.2, §7.7.1).
/// Readers check a node once it is complete rather than each entry as it arrives, so a large list needs no key
/// index while it is read: a small node is compared pairwise, a large one through tables of child positions that
/// live only for the check, one group of entries (by hash) at a time. Hashes are cheap to recompute per group: a
/// prefix key hashes its packed bits.
/// </summary>
internal static class DuplicateEntries
{
    // Up to this many children, pairwise comparison is cheaper than a table.
    private const int PairwiseMax = 12;

    // Entries a pass takes (a table of 4 bytes a slot at most 7/10 full stays below the large object heap), and
    // the most passes made (a larger node takes larger tables).
    private const int PerPass = 12_000;
    private const int MaxPasses = 8;

    /// <summary>The later of the first two children found equal, or null.</summary>
    public static DataNode? Find(DataInner node) => Find(node, null);

    /// <summary><see cref="Find(DataInner)"/> starting from a table of the given size (tests make it grow).</summary>
    internal static DataNode? Find(DataInner node, int? firstTableSize)
    {
        var children = node.Children;
        var n = children.Count;
        if (n < 2) return null;
        if (n <= PairwiseMax)
        {
            for (var i = 1; i < n; i++)
            {
                var c = children[i];
                if (!Checked(c.Schema)) continue;
                for (var j = 0; j < i; j++)
                    if (ReferenceEquals(children[j].Schema, c.Schema) && SameIdentity(children[j], c)) return c;
            }
            return null;
        }
        // A large container of leaves has nothing to check.
        var any = false;
        for (var i = 0; i < n && !any; i++) any = Checked(children[i].Schema);
        if (!any) return null;
        // Entries in up to MaxPasses groups by hash, one group per pass through the children, so the table stays
        // small enough for the ordinary heap (a table for all 100k routes at once was 0.6 MB at the peak).
        var passes = Math.Clamp((n + PerPass - 1) / PerPass, 1, MaxPasses);
        var slots = new int[firstTableSize ?? Math.Max(16, n / passes * 10 / 7 + 1)];
        var first = int.MaxValue; // the earliest repeat found in any group
        for (var pass = 0; pass < passes; pass++)
        {
            var found = FindInGroup(children, passes, pass, ref slots);
            if (found >= 0 && found < first) first = found;
        }
        return first == int.MaxValue ? null : children[first];
    }

    // The position of the first repeat among the children whose hash falls in the group, or -1. A group larger
    // than the table allows (hashes that crowd one group) starts again with a table twice as large.
    private static int FindInGroup(ArrayView<DataNode> children, int groups, int group, ref int[] slots)
    {
        while (true)
        {
            Array.Clear(slots);
            var held = 0;
            var full = false;
            for (var i = 0; i < children.Count && !full; i++)
            {
                var c = children[i];
                if (!Checked(c.Schema)) continue;
                var hash = HashOf(c);
                if ((uint)hash % (uint)groups != (uint)group) continue;
                for (var s = Home(hash, slots.Length); ; s = s + 1 == slots.Length ? 0 : s + 1)
                {
                    var at = slots[s] - 1; // positions are stored plus one: zero is an empty slot
                    if (at < 0)
                    {
                        slots[s] = i + 1;
                        full = ++held * 10 > slots.Length * 7;
                        break;
                    }
                    var other = children[at];
                    if (ReferenceEquals(other.Schema, c.Schema) && SameIdentity(other, c)) return i;
                }
            }
            if (!full) return -1;
            slots = new int[slots.Length * 2];
        }
    }

    private static bool Checked(SchemaNode schema) =>
        schema is ListSchema { Keys.Length: > 0 } || schema is LeafListSchema { Config: true };

    // Any table size: the hash's high bits pick the home slot.
    private static int Home(int hash, int size) => (int)((ulong)(uint)hash * (ulong)size >> 32);

    private static int HashOf(DataNode node)
    {
        var hash = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(node.Schema);
        if (node is DataLeaf leaf) return Mix(hash, leaf.IdentityHash());
        foreach (var k in ((ListSchema)node.Schema).Keys)
            hash = Mix(hash, ((DataInner)node).Find(k) is DataLeaf key ? key.IdentityHash() : 0);
        return hash;
    }


    // Combines and spreads the bits (murmur3's finalizer): the low ones pick the group, the high ones the slot, and
    // the keys of a route table differ in few bits.
    private static int Mix(int hash, int value)
    {
        var h = (uint)(hash * 31 + value);
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return (int)h;
    }

    // Two entries of one list with equal keys, or two equal leaf-list values.
    private static bool SameIdentity(DataNode a, DataNode b)
    {
        if (a is DataLeaf la) return la.ValueEquals((DataLeaf)b);
        foreach (var k in ((ListSchema)a.Schema).Keys)
        {
            var ka = ((DataInner)a).Find(k) as DataLeaf;
            var kb = ((DataInner)b).Find(k) as DataLeaf;
            if (ka is null || kb is null ? ka != kb : !ka.ValueEquals(kb)) return false;
        }
        return true;
    }
}
