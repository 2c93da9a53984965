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

/// <summary>A read-only view of the first <c>count</c> items of an array, with a struct enumerator.</summary>
public readonly struct ArrayView<T>(T[]? items, int count) : IReadOnlyList<T>
{
    public int Count => count;

    public T this[int index] => (uint)index < (uint)count ? items![index] : throw new ArgumentOutOfRangeException(nameof(index));

    public ReadOnlySpan<T> AsSpan() => items.AsSpan(0, count);

    public Enumerator GetEnumerator() => new(items, count);

    IEnumerator<T> IEnumerable<T>.GetEnumerator()
    {
        for (var i = 0; i < count; i++) yield return items![i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

    public struct Enumerator(T[]? items, int count)
    {
        private int _index = -1;

        public readonly T Current => items![_index];

        public bool MoveNext() => ++_index < count;
    }
}
