namespace Mgmt.Dataplane.Graph;

/// <summary>
/// Packets one worker hands to another (software RSS): a bounded single-producer, single-consumer ring of packet
/// indices. The producer publishes its tail after writing the slots and the consumer its head after reading them,
/// so neither locks; a full ring refuses the packet (the producer drops it and counts it).
/// </summary>
internal sealed class HandoffQueue
{
    public const int Size = 4096;

    private readonly int[] _ring = new int[Size];
    // Head and tail on their own cache lines: each is written by one thread and read by the other.
    private PaddedIndex _head, _tail;

    public bool IsEmpty => Volatile.Read(ref _tail.Value) == Volatile.Read(ref _head.Value);

    public bool TryEnqueue(int packet)
    {
        var tail = _tail.Value;
        if (tail - Volatile.Read(ref _head.Value) == Size) return false;
        _ring[tail & (Size - 1)] = packet;
        Volatile.Write(ref _tail.Value, tail + 1);
        return true;
    }

    /// <summary>Moves up to <c>into.Length</c> packets out; returns how many.</summary>
    public int Dequeue(Span<int> into)
    {
        var head = _head.Value;
        var n = Math.Min(Volatile.Read(ref _tail.Value) - head, into.Length);
        for (var i = 0; i < n; i++) into[i] = _ring[(head + i) & (Size - 1)];
        Volatile.Write(ref _head.Value, head + n);
        return n;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct PaddedIndex
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public int Value;
    }
}
