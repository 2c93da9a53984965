using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// A Linux interface (veth, NIC) through an AF_PACKET socket with memory-mapped rings (TPACKET_V2): every frame
/// in, promiscuous; frames out as they are. The kernel writes received frames into the receive ring and
/// <see cref="Receive"/> copies them out of it without a system call; <see cref="Transmit"/> copies a frame into
/// the transmit ring, and one <c>send</c> hands the kernel every frame queued since the last (at 64 queued, at the
/// next <see cref="Receive"/> or at <see cref="Flush"/>). The socket ignores the frames it sends itself, and they
/// bypass the interface's qdisc (a packet capture on the interface does not see them). Needs CAP_NET_RAW.
/// </summary>
/// <remarks>
/// Frames carry a virtio-net header (PACKET_VNET_HDR): a sender on the same host (a veth peer) leaves transport
/// checksums to "offload", and the header says where to finish them, which this port does. It also says when a
/// frame is a segmentation-offload "superframe" (up to 64 KB: TSO/GSO of a local sender, GRO of a NIC) and its
/// segment size; the port cuts those into frames of that size (<see cref="Segmentation"/>, software GSO: TCP over
/// IPv4 and IPv6, UDP). A superframe does not fit a 2 KB ring frame: with PACKET_COPY_THRESH the kernel puts its
/// start in the ring marked TP_STATUS_COPY and the whole of it on the socket's receive queue, in the same order,
/// whence one <c>recv</c> takes it into a 68 KB buffer of the queue's own. So the ring keeps its small frames (the
/// common case costs nothing more) and a superframe costs one system call for its 40-odd segments. A superframe's
/// segments that do not fit the caller's vector (or the pool) wait for the next <see cref="Receive"/>.
/// Frames that cannot be received whole (jumbo frames over a buffer, or superframes while the receive queue is at
/// its limit, or malformed ones) are dropped and counted in <see cref="OversizeDropped"/>.
/// Threads: one receives from each queue; transmits (through queue 0's socket) are serialized by the caller;
/// <see cref="Flush"/> may come from any thread, also during a transmit.
/// </remarks>
public sealed unsafe class AfPacketPort : IPacketPort
{
    private const int AfPacket = 17, SockRaw = 3, SockNonblock = 0x800, SockCloexec = 0x80000;
    private const ushort EthPAll = 0x0003;
    private const int SolSocket = 1, SoSndbuf = 7, SoRcvbuf = 8, SoSndbufForce = 32, SoRcvbufForce = 33;
    private const int SolPacket = 263, PacketAddMembership = 1, PacketMrPromisc = 1, PacketRxRing = 5, PacketStatistics = 6, PacketCopyThresh = 7,
        PacketVersion = 10, PacketTxRing = 13, PacketLoss = 14, PacketVnetHdr = 15, PacketFanout = 18, PacketQdiscBypass = 20, PacketIgnoreOutgoing = 23;
    private const int PacketFanoutHash = 0, PacketFanoutFlagDefrag = 0x8000;
    private const int TpacketV2 = 1;
    private const int MsgDontwait = 0x40, MsgTrunc = 0x20;

    /// <summary>struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset.</summary>
    private const int VnetHeaderLength = 10;
    private const byte VnetNeedsChecksum = 1;
    private const uint Siocgifflags = 0x8913, Siocgifhwaddr = 0x8927, Siocgifindex = 0x8933;
    private const int IffUp = 0x1, IffRunning = 0x40;

    // Ring geometry: 2 KB frames (a struct tpacket2_hdr, then the frame), 32 to a 64 KB block; 4096 frames to
    // receive into (8 MB: a few milliseconds in which the worker does not run, or a burst of the kernel's receive
    // work, fit), 1024 to send from.
    private const int FrameSize = 2048, BlockSize = 65536, RxFrames = 4096, TxFrames = 1024, TxBatch = 64;

    // struct tpacket2_hdr: tp_status, tp_len, tp_snaplen (u32), tp_mac, tp_net (u16), ...; 32 bytes. On transmit
    // the data (here the virtio-net header, then the frame) starts right after it.
    private const int StatusOffset = 0, LenOffset = 4, SnaplenOffset = 8, MacOffset = 12, TxDataOffset = 32;
    private const uint TpStatusKernel = 0, TpStatusUser = 1, TpStatusCopy = 2, TpStatusAvailable = 0, TpStatusSendRequest = 1;

    // A superframe taken from the receive queue: its virtio-net header, then up to 64 KB of frame (an IPv4 packet's
    // longest, with Ethernet and VLAN headers), and room to tell a larger one (BIG TCP) by its truncation.
    private const int ScratchSize = 68 * 1024;

    // The receive queue's limit, for superframes waiting beside the ring (charged by the kernel's buffer size, 64 to
    // 130 KB per 64 KB superframe): some 60 of them, a few MB of data, as the ring holds 4096 small frames. Memory
    // the kernel takes only while they wait.
    private const int ReceiveBuffer = 8 << 20;

    // Queue 0's socket also sends; the others only receive (their share of the fanout group).
    private readonly RingSocket[] _queues;
    private readonly int _fd;
    private readonly byte* _tx;
    private int _txNext;
    private long _queued, _kicked; // frames put in the transmit ring, and how many of them the kernel was told of

    /// <param name="linuxInterface">The Linux interface's name.</param>
    /// <param name="networkNamespace">A named network namespace (<c>ip netns</c>) that holds the interface, or null for the daemon's own.</param>
    /// <param name="queues">
    /// Receive queues: sockets in one PACKET_FANOUT group (by flow hash), so that several workers receive from
    /// the interface at once, each polling its own.
    /// </param>
    public AfPacketPort(string linuxInterface, string? networkNamespace = null, int queues = 1)
    {
        if (linuxInterface.Length is 0 or > 15) throw new ArgumentException($"\"{linuxInterface}\" is not a Linux interface name");
        if (queues is < 1 or > 64) throw new ArgumentException($"{queues} receive queues: 1 to 64");
        Name = linuxInterface;
        _queues = new RingSocket[queues];
        try
        {
            var group = (Environment.ProcessId * 31 + linuxInterface.GetHashCode()) & 0xffff;
            for (var q = 0; q < queues; q++)
                _queues[q] = networkNamespace is null
                    ? new RingSocket(linuxInterface, q == 0, queues > 1 ? group : -1)
                    : LinuxNative.InNamespace(networkNamespace, () => new RingSocket(linuxInterface, q == 0, queues > 1 ? group : -1));
        }
        catch
        {
            foreach (var r in _queues) r?.Dispose();
            throw;
        }
        _fd = _queues[0].Fd;
        _tx = _queues[0].Tx;
        Mac = _queues[0].Mac;
    }

    /// <summary>
    /// One AF_PACKET socket bound to the interface with its rings mapped: a receive ring, and for the sending
    /// socket a transmit ring; in a fanout group when the port has several queues.
    /// </summary>
    private sealed class RingSocket : IDisposable
    {
        public readonly int Fd;
        public readonly byte* Ring, Rx, Tx;
        public readonly ulong Mac;
        public int RxNext;
        public long Frames, Oversize, Superframes, Segments;
        private readonly nuint _mapped;

        // The superframe being cut (virtio-net header, then the frame) and the next segment to make of it.
        public byte* Scratch;
        public Superframe Pending;
        public int PendingLength, PendingNext, PendingCount;

        public bool HasPending => PendingNext < PendingCount;

        public RingSocket(string linuxInterface, bool sends, int fanoutGroup)
        {
            // Protocol 0: no frames until bind names the interface and ETH_P_ALL.
            Fd = LinuxNative.socket(AfPacket, SockRaw | SockNonblock | SockCloexec, 0);
            if (Fd < 0) throw Error($"socket(AF_PACKET) for {linuxInterface}");
            try
            {
                var ifindex = Query(Fd, linuxInterface, Siocgifindex).Int;
                Mac = Ethernet.Read48(Query(Fd, linuxInterface, Siocgifhwaddr).Bytes(2, 6));
                // Options first: the version and the virtio-net header cannot change once the rings exist.
                Option(PacketVersion, TpacketV2, "PACKET_VERSION");
                Option(PacketVnetHdr, 1, "PACKET_VNET_HDR");
                Option(PacketLoss, 1, "PACKET_LOSS"); // a malformed frame in the transmit ring is skipped, not a stop
                Option(PacketQdiscBypass, 1, "PACKET_QDISC_BYPASS");
                // A frame longer than a ring frame also goes to the receive queue whole (its slot says TP_STATUS_COPY).
                Option(PacketCopyThresh, 1, "PACKET_COPY_THRESH");
                var receiveBuffer = ReceiveBuffer;
                if (LinuxNative.setsockopt(Fd, SolSocket, SoRcvbufForce, ref receiveBuffer, sizeof(int)) != 0)
                    LinuxNative.setsockopt(Fd, SolSocket, SoRcvbuf, ref receiveBuffer, sizeof(int)); // up to net.core.rmem_max
                Scratch = (byte*)NativeMemory.Alloc(ScratchSize);
                // Frames held by the interface's peer count against the send buffer: room for the whole ring.
                var sendBuffer = 4 << 20;
                if (sends && LinuxNative.setsockopt(Fd, SolSocket, SoSndbufForce, ref sendBuffer, sizeof(int)) != 0)
                    LinuxNative.setsockopt(Fd, SolSocket, SoSndbuf, ref sendBuffer, sizeof(int));
                var rx = new TpacketReq { BlockSize = BlockSize, BlockCount = RxFrames * FrameSize / BlockSize, FrameSize = FrameSize, FrameCount = RxFrames };
                if (LinuxNative.setsockopt(Fd, SolPacket, PacketRxRing, &rx, sizeof(TpacketReq)) != 0) throw Error("PACKET_RX_RING");
                var txFrames = sends ? TxFrames : 0;
                if (sends)
                {
                    var tx = new TpacketReq { BlockSize = BlockSize, BlockCount = TxFrames * FrameSize / BlockSize, FrameSize = FrameSize, FrameCount = TxFrames };
                    if (LinuxNative.setsockopt(Fd, SolPacket, PacketTxRing, &tx, sizeof(TpacketReq)) != 0) throw Error("PACKET_TX_RING");
                }
                // One mapping: the receive ring, then the transmit ring.
                _mapped = (nuint)((RxFrames + txFrames) * FrameSize);
                var ring = LinuxNative.mmap(0, _mapped, LinuxNative.ProtRead | LinuxNative.ProtWrite, LinuxNative.MapShared, Fd, 0);
                if (ring == -1) throw Error("mmap of the packet rings");
                Ring = (byte*)ring;
                Rx = Ring;
                Tx = sends ? Ring + RxFrames * FrameSize : null;
                // Bound last, so that no frame arrives before the rings are there (the socket was opened for none).
                var address = new SockaddrLl { Family = AfPacket, Protocol = Htons(EthPAll), Ifindex = ifindex };
                if (Native.bind(Fd, ref address, Marshal.SizeOf<SockaddrLl>()) != 0) throw Error($"bind to {linuxInterface}");
                var promisc = new PacketMreq { Ifindex = ifindex, Type = PacketMrPromisc };
                if (Native.setsockopt(Fd, SolPacket, PacketAddMembership, ref promisc, Marshal.SizeOf<PacketMreq>()) != 0) throw Error("PACKET_ADD_MEMBERSHIP");
                var one = 1;
                LinuxNative.setsockopt(Fd, SolPacket, PacketIgnoreOutgoing, ref one, sizeof(int)); // Linux 4.20+; older kernels echo our frames back
                // The group spreads frames over its sockets by flow hash (fragments reassembled first, so that they hash alike).
                if (fanoutGroup >= 0) Option(PacketFanout, fanoutGroup | (PacketFanoutHash | PacketFanoutFlagDefrag) << 16, "PACKET_FANOUT");
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        private void Option(int name, int value, string what)
        {
            if (LinuxNative.setsockopt(Fd, SolPacket, name, ref value, sizeof(int)) != 0) throw Error(what);
        }

        public void Dispose()
        {
            if (Ring != null) LinuxNative.munmap((nint)Ring, _mapped);
            LinuxNative.close(Fd);
            NativeMemory.Free(Scratch);
            Scratch = null; // a second Dispose frees nothing
        }
    }

    private static Ifreq Query(int fd, string name, uint request)
    {
        var r = Ifreq.For(name);
        if (LinuxNative.ioctl(fd, request, ref r) != 0) throw Error($"{name}: ioctl 0x{request:x}");
        return r;
    }

    public string Name { get; }

    /// <summary>The Linux interface's own MAC, which the dataplane interface usually takes.</summary>
    public ulong Mac { get; }

    /// <summary>The Linux interface is up and running (carrier); asked of the kernel at most every 200 ms, as workers ask per packet.</summary>
    public bool LinkUp
    {
        get
        {
            var now = Environment.TickCount64;
            if (now - _linkCheckedAt < 200) return _linkUp;
            try
            {
                _linkUp = (Query(_fd, Name, Siocgifflags).Int & (IffUp | IffRunning)) == (IffUp | IffRunning);
            }
            catch (IOException)
            {
                _linkUp = false;
            }
            _linkCheckedAt = now;
            return _linkUp;
        }
    }

    private bool _linkUp;
    private long _linkCheckedAt = long.MinValue / 2;

    /// <summary>
    /// Frames dropped because they could not be received whole or cut into buffers: jumbo frames larger than a
    /// buffer, superframes over 64 KB or while the socket's receive queue was at its limit, malformed superframes.
    /// </summary>
    public long OversizeDropped => _queues.Sum(q => Volatile.Read(ref q.Oversize));

    /// <summary>Segmentation-offload superframes received (and cut into <see cref="Segments"/>).</summary>
    public long Superframes => _queues.Sum(q => Volatile.Read(ref q.Superframes));

    /// <summary>Frames made of superframes.</summary>
    public long Segments => _queues.Sum(q => Volatile.Read(ref q.Segments));

    /// <summary>Frames the kernel dropped because the receive ring was full (asked of the kernel on each read).</summary>
    public long RingDropped
    {
        get
        {
            foreach (var q in _queues)
            {
                TpacketStats s;
                var length = sizeof(TpacketStats);
                if (LinuxNative.getsockopt(q.Fd, SolPacket, PacketStatistics, &s, &length) == 0) _ringDropped += s.Drops; // reading resets them
            }
            return _ringDropped;
        }
    }

    private long _ringDropped;

    public int QueueCount => _queues.Length;

    /// <summary>Frames received so far on each queue.</summary>
    public IReadOnlyList<long> QueueFrames => [.. _queues.Select(q => Volatile.Read(ref q.Frames))];

    public int Receive(PacketPool pool, Span<int> into) => Receive(0, pool, into);

    /// <summary>
    /// Receives from one queue (one socket of the fanout group); each queue has one polling thread. The segments
    /// of a superframe that do not fit <paramref name="into"/> come first at the next call.
    /// </summary>
    public int Receive(int queue, PacketPool pool, Span<int> into)
    {
        Flush(); // what the last round of the graph queued, when the worker does not flush itself
        var q = _queues[queue];
        var n = q.HasPending ? Cut(q, pool, into, 0) : 0;
        while (n < into.Length && !q.HasPending)
        {
            var slot = q.Rx + q.RxNext * FrameSize;
            var status = Volatile.Read(ref *(uint*)(slot + StatusOffset));
            if ((status & TpStatusUser) == 0) break; // the kernel's still: nothing more now
            var length = *(int*)(slot + LenOffset);
            var captured = *(int*)(slot + SnaplenOffset);
            var frame = slot + *(ushort*)(slot + MacOffset);
            var p = -1;
            if ((status & TpStatusCopy) != 0)
            {
                // Too long for the ring: the whole frame waits in the receive queue, the next one there is this one.
                var got = LinuxNative.recv(q.Fd, q.Scratch, ScratchSize, MsgDontwait | MsgTrunc);
                if (got >= VnetHeaderLength + Ethernet.HeaderLength && got <= ScratchSize)
                {
                    frame = q.Scratch + VnetHeaderLength;
                    length = captured = (int)got - VnetHeaderLength;
                }
            }
            else if (*(frame - VnetHeaderLength + 1) == Segmentation.GsoNone)
            {
                p = pool.Allocate();
                if (p < 0) break; // no buffer: the frame stays in the ring
            }
            var header = new ReadOnlySpan<byte>(frame - VnetHeaderLength, VnetHeaderLength);
            if (captured != length || captured < Ethernet.HeaderLength) q.Oversize++; // the ring's part only, or not even that
            else if (header[1] != Segmentation.GsoNone) Accept(q, frame, captured, header);
            else if (p < 0 || captured > pool.Room(p).Length) q.Oversize++; // a jumbo frame
            else
            {
                new ReadOnlySpan<byte>(frame, captured).CopyTo(pool.Room(p));
                pool.Meta[p].Length = captured;
                if ((header[0] & VnetNeedsChecksum) == 0 || FinishChecksum(pool.Data(p), header))
                {
                    into[n++] = p;
                    p = -1;
                }
            }
            if (p >= 0) pool.Free(p);
            Volatile.Write(ref *(uint*)(slot + StatusOffset), TpStatusKernel); // the slot back to the kernel
            q.RxNext = q.RxNext + 1 == RxFrames ? 0 : q.RxNext + 1;
            q.Frames++;
            if (q.HasPending) n = Cut(q, pool, into, n);
        }
        return n;
    }

    // A superframe to cut: into the queue's scratch buffer (where it is when it came by the receive queue), so that
    // its slot goes back to the kernel at once and segments left over wait there.
    private static void Accept(RingSocket q, byte* frame, int length, ReadOnlySpan<byte> header)
    {
        int segmentSize = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        var data = new ReadOnlySpan<byte>(frame, length);
        if (!Segmentation.TryParse(data, header[1], segmentSize, out var superframe) || superframe.MaxSegmentLength > PacketPool.BufferSize - PacketPool.Headroom)
        {
            q.Oversize++;
            return;
        }
        if (frame != q.Scratch + VnetHeaderLength) data.CopyTo(new Span<byte>(q.Scratch + VnetHeaderLength, length));
        q.Pending = superframe;
        q.PendingLength = length;
        q.PendingNext = 0;
        q.PendingCount = superframe.Count;
        q.Superframes++;
    }

    // Segments of the pending superframe into buffers, as many as fit after the n already there.
    private static int Cut(RingSocket q, PacketPool pool, Span<int> into, int n)
    {
        var frame = new ReadOnlySpan<byte>(q.Scratch + VnetHeaderLength, q.PendingLength);
        while (n < into.Length && q.HasPending)
        {
            var p = pool.Allocate();
            if (p < 0) break; // the rest waits for buffers
            var length = Segmentation.WriteSegment(frame, q.Pending, q.PendingNext++, pool.Room(p));
            pool.Meta[p].Length = length; // fits: Accept checked the longest
            into[n++] = p;
            q.Segments++;
        }
        return n;
    }

    // The sender put the pseudo-header sum at csum_start + csum_offset; the checksum covers csum_start to the end.
    private static bool FinishChecksum(Span<byte> frame, ReadOnlySpan<byte> header)
    {
        int start = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        int offset = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        if (start + offset + 2 > frame.Length) return false;
        var sum = Checksum.Fold(Checksum.Sum(frame[start..]));
        BinaryPrimitives.WriteUInt16BigEndian(frame[(start + offset)..], (ushort)~sum);
        return true;
    }

    /// <summary>Queues the frame in the transmit ring (copied: the caller frees the buffer); false when the ring is full or the frame too large.</summary>
    public bool Transmit(PacketPool pool, int packet)
    {
        var data = pool.Data(packet);
        if (data.Length > FrameSize - TxDataOffset - VnetHeaderLength) return false;
        var slot = _tx + _txNext * FrameSize;
        ref var status = ref *(uint*)(slot + StatusOffset);
        if (Volatile.Read(ref status) != TpStatusAvailable)
        {
            // The kernel has not sent the frame of a ring ago yet: tell it of what waits, and look once more.
            Kick();
            if (Volatile.Read(ref status) != TpStatusAvailable) return false;
        }
        // A virtio-net header in front: nothing to offload, and the whole frame "header" (hdr_len), which the kernel
        // copies into the socket buffer; the rest it would take as page fragments of the ring, which a veth peer
        // then copies once more, into a page allocated per frame.
        var vnet = new Span<byte>(slot + TxDataOffset, VnetHeaderLength);
        vnet.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(vnet[2..], (ushort)data.Length);
        data.CopyTo(new Span<byte>(slot + TxDataOffset + VnetHeaderLength, data.Length));
        *(int*)(slot + LenOffset) = VnetHeaderLength + data.Length;
        Volatile.Write(ref status, TpStatusSendRequest);
        _txNext = _txNext + 1 == TxFrames ? 0 : _txNext + 1;
        Volatile.Write(ref _queued, _queued + 1);
        if (_queued - _kicked >= TxBatch) Kick();
        return true;
    }

    /// <summary>Hands the kernel the frames <see cref="Transmit"/> queued (one system call for all of them).</summary>
    public void Flush()
    {
        if (Volatile.Read(ref _queued) != Volatile.Read(ref _kicked)) Kick();
    }

    // Every frame up to the count read here is marked for sending before the count grew, so this send covers them;
    // two threads kicking at once at worst kick once more than needed later.
    private void Kick()
    {
        var queued = Volatile.Read(ref _queued);
        Volatile.Write(ref _kicked, queued);
        LinuxNative.send(_fd, null, 0, MsgDontwait); // errors (a link down, a full send buffer) leave the frames queued for the next
    }

    public void Dispose()
    {
        Flush();
        foreach (var q in _queues) q.Dispose();
    }

    private static ushort Htons(ushort v) => (ushort)(v << 8 | v >> 8);

    private static IOException Error(string what) => LinuxNative.Error(what);

    [StructLayout(LayoutKind.Sequential)]
    private struct TpacketReq
    {
        public uint BlockSize;
        public uint BlockCount;
        public uint FrameSize;
        public uint FrameCount;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TpacketStats
    {
        public uint Packets;
        public uint Drops;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int Ifindex;
        public ushort Hatype;
        public byte Pkttype;
        public byte Halen;
        public ulong Addr;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PacketMreq
    {
        public int Ifindex;
        public ushort Type;
        public ushort Alen;
        public ulong Address;
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int bind(int fd, ref SockaddrLl address, int length);

        [DllImport("libc", SetLastError = true)]
        public static extern int setsockopt(int fd, int level, int name, ref PacketMreq value, int length);
    }
}
