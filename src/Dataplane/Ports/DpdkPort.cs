using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// A DPDK ethernet port (any PMD: a NIC, or a virtual device such as net_af_packet, net_af_xdp, net_ring, net_null)
/// with one receive and one transmit queue and a mempool of its own. Receives in bursts, never blocks.
/// </summary>
/// <remarks>
/// <para>
/// <c>device</c> names a port DPDK knows (a PCI address, or a <c>--vdev</c> of <see cref="Dpdk.Initialize"/>), or is a
/// device to hot-plug, as for <c>--vdev</c>: <c>net_af_packet0,iface=eth1</c>. A hot-plugged device is removed again
/// by <see cref="Dispose"/>. Virtual devices that open kernel interfaces do so in <c>networkNamespace</c> when given.
/// The EAL is initialised on first use (<see cref="Dpdk"/>).
/// </para>
/// <para>
/// Frames are copied once each way between mbufs and the worker's <see cref="PacketPool"/> (whose buffers are the
/// engine's, not a DPDK mempool's), as <see cref="AfPacketPort"/> copies from its socket. Frames longer than a buffer
/// are dropped and counted in <see cref="OversizeDropped"/>. The af_packet PMD does not finish checksums that local
/// senders leave to offload (a veth peer's TCP and UDP): turn transmit checksum offload off on such senders
/// (<c>ethtool -K eth0 tx off</c>), or use <see cref="AfPacketPort"/>, which finishes them.
/// </para>
/// <para>
/// Threads: one receives (the interface's worker); transmits are serialized by the caller; <see cref="Flush"/> may
/// come from any thread, also during a transmit. Any thread may call DPDK here: none needs to be an EAL lcore.
/// </para>
/// </remarks>
public sealed unsafe class DpdkPort : IPacketPort, IBufferLender
{
    /// <summary>Frames asked of the driver per receive call, and handed to it per transmit burst.</summary>
    public const int Burst = 32;

    /// <summary>Frames queued for transmission at most (while the driver's transmit ring is full).</summary>
    public const int TxQueue = 2 * Burst;

    private static readonly HashSet<ushort> InUse = [];

    private readonly ushort _port;
    private readonly bool _hotPlugged;
    private readonly string? _namespace;
    private nint _mempool;
    private nint* _mbufs;
    private nint* _data;
    private uint* _lengths;
    private nint* _tx;
    private int _txCount;
    private readonly Lock _txLock = new();
    private bool _disposed;

    /// <param name="device">A DPDK port's name, or a device to hot-plug with its arguments (<c>net_af_packet0,iface=eth1</c>).</param>
    /// <param name="networkNamespace">A named network namespace (<c>ip netns</c>) in which a hot-plugged device opens its kernel interface, or null.</param>
    /// <param name="mbufs">The size of the port's mempool (more than the driver's 512 receive descriptors).</param>
    public DpdkPort(string device, string? networkNamespace = null, int mbufs = 4095, PacketBuffers? buffers = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Length == 0 || device.Length > 1024 || device.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ArgumentException($"\"{device}\" is not a DPDK device (a name, or a name and arguments as for --vdev: net_af_packet0,iface=eth1)", nameof(device));
        var comma = device.IndexOf(',');
        var name = comma < 0 ? device : device[..comma];
        if (name.Length is 0 or >= 64) throw new ArgumentException($"\"{name}\" is not a DPDK device name (1 to 63 characters)", nameof(device));
        if (networkNamespace is not null && (networkNamespace.Length == 0 || networkNamespace.Contains('/') || networkNamespace is "." or ".."))
            throw new ArgumentException($"\"{networkNamespace}\" is not a network namespace name", nameof(networkNamespace));
        if (mbufs is < 1024 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(mbufs), mbufs, "a DPDK port's mempool holds 1024 to 1048576 mbufs");

        Dpdk.EnsureInitialized();
        lock (InUse)
        {
            var port = Dpdk.Native.mgmt_dpdk_port_by_name(name);
            if (port >= 0 && comma >= 0)
                throw new DataplaneException($"DPDK device {name} exists already; give its name alone to use it, not \"{device}\"");
            if (port < 0)
            {
                if (networkNamespace is not null && !File.Exists($"/var/run/netns/{networkNamespace}"))
                    throw new DataplaneException($"DPDK device \"{device}\": there is no network namespace {networkNamespace} (ip netns)");
                _namespace = networkNamespace;
                var probed = Control(() => Dpdk.Native.mgmt_dpdk_probe(device));
                if (probed < 0)
                    throw new DataplaneException($"DPDK could not attach device \"{device}\"{(networkNamespace is null ? "" : $" in network namespace {networkNamespace}")}: {Dpdk.Error(probed)} (is its driver installed, e.g. librte-net-af-packet23, and are its arguments right? DPDK's log on stderr tells more)");
                port = Dpdk.Native.mgmt_dpdk_port_by_name(name);
                if (port < 0) throw new DataplaneException($"DPDK attached device \"{device}\" but has no ethernet port named {name}");
                _hotPlugged = true;
            }
            _port = (ushort)port;
            if (!InUse.Add(_port))
                throw new DataplaneException($"DPDK port {name} is in use by another DpdkPort");
        }
        Name = name;
        try
        {
            Driver = ReadName(Dpdk.Native.mgmt_dpdk_driver_name) ?? "";
            var port = _port;
            int started;
            nint pool;
            // Zero copy: the engine lends the port some of its packet buffers as the mbufs' data (frames arrive in them
            // and are sent from them), two buffers to an mbuf (drivers want 2 KB of data after DPDK's 128-byte headroom;
            // the second buffer of each pair is never handed out); af_xdp fills frames into a UMEM of its own, so it copies.
            if (buffers is not null && Driver != "net_af_xdp" && Lent(buffers, Math.Min(mbufs, buffers.Capacity / 8)) is var (first, count) && count > 0)
            {
                _buffers = buffers;
                _lentFirst = first;
                _lentCount = count;
                _lentTable = (nint*)NativeMemory.Alloc((nuint)count, (nuint)sizeof(nint));
                var table = _lentTable;
                var slab = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffers.Slab)) + (nint)first * PacketPool.BufferSize;
                _lentBase = slab;
                (started, pool) = Control(() =>
                {
                    nint created;
                    var r = Dpdk.Native.mgmt_dpdk_port_start_extmem(port, slab, (uint)count, Element, &created, table);
                    return (r, created);
                });
            }
            else
                (started, pool) = Control(() =>
                {
                    nint created;
                    var r = Dpdk.Native.mgmt_dpdk_port_start(port, (uint)mbufs, PacketPool.BufferSize, &created);
                    return (r, created);
                });
            if (started < 0) throw new DataplaneException($"DPDK port {name} ({Driver}) could not be started: {Dpdk.Error(started)}");
            _mempool = pool;
            var mac = stackalloc byte[6];
            var got = Dpdk.Native.mgmt_dpdk_mac(_port, mac);
            if (got < 0) throw new DataplaneException($"DPDK port {name} has no MAC address: {Dpdk.Error(got)}");
            Mac = Ethernet.Read48(new ReadOnlySpan<byte>(mac, 6));
            _mbufs = (nint*)NativeMemory.Alloc(Burst, (nuint)sizeof(nint));
            _data = (nint*)NativeMemory.Alloc(Burst, (nuint)sizeof(nint));
            _lengths = (uint*)NativeMemory.Alloc(Burst, sizeof(uint));
            _tx = (nint*)NativeMemory.Alloc(TxQueue, (nuint)sizeof(nint));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    // Control calls of a hot-plugged device run in its namespace: drivers such as af_packet open sockets there and
    // name the kernel interface in ioctls. Closing still works when the namespace is gone.
    private T Control<T>(Func<T> call)
    {
        if (_namespace is null) return call();
        try
        {
            return LinuxNative.InNamespace(_namespace, call);
        }
        catch (IOException) when (_disposed)
        {
            return call();
        }
    }

    private delegate int NameOf(ushort port, byte* name, int size);

    private string? ReadName(NameOf call)
    {
        var buffer = stackalloc byte[128];
        return call(_port, buffer, 128) < 0 ? null : Marshal.PtrToStringUTF8((nint)buffer);
    }

    /// <summary>The device's name in DPDK (<c>net_af_packet0</c>, <c>0000:01:00.0</c>).</summary>
    public string Name { get; }

    /// <summary>The driver (PMD) behind the port (<c>net_af_packet</c>).</summary>
    public string Driver { get; } = "";

    /// <summary>DPDK's port id.</summary>
    public int PortId => _port;

    /// <summary>The port's MAC, which the dataplane interface usually takes (for net_af_packet, the kernel interface's).</summary>
    public ulong Mac { get; }

    /// <summary>Frames dropped because they were longer than a packet buffer.</summary>
    public long OversizeDropped { get; private set; }

    /// <summary>Frames not sent because the port's mempool had no free mbuf.</summary>
    public long NoMbufDropped { get; private set; }

    /// <summary>Whether frames arrive in and leave from the engine's own buffers (no copy; see the constructor's buffers).</summary>
    public bool ZeroCopy => _lentCount > 0;

    /// <summary>Frames received without a copy, and those copied (segmented frames; every frame of a copying port).</summary>
    public long ReceivedInPlace { get; private set; }

    public long ReceivedCopied { get; private set; }

    /// <summary>Frames sent from their own buffer (one the engine lent a zero-copy port), and those copied into an mbuf.</summary>
    public long SentInPlace { get; private set; }

    public long SentCopied { get; private set; }

    private PacketBuffers? _buffers;
    private int _lentFirst, _lentCount;
    private nint _lentBase;
    private nint* _lentTable; // the mbuf of each lent buffer

    // A lent mbuf's data: two engine buffers.
    private const int Element = 2 * PacketPool.BufferSize;

    private (int First, int Count) Lent(PacketBuffers buffers, int count)
    {
        var first = buffers.Lend(2 * count, this);
        return first < 0 ? (0, 0) : (first, count);
    }

    // The engine freed lent buffers: their mbufs go back to the driver's pool (a sent one was also referenced by the
    // driver, which frees it after sending; the last free returns it). After the port is closed they stay with it.
    void IBufferLender.Return(ReadOnlySpan<int> buffers)
    {
        var mbufs = stackalloc nint[buffers.Length];
        lock (_txLock)
        {
            if (_disposed) return;
            for (var i = 0; i < buffers.Length; i++) mbufs[i] = _lentTable[(buffers[i] - _lentFirst) / 2];
            Dpdk.Native.mgmt_dpdk_free(mbufs, (uint)buffers.Length);
        }
    }

    /// <summary>
    /// The driver's own counters: frames received and sent, missed on receive (no room), receive and transmit errors
    /// (some drivers, such as af_xdp, count frames they took in a burst but could not send as transmit errors).
    /// </summary>
    public (ulong Received, ulong Sent, ulong Missed, ulong ReceiveErrors, ulong TransmitErrors) DriverCounters
    {
        get
        {
            var c = stackalloc ulong[5];
            lock (_txLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var r = Dpdk.Native.mgmt_dpdk_stats(_port, c);
                if (r < 0) throw new DataplaneException($"DPDK port {Name}: no counters: {Dpdk.Error(r)}");
            }
            return (c[0], c[1], c[2], c[3], c[4]);
        }
    }

    /// <summary>The port's link status, asked of the driver (without waiting) at most every 200 ms, as workers ask per packet.</summary>
    public bool LinkUp
    {
        get
        {
            if (_disposed) return false;
            var now = Environment.TickCount64;
            if (now - _linkCheckedAt < 200) return _linkUp;
            _linkUp = Dpdk.Native.mgmt_dpdk_link_up(_port) == 1;
            _linkCheckedAt = now;
            return _linkUp;
        }
    }

    private bool _linkUp;
    private long _linkCheckedAt = long.MinValue / 2;

    public int Receive(PacketPool pool, Span<int> into)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Flush(); // what the last round of the graph queued, when the worker does not flush itself
        if (_lentCount > 0) return ReceiveInPlace(pool, into);
        var n = 0;
        var taken = 0; // from the driver, dropped ones included: a source that never runs dry does not hold us here
        while (taken < into.Length)
        {
            // Buffers first, so that nothing taken from the driver is dropped for want of one.
            var want = Math.Min(Burst, into.Length - taken);
            var have = 0;
            while (have < want)
            {
                var p = pool.Allocate();
                if (p < 0) break;
                into[n + have++] = p;
            }
            var got = have == 0 ? 0 : Dpdk.Native.mgmt_dpdk_rx(_port, _mbufs, _data, _lengths, (ushort)have);
            taken += got;
            var kept = 0;
            for (var i = 0; i < got; i++)
            {
                var p = into[n + kept];
                var room = pool.Room(p);
                var length = (int)_lengths[i];
                if (_data[i] != 0)
                {
                    if (length > room.Length)
                    {
                        OversizeDropped++;
                        continue;
                    }
                    new ReadOnlySpan<byte>((void*)_data[i], length).CopyTo(room);
                }
                else
                {
                    fixed (byte* b = room) length = Dpdk.Native.mgmt_dpdk_read(_mbufs[i], b, (uint)room.Length);
                    if (length < 0)
                    {
                        OversizeDropped++;
                        continue;
                    }
                }
                pool.Meta[p].Length = length;
                ReceivedCopied++;
                kept++;
            }
            if (got > 0) Dpdk.Native.mgmt_dpdk_free(_mbufs, (uint)got);
            for (var i = kept; i < have; i++) pool.Free(into[n + i]);
            n += kept;
            if (got < want) break; // the driver has nothing more now (or the pool is empty)
        }
        return n;
    }

    /// <summary>
    /// Copies the frame into an mbuf and queues it; the queue goes to the driver in one burst at <see cref="Burst"/>
    /// frames, at <see cref="Flush"/> or at the next <see cref="Receive"/>. False when the mempool is empty or the
    /// driver has not taken the frames queued before (a full transmit ring).
    /// </summary>
    // Frames in lent buffers: the mbuf's data is a buffer of the engine, which takes it as it is (the mbuf stays with
    // the buffer until the engine frees it). Segmented frames are copied into a buffer of the pool.
    private int ReceiveInPlace(PacketPool pool, Span<int> into)
    {
        var n = 0;
        while (n < into.Length)
        {
            var want = Math.Min(Burst, into.Length - n);
            var got = Dpdk.Native.mgmt_dpdk_rx(_port, _mbufs, _data, _lengths, (ushort)want);
            for (var i = 0; i < got; i++)
            {
                var length = (int)_lengths[i];
                var at = _data[i] - _lentBase;
                if (_data[i] != 0 && at >= 0 && at < (nint)_lentCount * Element && length <= Element - at % Element)
                {
                    var p = _lentFirst + 2 * (int)(at / Element);
                    var offset = (int)(at % Element);
                    pool.Meta[p] = new PacketMeta { Offset = offset, Length = length };
                    into[n++] = p;
                    ReceivedInPlace++;
                    continue;
                }
                var copy = pool.Allocate();
                var room = copy < 0 ? default : pool.Room(copy);
                int read;
                fixed (byte* b = room) read = copy < 0 ? -1 : Dpdk.Native.mgmt_dpdk_read(_mbufs[i], b, (uint)room.Length);
                var m = _mbufs[i];
                Dpdk.Native.mgmt_dpdk_free(&m, 1);
                if (read < 0)
                {
                    if (copy >= 0) pool.Free(copy);
                    OversizeDropped++;
                    continue;
                }
                pool.Meta[copy].Length = read;
                into[n++] = copy;
                ReceivedCopied++;
            }
            if (got < want) break;
        }
        return n;
    }

    public bool Transmit(PacketPool pool, int packet)
    {
        var data = pool.Data(packet);
        lock (_txLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_txCount == TxQueue && SendQueued() == 0) return false;
            if (packet >= pool.Shared.LentFrom && pool.Shared.LenderOf(packet) is DpdkPort owner && owner._lentCount > 0 && !owner._disposed)
            {
                // A lent buffer (this port's or another DPDK port's): sent as it is, from its own mbuf.
                ref var meta = ref pool.Meta[packet];
                _tx[_txCount++] = Dpdk.Native.mgmt_dpdk_tx_own(owner._lentTable[(packet - owner._lentFirst) / 2], (ushort)meta.Offset, (ushort)meta.Length);
                SentInPlace++;
                if (_txCount >= Burst) SendQueued();
                return true;
            }
            nint m;
            fixed (byte* b = data) m = data.Length > ushort.MaxValue ? 0 : Dpdk.Native.mgmt_dpdk_tx_copy(_mempool, b, (ushort)data.Length);
            if (m == 0)
            {
                NoMbufDropped++;
                return false;
            }
            _tx[_txCount++] = m;
            SentCopied++;
            if (_txCount >= Burst) SendQueued();
            return true;
        }
    }

    /// <summary>Hands the driver the frames <see cref="Transmit"/> queued. Any thread, also during a transmit.</summary>
    public void Flush()
    {
        if (Volatile.Read(ref _txCount) == 0) return;
        lock (_txLock)
            if (!_disposed)
                SendQueued();
    }

    // Under _txLock. What the driver does not take stays queued, in order, for the next try.
    private int SendQueued()
    {
        if (_txCount == 0) return 0;
        var sent = Dpdk.Native.mgmt_dpdk_tx_burst(_port, _tx, (ushort)_txCount);
        if (sent > 0 && sent < _txCount)
            new Span<nint>(_tx + sent, _txCount - sent).CopyTo(new Span<nint>(_tx, _txCount - sent));
        _txCount -= sent;
        return sent;
    }

    /// <summary>Sends what is queued, stops and closes the port and, when this port hot-plugged it, removes its device.</summary>
    public void Dispose()
    {
        lock (InUse)
        lock (_txLock)
        {
            if (_disposed) return;
            _disposed = true;
            if (_tx != null)
            {
                SendQueued();
                Dpdk.Native.mgmt_dpdk_free(_tx, (uint)_txCount);
                _txCount = 0;
            }
            var (port, mempool, remove) = (_port, _mempool, _hotPlugged ? 1 : 0);
            Control(() => Dpdk.Native.mgmt_dpdk_port_close(port, mempool, remove));
            _mempool = 0;
            InUse.Remove(_port);
            NativeMemory.Free(_mbufs);
            NativeMemory.Free(_data);
            NativeMemory.Free(_lengths);
            NativeMemory.Free(_tx);
            NativeMemory.Free(_lentTable);
            _lentTable = null;
            _mbufs = null;
            _data = null;
            _lengths = null;
            _tx = null;
        }
    }
}
