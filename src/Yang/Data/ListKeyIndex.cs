using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// The entries of one list under one parent, found by their keys: an open-addressing hash table of the entries
/// themselves (linear probing, at most 4/5 full), so an index costs about 10 bytes per entry and no object per
/// entry. Hashes are computed from the key leaves' canonical values when needed, never stored. Of two entries
/// with the same keys (only in a tree not yet validated, or being undone) the one added first stays indexed:
/// <see cref="FindLike"/> from the later one finds it, and removing the later one leaves the index right.
/// </summary>
internal sealed class ListKeyIndex
{
    private DataInner?[] _slots;
    private int _count;

    public ListKeyIndex(ListSchema list, int capacity)
    {
        List = list;
        var size = 16;
        while (size * 4 < capacity * 5) size *= 2;
        _slots = new DataInner?[size];
    }

    public ListSchema List { get; }

    /// <summary>The next index of the same parent (a node rarely holds entries of more than one list).</summary>
    public ListKeyIndex? Next { get; set; }

    public DataInner? Find(IReadOnlyList<string> keyValues)
    {
        var mask = _slots.Length - 1;
        for (var i = HashOf(keyValues) & mask; ; i = (i + 1) & mask)
        {
            var e = _slots[i];
            if (e is null) return null;
            if (KeysEqual(e, keyValues)) return e;
        }
    }

    /// <summary>The indexed entry with the keys of <paramref name="entry"/> (possibly itself), or null.</summary>
    public DataInner? FindLike(DataInner entry)
    {
        var mask = _slots.Length - 1;
        for (var i = HashOf(entry) & mask; ; i = (i + 1) & mask)
        {
            var e = _slots[i];
            if (e is null) return null;
            if (ReferenceEquals(e, entry) || SameKeys(e, entry)) return e;
        }
    }

    public void Add(DataInner entry)
    {
        if ((_count + 1) * 5 > _slots.Length * 4) Grow();
        var mask = _slots.Length - 1;
        for (var i = HashOf(entry) & mask; ; i = (i + 1) & mask)
        {
            var e = _slots[i];
            if (e is null)
            {
                _slots[i] = entry;
                _count++;
                return;
            }
            if (ReferenceEquals(e, entry)) return;
            if (SameKeys(e, entry)) return;
        }
    }

    /// <summary>Removes <paramref name="entry"/> itself (not another entry with its keys).</summary>
    public void Remove(DataInner entry)
    {
        var mask = _slots.Length - 1;
        var i = HashOf(entry) & mask;
        for (; ; i = (i + 1) & mask)
        {
            var e = _slots[i];
            if (e is null) return;
            if (ReferenceEquals(e, entry)) break;
        }
        // Backward-shift deletion: move later members of the probe run into the hole when their home allows it.
        _count--;
        var hole = i;
        for (var j = (i + 1) & mask; ; j = (j + 1) & mask)
        {
            var e = _slots[j];
            if (e is null) break;
            var home = HashOf(e) & mask;
            // e may fill the hole when its home is not cyclically within (hole, j].
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                _slots[hole] = e;
                hole = j;
            }
        }
        _slots[hole] = null;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new DataInner?[old.Length * 2];
        _count = 0;
        foreach (var e in old)
            if (e is not null) Add(e);
    }

    private int HashOf(DataInner entry)
    {
        var keys = List.Keys;
        if (keys.Length == 1) return (KeyValue(entry, keys[0]) ?? "").GetHashCode();
        var h = new HashCode();
        foreach (var k in keys) h.Add(KeyValue(entry, k) ?? "");
        return h.ToHashCode();
    }

    private int HashOf(IReadOnlyList<string> keyValues)
    {
        if (keyValues.Count == 1) return keyValues[0].GetHashCode();
        var h = new HashCode();
        for (var i = 0; i < keyValues.Count; i++) h.Add(keyValues[i]);
        return h.ToHashCode();
    }

    private bool KeysEqual(DataInner entry, IReadOnlyList<string> keyValues)
    {
        var keys = List.Keys;
        for (var i = 0; i < keys.Length; i++)
            if ((KeyValue(entry, keys[i]) ?? "") != keyValues[i]) return false;
        return true;
    }

    private bool SameKeys(DataInner a, DataInner b)
    {
        foreach (var k in List.Keys)
            if ((KeyValue(a, k) ?? "") != (KeyValue(b, k) ?? "")) return false;
        return true;
    }

    private static string? KeyValue(DataInner entry, LeafSchema key) => (entry.Find(key) as DataLeaf)?.Value;
}
