using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// The entries of one list under one parent, found by their keys: an open-addressing hash table of the entries
/// themselves with their key hashes beside them (linear probing, between about 1/2 and 7/10 full), so an index
/// costs 17 to 24 bytes per entry and no object per entry. A probe compares hashes first and reads an entry's key
/// leaves only when the hash matches.
/// Of two entries with the same keys (only in a tree being undone) the one added first stays indexed, and
/// removing the later one leaves the index right.
/// </summary>
internal sealed class ListKeyIndex
{
    private DataInner?[] _slots;
    private int[] _hashes;
    private int _count;

    public ListKeyIndex(ListSchema list, int capacity)
    {
        List = list;
        _slots = new DataInner?[Math.Max(16, capacity * 3 / 2)];
        _hashes = new int[_slots.Length];
    }

    public ListSchema List { get; }

    /// <summary>The next index of the same parent (a node rarely holds entries of more than one list).</summary>
    public ListKeyIndex? Next { get; set; }

    public DataInner? Find(IReadOnlyList<string> keyValues)
    {
        var hash = HashOf(keyValues);
        for (var i = Home(hash); ; i = Step(i))
        {
            var e = _slots[i];
            if (e is null || _hashes[i] == hash && KeysEqual(e, keyValues)) return e;
        }
    }

    public void Add(DataInner entry)
    {
        if ((_count + 1) * 10 > _slots.Length * 7) Resize(_slots.Length * 3 / 2);
        var i = SlotOf(entry, out var hash);
        if (_slots[i] is not null) return; // entry itself, or an earlier twin
        Put(_slots, i, entry);
        _hashes[i] = hash;
        _count++;
    }

    /// <summary>Removes <paramref name="entry"/> itself (not another entry with its keys).</summary>
    public void Remove(DataInner entry)
    {
        var hole = SlotOf(entry, out _);
        if (!ReferenceEquals(_slots[hole], entry)) return;
        _count--;
        // Backward-shift deletion: later members of the probe run move into the hole unless their home lies
        // cyclically within (hole, j].
        for (var j = Step(hole); _slots[j] is { } e; j = Step(j))
        {
            if (Distance(Home(_hashes[j]), j) >= Distance(hole, j))
            {
                Put(_slots, hole, e);
                _hashes[hole] = _hashes[j];
                hole = j;
            }
        }
        _slots[hole] = null;
        if (_count * 5 < _slots.Length && _slots.Length > 16) Resize(Math.Max(16, _count * 3 / 2));
    }

    // The slot of the entry with entry's keys, or the empty slot where it would go.
    private int SlotOf(DataInner entry, out int hash)
    {
        var keys = List.Keys;
        hash = 0;
        for (var k = 0; k < keys.Length; k++)
        {
            var h = KeyLeaf(entry, keys[k])?.ValueHashCode() ?? "".GetHashCode();
            hash = k == 0 ? h : HashCode.Combine(hash, h);
        }
        for (var i = Home(hash); ; i = Step(i))
        {
            var e = _slots[i];
            if (e is null || ReferenceEquals(e, entry) || _hashes[i] == hash && SameKeys(e, entry)) return i;
        }
    }

    private void Resize(int size)
    {
        var (old, oldHashes) = (_slots, _hashes);
        _slots = new DataInner?[size];
        _hashes = new int[size];
        for (var j = 0; j < old.Length; j++)
        {
            if (old[j] is null) continue;
            var i = Home(oldHashes[j]);
            while (_slots[i] is not null) i = Step(i);
            Put(_slots, i, old[j]);
            _hashes[i] = oldHashes[j];
        }
    }

    // The slot arrays are created here as exactly DataInner?[]: a store needs no covariance check.
    private static void Put(DataInner?[] slots, int i, DataInner? entry) =>
        System.Runtime.CompilerServices.Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(slots), i) = entry;

    // Any table size: the hash's high bits pick the home slot.
    private int Home(int hash) => (int)(((ulong)(uint)hash * (ulong)_slots.Length) >> 32);

    private int Step(int i) => i + 1 == _slots.Length ? 0 : i + 1;

    private int Distance(int from, int to) => to >= from ? to - from : to + _slots.Length - from;

    // The same hash as SlotOf gives an entry with these key values.
    private static int HashOf(IReadOnlyList<string> keyValues)
    {
        var hash = 0;
        for (var k = 0; k < keyValues.Count; k++)
            hash = k == 0 ? keyValues[k].GetHashCode() : HashCode.Combine(hash, keyValues[k].GetHashCode());
        return hash;
    }

    private bool KeysEqual(DataInner entry, IReadOnlyList<string> keyValues)
    {
        var keys = List.Keys;
        Span<char> scratch = stackalloc char[DataLeaf.ScratchLength];
        for (var i = 0; i < keys.Length; i++)
        {
            var leaf = KeyLeaf(entry, keys[i]);
            if (!(leaf is null ? "" : leaf.ValueChars(scratch)).SequenceEqual(keyValues[i])) return false;
        }
        return true;
    }

    private bool SameKeys(DataInner a, DataInner b)
    {
        foreach (var k in List.Keys)
        {
            var (ka, kb) = (KeyLeaf(a, k), KeyLeaf(b, k));
            if (ka is null || kb is null ? (ka?.Value ?? "") != (kb?.Value ?? "") : !ka.ValueEquals(kb)) return false;
        }
        return true;
    }

    // A missing key (a tree not yet validated) counts as the empty string.
    private static DataLeaf? KeyLeaf(DataInner entry, LeafSchema key) => entry.Find(key) as DataLeaf;
}
