namespace Mgmt.Yang;

/// <summary>
/// A read-only view of a list whose enumerator is a struct, so that <c>foreach</c> over the children of
/// statements, schema nodes and data nodes allocates nothing (an <see cref="IReadOnlyList{T}"/> would box it).
/// </summary>
public readonly struct ListView<T>(List<T>? list) : IReadOnlyList<T>
{
    private static readonly List<T> Empty = [];

    private List<T> Items => list ?? Empty;

    public int Count => list?.Count ?? 0;

    public T this[int index] => Items[index];

    public List<T>.Enumerator GetEnumerator() => Items.GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => Items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => Items.GetEnumerator();
}

/// <summary>
/// A read-only view of the first <c>count</c> items of an array, of arrays of <see cref="Data.ChildChunks.Size"/>
/// items each (a large node's children), or of one or two items held without an array, with a struct enumerator.
/// </summary>
public readonly struct ArrayView<T> : IReadOnlyList<T>
{
    private readonly T[]? _items;
    private readonly T[]?[]? _chunks;
    private readonly T? _single;
    private readonly T? _second;
    private readonly int _count;

    public ArrayView(T[]? items, int count)
    {
        _items = items;
        _count = count;
    }

    /// <summary>A view of the first <paramref name="count"/> items of consecutive chunks.</summary>
    public ArrayView(T[]?[] chunks, int count)
    {
        _chunks = chunks;
        _count = count;
    }

    /// <summary>A view of exactly one item.</summary>
    public ArrayView(T single)
    {
        _single = single;
        _count = 1;
    }

    /// <summary>A view of exactly two items.</summary>
    public ArrayView(T first, T second)
    {
        _single = first;
        _second = second;
        _count = 2;
    }

    public int Count => _count;

    public T this[int index] => (uint)index < (uint)_count ? Get(index) : throw new ArgumentOutOfRangeException(nameof(index));

    // An index already checked against the count.
    private T Get(int index) =>
        _items is not null ? _items[index]
        : _chunks is not null ? _chunks[index >> Data.ChildChunks.Shift]![index & Data.ChildChunks.Mask]
        : index == 0 ? _single! : _second!;

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator()
    {
        for (var i = 0; i < _count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

    public struct Enumerator(ArrayView<T> view)
    {
        private int _index = -1;

        public readonly T Current => view._items is not null ? view._items[_index] : view.Get(_index);

        public bool MoveNext() => ++_index < view._count;
    }
}
