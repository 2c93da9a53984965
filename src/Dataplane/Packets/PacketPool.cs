namespace Mgmt.Dataplane.Packets;

/// <summary>
/// Packet buffers of one worker: a single slab of fixed-size buffers and their metadata, referred to by index.
/// Nodes pass indices in vectors; nothing on the packet path allocates. Not thread-safe: one pool per worker.
/// </summary>
public sealed class PacketPool
{
    /// <summary>Bytes per buffer: a 1500-byte MTU frame with room for encapsulation in front (<see cref="Headroom"/>).</summary>
    public const int BufferSize = 2048;

    /// <summary>Space kept before a received frame, so that headers can be pushed without copying.</summary>
    public const int Headroom = 128;

    private readonly byte[] _slab;
    private readonly int[] _free;
    private int _freeCount;

    public PacketPool(int buffers = 4096)
    {
        _slab = GC.AllocateUninitializedArray<byte>(buffers * BufferSize, pinned: true);
        Meta = new PacketMeta[buffers];
        _free = new int[buffers];
        for (var i = 0; i < buffers; i++) _free[i] = buffers - 1 - i;
        _freeCount = buffers;
        Capacity = buffers;
    }

    public int Capacity { get; }

    public int FreeCount => _freeCount;

    public PacketMeta[] Meta { get; }

    /// <summary>A buffer with its data starting at <see cref="Headroom"/> and empty; -1 when the pool is exhausted.</summary>
    public int Allocate()
    {
        if (_freeCount == 0) return -1;
        var p = _free[--_freeCount];
        Meta[p] = new PacketMeta { Offset = Headroom };
        return p;
    }

    public void Free(int packet) => _free[_freeCount++] = packet;

    /// <summary>The packet's bytes (its current start to its length).</summary>
    public Span<byte> Data(int packet)
    {
        ref var m = ref Meta[packet];
        return _slab.AsSpan(packet * BufferSize + m.Offset, m.Length);
    }

    /// <summary>The whole buffer from the packet's current start, for writing a received frame or a larger packet.</summary>
    public Span<byte> Room(int packet)
    {
        ref var m = ref Meta[packet];
        return _slab.AsSpan(packet * BufferSize + m.Offset, BufferSize - m.Offset);
    }

    /// <summary>Moves the start of the packet by <paramref name="delta"/> bytes (negative: prepend room, positive: strip a header).</summary>
    public void Advance(int packet, int delta)
    {
        ref var m = ref Meta[packet];
        m.Offset += delta;
        m.Length -= delta;
    }
}

/// <summary>What nodes know of a packet besides its bytes.</summary>
public struct PacketMeta
{
    /// <summary>Start of the packet's bytes within its buffer.</summary>
    public int Offset;

    public int Length;

    /// <summary>Interface the packet came in on (or, for locally made packets, the one it answers).</summary>
    public int RxInterface;

    /// <summary>Interface it leaves by, set by the lookup.</summary>
    public int TxInterface;

    /// <summary>IPv4 address to resolve on <see cref="TxInterface"/> (the next hop, or the destination on a connected route).</summary>
    public uint NextHop;

    /// <summary>IPv6 address to resolve on <see cref="TxInterface"/>, or the group for multicast.</summary>
    public UInt128 NextHop6;

    public DropReason Drop;

    /// <summary>Made by the dataplane itself (an ICMP reply or error): forwarded without a TTL decrement.</summary>
    public bool Originated;

    /// <summary>Waited for its neighbor in ip4-rewrite (its TTL was lowered already).</summary>
    public bool Held;

    /// <summary>For the ICMP error nodes: the type and code to send back.</summary>
    public byte IcmpType, IcmpCode;

    /// <summary>The 32-bit field after the ICMP checksum: the next-hop MTU of "fragmentation needed" (RFC 1191) or "packet too big".</summary>
    public uint IcmpParameter;

    /// <summary>The packet's path is recorded (VPP's trace); its number in the trace.</summary>
    public bool Traced;

    public int TraceId;
}
