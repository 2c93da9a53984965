using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>
/// Finds, among the children of a node whose content has been read, the first entry of a keyed list with the keys
/// of an earlier entry, or the first repeated value of a configuration leaf-list (RFC 7950 §7.8.2, §7.7.1).
/// Readers check a node once it is complete rather than each entry as it arrives, so a large list needs no key
/// index while it is read: a small node is compared pairwise, a large one through a table of child positions that
/// lives only for the check (4 bytes a slot, at most 7/10 full: 5.7 bytes an entry).
/// </summary>
internal static class DuplicateEntries
{
    // Up to this many children, pairwise comparison is cheaper than a table.
    private const int PairwiseMax = 12;

    /// <summary>The later of the first two children found equal, or null.</summary>
    public static DataNode? Find(DataInner node)
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
        int[]? slots = null;
        for (var i = 0; i < n; i++)
        {
            var c = children[i];
            if (!Checked(c.Schema)) continue;
            slots ??= new int[n * 10 / 7 + 1];
            for (var s = Home(HashOf(c), slots.Length); ; s = s + 1 == slots.Length ? 0 : s + 1)
            {
                var at = slots[s] - 1; // positions are stored plus one: zero is an empty slot
                if (at < 0)
                {
                    slots[s] = i + 1;
                    break;
                }
                var other = children[at];
                if (ReferenceEquals(other.Schema, c.Schema) && SameIdentity(other, c)) return c;
            }
        }
        return null;
    }

    private static bool Checked(SchemaNode schema) =>
        schema is ListSchema { Keys.Length: > 0 } || schema is LeafListSchema { Config: true };

    // Any table size: the hash's high bits pick the home slot.
    private static int Home(int hash, int size) => (int)((ulong)(uint)hash * (ulong)size >> 32);

    private static int HashOf(DataNode node)
    {
        var hash = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(node.Schema);
        if (node is DataLeaf leaf) return Mix(hash, leaf.ValueHashCode());
        foreach (var k in ((ListSchema)node.Schema).Keys)
            hash = Mix(hash, ((DataInner)node).Find(k) is DataLeaf key ? key.ValueHashCode() : 0);
        return hash;
    }

    // Spreads the bits to the top, which pick the slot.
    private static int Mix(int hash, int value) => (int)((uint)(hash * 31 + value) * 0x9E3779B1u);

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
