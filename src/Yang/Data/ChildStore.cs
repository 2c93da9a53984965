using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// The children of a node with many, and the key indexes of its lists. While it is small the children are one
/// array; from <see cref="ChildChunks.Size"/> children on they are arrays of that many (64 KB each, below the
/// large object heap), so a large list grows a chunk at a time: nothing it holds is copied, and no large array
/// is left behind for a full collection to return (100k routes grew through 1.9 MB of large arrays to hold
/// 0.8 MB of references). Inserting and removing move the later children by one, chunk by chunk.
/// </summary>
internal sealed class ChildStore
{
    private const int Size = ChildChunks.Size;
    private const int Shift = ChildChunks.Shift;
    private const int Mask = ChildChunks.Mask;

    // Smallest array of a store (a trimmed store may hold a shorter one).
    private const int MinItems = 16;

    // One array while small, else null and the children in chunks (unused chunks null).
    private DataNode[]? _items;
    private DataNode[]?[]? _chunks;

    public ChildStore(DataNode[] items, int count)
    {
        _items = items;
        Count = count;
    }

    public int Count { get; private set; }

    /// <summary>The key indexes built so far, one per list (a node rarely holds entries of more than one).</summary>
    public ListKeyIndex? Indexes;

    public ArrayView<DataNode> View => _items is { } items ? new(items, Count) : new(_chunks!, Count);

    public DataNode this[int index]
    {
        get => _items is { } items ? items[index] : _chunks![index >> Shift]![index & Mask];
        set => Put(_items ?? _chunks![index >> Shift]!, _items is null ? index & Mask : index, value);
    }

    public ListKeyIndex? IndexFor(ListSchema list)
    {
        for (var i = Indexes; i is not null; i = i.Next)
            if (ReferenceEquals(i.List, list)) return i;
        return null;
    }

    public void Insert(int index, DataNode node)
    {
        if (_items is { } items)
        {
            if (Count < items.Length || Count < Size)
            {
                if (Count == items.Length) Array.Resize(ref _items, Math.Min(Size, Math.Max(MinItems, Count * 2)));
                if (index < Count) Array.Copy(_items, index, _items, index + 1, Count - index);
                Put(_items, index, node);
                Count++;
                return;
            }
            ToChunks(items);
        }
        var chunks = _chunks!;
        var last = Count >> Shift; // the chunk of the new last position
        if (last == chunks.Length) Array.Resize(ref _chunks, chunks.Length * 2);
        chunks = _chunks!;
        chunks[last] ??= new DataNode[Size];
        // From the last chunk back to the insert position's: each moves its children up by one and takes the last
        // child of the chunk before it (read before that chunk moves its own).
        var at = index >> Shift;
        for (var k = last; k > at; k--)
        {
            var chunk = chunks[k]!;
            var held = Math.Min(Size, Count - (k << Shift));
            Array.Copy(chunk, 0, chunk, 1, Math.Min(held, Size - 1));
            Put(chunk, 0, chunks[k - 1]![Size - 1]);
        }
        var first = chunks[at]!;
        var offset = index & Mask;
        var end = Math.Min(Size, Count - (at << Shift));
        Array.Copy(first, offset, first, offset + 1, Math.Min(end, Size - 1) - offset);
        Put(first, offset, node);
        Count++;
    }

    public void RemoveAt(int index)
    {
        if (_items is { } items)
        {
            Count--;
            if (index < Count) Array.Copy(items, index + 1, items, index, Count - index);
            items[Count] = null!;
            return;
        }
        var chunks = _chunks!;
        var at = index >> Shift;
        var lastChunk = (Count - 1) >> Shift;
        var chunk = chunks[at]!;
        var offset = index & Mask;
        Array.Copy(chunk, offset + 1, chunk, offset, Math.Min(Size, Count - (at << Shift)) - offset - 1);
        // Each later chunk gives its first child to the chunk before it and moves the rest down by one.
        for (var k = at + 1; k <= lastChunk; k++)
        {
            var next = chunks[k]!;
            Put(chunks[k - 1]!, Size - 1, next[0]);
            Array.Copy(next, 1, next, 0, Math.Min(Size, Count - (k << Shift)) - 1);
        }
        Count--;
        chunks[Count >> Shift]![Count & Mask] = null!;
    }

    public int IndexOf(DataNode node)
    {
        if (_items is { } items) return Array.IndexOf(items, node, 0, Count);
        for (var k = 0; k << Shift < Count; k++)
        {
            var i = Array.IndexOf(_chunks![k]!, node, 0, Math.Min(Size, Count - (k << Shift)));
            if (i >= 0) return (k << Shift) + i;
        }
        return -1;
    }

    /// <summary>Like <see cref="IndexOf"/>, searching from the end (most removals hit a recent child).</summary>
    public int LastIndexOf(DataNode node)
    {
        if (Count == 0) return -1;
        if (_items is { } items) return Array.LastIndexOf(items, node, Count - 1, Count);
        for (var k = (Count - 1) >> Shift; k >= 0; k--)
        {
            var held = Math.Min(Size, Count - (k << Shift));
            var i = Array.LastIndexOf(_chunks![k]!, node, held - 1, held);
            if (i >= 0) return (k << Shift) + i;
        }
        return -1;
    }

    /// <summary>Drops the spare slots of the one array (chunks keep theirs: at most one chunk is part full).</summary>
    public void TrimExcess()
    {
        if (_items is { } items && Count < items.Length) _items = items[..Count];
    }

    private void ToChunks(DataNode[] items)
    {
        var chunks = new DataNode[]?[Math.Max(4, (Count >> Shift) + 2)];
        if (items.Length == Size) chunks[0] = items; // the full array is the first chunk as it is
        else
        {
            for (var k = 0; k << Shift < Count; k++)
            {
                chunks[k] = new DataNode[Size];
                Array.Copy(items, k << Shift, chunks[k]!, 0, Math.Min(Size, Count - (k << Shift)));
            }
        }
        _chunks = chunks;
        _items = null;
    }

    // Every children array is created as exactly DataNode[], so a store needs no covariance check (the check was
    // ~5% of loading a large configuration); callers have checked the index.
    public static void Put(DataNode[] items, int index, DataNode node) =>
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(items), index) = node;
}

/// <summary>The chunk size of large child stores, shared with <see cref="ArrayView{T}"/>.</summary>
public static class ChildChunks
{
    public const int Shift = 13;
    public const int Size = 1 << Shift; // 8192 references: 64 KB
    public const int Mask = Size - 1;
}
