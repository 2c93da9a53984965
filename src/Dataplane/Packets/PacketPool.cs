namespace Mgmt.Dataplane.Packets;

/// <summary>
/// The packet buffers of a dataplane, shared by its workers: one pinned slab of fixed-size buffers and their
/// metadata, referred to by index, so that a packet handed from one worker to another moves as its index. Free
/// buffers wait in a shared stack that workers take from and give back to in batches (<see cref="PacketPool"/>
/// is a worker's cache in front of it), so the lock here is taken once per batch, not per packet.
/// </summary>
public sealed class PacketBuffers
{
    /// <summary>Bytes per buffer: a 1500-byte MTU frame with room for encapsulation in front (<see cref="Headroom"/>).</summary>
    public const int BufferSize = 2048;

    /// <summary>Space kept before a received frame, so that headers can be pushed without copying.</summary>
    public const int Headroom = 128;

    private readonly Lock _lock = new();
    private readonly int[] _free;
    private int _freeCount;
    private readonly List<PacketPool> _caches = [];

    public PacketBuffers(int buffers)
    {
        if (buffers < 1) throw new ArgumentOutOfRangeException(nameof(buffers));
        Slab = GC.AllocateUninitializedArray<byte>(buffers * BufferSize, pinned: true);
        Meta = new PacketMeta[buffers];
        _free = new int[buffers];
        for (var i = 0; i < buffers; i++) _free[i] = buffers - 1 - i;
        _freeCount = buffers;
        Capacity = buffers;
    }

    public int Capacity { get; }

    internal byte[] Slab { get; }

    public PacketMeta[] Meta { get; }

    /// <summary>Buffers not holding a packet: in the shared stack and in every worker's cache (exact when the workers are still).</summary>
    public int FreeCount
    {
        get
        {
            lock (_lock)
            {
                var n = _freeCount;
                foreach (var c in _caches) n += c.CachedCount;
                return n;
            }
        }
    }

    /// <summary>A worker's cache over these buffers.</summary>
    public PacketPool NewCache(int size = 256) => new(this, size, register: true);

    internal void NewCacheRegistered(PacketPool cache)
    {
        lock (_lock) _caches.Add(cache);
    }

    /// <summary>Moves up to <c>into.Length</c> free buffers into a cache; returns how many.</summary>
    internal int Take(Span<int> into)
    {
        lock (_lock)
        {
            var n = Math.Min(into.Length, _freeCount);
            _free.AsSpan(_freeCount - n, n).CopyTo(into);
            _freeCount -= n;
            return n;
        }
    }

    internal void Give(ReadOnlySpan<int> buffers)
    {
        lock (_lock)
        {
            buffers.CopyTo(_free.AsSpan(_freeCount));
            _freeCount += buffers.Length;
        }
    }

    private IBufferLender?[] _lenders = [];

    /// <summary>
    /// The lowest buffer lent to a port (<see cref="Lend"/>); buffers from it up belong to their port's driver, which
    /// gets them back when the engine frees them; <see cref="Capacity"/> while none is lent.
    /// </summary>
    internal int LentFrom = int.MaxValue;

    /// <summary>
    /// Lends the port <paramref name="count"/> buffers in one contiguous range, the highest ones free (the engine
    /// hands out the lowest first, so these are free while ports are made): they leave the free list, frames arrive
    /// in them, and freeing one gives it back to <paramref name="lender"/>. Returns the first, or -1 when no such
    /// range is free.
    /// </summary>
    internal int Lend(int count, IBufferLender lender)
    {
        lock (_lock)
        {
            var top = Math.Min(LentFrom, Capacity);
            var first = top - count;
            if (count < 1 || first < Capacity / 2) return -1; // never more than half of the buffers
            var isFree = new bool[Capacity];
            for (var i = 0; i < _freeCount; i++) isFree[_free[i]] = true;
            for (var b = first; b < top; b++)
                if (!isFree[b]) return -1;
            var kept = 0;
            for (var i = 0; i < _freeCount; i++)
                if (_free[i] < first || _free[i] >= top) _free[kept++] = _free[i];
            _freeCount = kept;
            var lenders = new IBufferLender?[Capacity - first];
            _lenders.AsSpan().CopyTo(lenders.AsSpan(lenders.Length - _lenders.Length));
            for (var b = first; b < top; b++) lenders[b - first] = lender;
            _lenders = lenders;
            LentFrom = first;
            return first;
        }
    }

    /// <summary>The port a lent buffer belongs to.</summary>
    internal IBufferLender LenderOf(int buffer) => _lenders[buffer - LentFrom]!;
}

/// <summary>A port the engine lent buffers to (<see cref="PacketBuffers.Lend"/>), which takes freed ones back.</summary>
internal interface IBufferLender
{
    /// <summary>The engine is done with these buffers (any worker's thread; the lender's own thread-safety).</summary>
    void Return(ReadOnlySpan<int> buffers);
}

/// <summary>
/// One worker's handle on the packet buffers: allocation and freeing from a private cache of free buffers (refilled
/// from and spilled to the shared <see cref="PacketBuffers"/> half a cache at a time), and access to a packet's
/// bytes and metadata. Nothing on the packet path allocates or locks. Not thread-safe: one per worker (or per
/// port in tests that use a port alone).
/// </summary>
public sealed class PacketPool
{
    public const int BufferSize = PacketBuffers.BufferSize;

    public const int Headroom = PacketBuffers.Headroom;

    private readonly byte[] _slab;
    private readonly int[] _cache;
    private int _cached;

    /// <summary>A pool with buffers of its own (a port or a test used without a dataplane).</summary>
    public PacketPool(int buffers = 4096) : this(new PacketBuffers(buffers), Math.Min(256, buffers), register: true)
    {
    }

    internal PacketPool(PacketBuffers shared, int cacheSize, bool register = false)
    {
        Shared = shared;
        _slab = shared.Slab;
        Meta = shared.Meta;
        _cache = new int[Math.Max(2, cacheSize)];
        if (register) shared.NewCacheRegistered(this);
    }

    public PacketBuffers Shared { get; }

    public int Capacity => Shared.Capacity;

    /// <summary>Free buffers over all workers (see <see cref="PacketBuffers.FreeCount"/>).</summary>
    public int FreeCount => Shared.FreeCount;

    internal int CachedCount => Volatile.Read(ref _cached);

    public PacketMeta[] Meta { get; }

    /// <summary>A buffer with its data starting at <see cref="Headroom"/> and empty; -1 when every buffer is in use.</summary>
    /// <summary>
    /// A new packet of <paramref name="length"/> bytes that goes where packet <paramref name="of"/> goes (a fragment
    /// of it): its interfaces, table, next hops, origin and trace; -1 when the pool is empty.
    /// </summary>
    public int AllocatePiece(int of, int length)
    {
        var f = Allocate();
        if (f < 0) return -1;
        ref readonly var m = ref Meta[of];
        ref var fm = ref Meta[f];
        fm.Length = length;
        fm.RxInterface = m.RxInterface;
        fm.TableSlot = m.TableSlot;
        fm.TxInterface = m.TxInterface;
        fm.NextHop = m.NextHop;
        fm.NextHop6 = m.NextHop6;
        fm.Originated = m.Originated;
        fm.Traced = m.Traced;
        fm.TraceId = m.TraceId;
        return f;
    }

    public int Allocate()
    {
        if (_cached == 0)
        {
            _cached = Shared.Take(_cache.AsSpan(0, _cache.Length / 2));
            if (_cached == 0) return -1;
        }
        var p = _cache[--_cached];
        Meta[p] = new PacketMeta { Offset = Headroom };
        return p;
    }

    public void Free(int packet)
    {
        if (packet >= Shared.LentFrom)
        {
            // A port's buffer: back to its driver, a batch at a time (FlushLent at the end of each poll).
            _lent[_lentCount++] = packet;
            if (_lentCount == _lent.Length) FlushLent();
            return;
        }
        if (_cached == _cache.Length)
        {
            var half = _cache.Length / 2;
            Shared.Give(_cache.AsSpan(half, _cache.Length - half));
            _cached = half;
        }
        _cache[_cached++] = packet;
    }

    /// <summary>The packet's bytes (its current start to its length).</summary>
    // Lent buffers freed and not yet given back.
    private readonly int[] _lent = new int[64];
    private int _lentCount;

    /// <summary>Gives freed lent buffers back to their ports.</summary>
    public void FlushLent()
    {
        var start = 0;
        for (var i = 1; i <= _lentCount; i++)
        {
            // Runs of one lender's buffers (usually all of them).
            if (i < _lentCount && Shared.LenderOf(_lent[i]) == Shared.LenderOf(_lent[start])) continue;
            Shared.LenderOf(_lent[start]).Return(_lent.AsSpan(start, i - start));
            start = i;
        }
        _lentCount = 0;
    }

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

/// <summary>
/// What nodes know of a packet besides its bytes. 64 bytes, one cache line: the 128-bit field first (it is 16-byte
/// aligned), then the 32-bit ones, then the flags (a reordering here must keep it at 64: check Unsafe.SizeOf).
/// </summary>
public struct PacketMeta
{
    /// <summary>IPv6 address to resolve on <see cref="TxInterface"/>, or the group for multicast.</summary>
    public UInt128 NextHop6;

    /// <summary>Start of the packet's bytes within its buffer.</summary>
    public int Offset;

    public int Length;

    /// <summary>Interface the packet came in on (or, for locally made packets, the one it answers).</summary>
    public int RxInterface;

    /// <summary>The table (VRF) to look the packet up in, as its slot + 1; 0: the receiving interface's table.</summary>
    public int TableSlot;

    /// <summary>Interface it leaves by, set by the lookup.</summary>
    public int TxInterface;

    /// <summary>IPv4 address to resolve on <see cref="TxInterface"/> (the next hop, or the destination on a connected route).</summary>
    public uint NextHop;

    public DropReason Drop;

    /// <summary>The 32-bit field after the ICMP checksum: the next-hop MTU of "fragmentation needed" (RFC 1191) or "packet too big".</summary>
    public uint IcmpParameter;

    /// <summary>The packet's number in the trace (when <see cref="Traced"/>).</summary>
    public int TraceId;

    /// <summary>Made by the dataplane itself (an ICMP reply or error): forwarded without a TTL decrement.</summary>
    public bool Originated;

    /// <summary>Waited for its neighbor in ip4-rewrite, or is a fragment ip4-fragment cut: its TTL was lowered already.</summary>
    public bool Held;

    /// <summary>The packet's path is recorded (VPP's trace).</summary>
    public bool Traced;

    /// <summary>For the ICMP error nodes: the type and code to send back.</summary>
    public byte IcmpType, IcmpCode;

    /// <summary>
    /// The bytes of the load balancer's tunnel header in front of a client's packet (0: none): when the outer
    /// packet is too big for its link, the client hears of it about its own packet (<c>Nodes.TunnelTooBig</c>).
    /// </summary>
    public byte TunnelOverhead;
}
