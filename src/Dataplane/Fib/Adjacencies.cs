namespace Mgmt.Dataplane.Fib;

/// <summary>
/// A FIB's forwarding decisions, referred to by the trie or hash leaves that point at them: routes with the same
/// decision share one slot (next hops are few, prefixes many); slot 0 is "no route". Slots are never reused or
/// changed, so a worker holding an old leaf still finds the decision it was made for; the array is replaced as a
/// whole when it grows.
/// </summary>
internal sealed class Adjacencies<T>(int capacity) where T : struct, IEquatable<T>
{
    private T[] _slots = new T[capacity];
    private int _count = 1;
    private readonly Dictionary<T, uint> _leaves = [];

    /// <summary>The slots as the workers read them (read once per lookup, then index).</summary>
    public T[] Current => Volatile.Read(ref _slots);

    public T this[uint leaf] => Current[leaf];

    /// <summary>The leaf of a decision, made if new.</summary>
    public uint Leaf(T decision)
    {
        if (_leaves.TryGetValue(decision, out var known)) return known;
        if ((uint)_count >= Ip4Mtrie.PlyFlag - 1) throw new DataplaneException("adjacency table full");
        if (_count == _slots.Length)
        {
            var bigger = new T[_slots.Length * 2];
            Array.Copy(_slots, bigger, _count);
            bigger[_count] = decision;
            Volatile.Write(ref _slots, bigger);
        }
        else _slots[_count] = decision;
        _leaves.Add(decision, (uint)_count);
        return (uint)_count++;
    }
}
