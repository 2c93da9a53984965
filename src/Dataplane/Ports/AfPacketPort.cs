using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// A Linux interface (veth, NIC) through an AF_PACKET raw socket: every frame in, promiscuous; frames out as
/// they are. Non-blocking; the socket ignores the frames it sends itself. Needs CAP_NET_RAW.
/// </summary>
/// <remarks>
/// Frames carry a virtio-net header (PACKET_VNET_HDR): a sender on the same host (a veth peer) leaves transport
/// checksums to "offload", and the header says where to finish them, which this port does. Segmentation offload
/// (frames larger than a buffer) is not supported yet: such frames are dropped and counted in
/// <see cref="OversizeDropped"/>; turn TSO/GSO off on local senders and GRO off on NICs the dataplane owns.
/// </remarks>
public sealed class AfPacketPort : IPacketPort
{
    private const int AfPacket = 17, SockRaw = 3, SockNonblock = 0x800, SockCloexec = 0x80000;
    private const ushort EthPAll = 0x0003;
    private const int SolPacket = 263, PacketAddMembership = 1, PacketMrPromisc = 1, PacketVnetHdr = 15, PacketIgnoreOutgoing = 23;
    private const int MsgDontwait = 0x40, MsgTrunc = 0x20;

    /// <summary>struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset.</summary>
    private const int VnetHeaderLength = 10;
    private const byte VnetNeedsChecksum = 1;
    private const uint Siocgifflags = 0x8913, Siocgifhwaddr = 0x8927, Siocgifindex = 0x8933;
    private const int IffUp = 0x1, IffRunning = 0x40;

    private readonly int _fd;

    /// <param name="linuxInterface">The Linux interface's name.</param>
    /// <param name="networkNamespace">A named network namespace (<c>ip netns</c>) that holds the interface, or null for the daemon's own.</param>
    public AfPacketPort(string linuxInterface, string? networkNamespace = null)
    {
        if (linuxInterface.Length is 0 or > 15) throw new ArgumentException($"\"{linuxInterface}\" is not a Linux interface name");
        Name = linuxInterface;
        _fd = networkNamespace is null ? Open(linuxInterface) : LinuxNative.InNamespace(networkNamespace, () => Open(linuxInterface));
        try
        {
            var ifindex = Query(Siocgifindex).Int;
            Mac = Ethernet.Read48(Query(Siocgifhwaddr).Bytes(2, 6));
            var one = 1;
            if (LinuxNative.setsockopt(_fd, SolPacket, PacketVnetHdr, ref one, sizeof(int)) != 0) throw Error("PACKET_VNET_HDR");
            var address = new SockaddrLl { Family = AfPacket, Protocol = Htons(EthPAll), Ifindex = ifindex };
            if (Native.bind(_fd, ref address, Marshal.SizeOf<SockaddrLl>()) != 0) throw Error($"bind to {linuxInterface}");
            var promisc = new PacketMreq { Ifindex = ifindex, Type = PacketMrPromisc };
            if (Native.setsockopt(_fd, SolPacket, PacketAddMembership, ref promisc, Marshal.SizeOf<PacketMreq>()) != 0) throw Error("PACKET_ADD_MEMBERSHIP");
            LinuxNative.setsockopt(_fd, SolPacket, PacketIgnoreOutgoing, ref one, sizeof(int)); // Linux 4.20+; older kernels echo our frames back
        }
        catch
        {
            LinuxNative.close(_fd);
            throw;
        }
    }

    private static int Open(string linuxInterface)
    {
        var fd = LinuxNative.socket(AfPacket, SockRaw | SockNonblock | SockCloexec, Htons(EthPAll));
        if (fd < 0) throw Error($"socket(AF_PACKET) for {linuxInterface}");
        return fd;
    }

    private Ifreq Query(uint request)
    {
        var r = Ifreq.For(Name);
        if (LinuxNative.ioctl(_fd, request, ref r) != 0) throw Error($"{Name}: ioctl 0x{request:x}");
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
                _linkUp = (Query(Siocgifflags).Int & (IffUp | IffRunning)) == (IffUp | IffRunning);
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

    /// <summary>Frames dropped because they were larger than a buffer (segmentation offload, jumbo frames).</summary>
    public long OversizeDropped { get; private set; }

    public unsafe int Receive(PacketPool pool, Span<int> into)
    {
        var n = 0;
        while (n < into.Length)
        {
            var p = pool.Allocate();
            if (p < 0) break;
            // The virtio-net header lands in the headroom, the frame where the pool wants it.
            pool.Advance(p, -VnetHeaderLength);
            var room = pool.Room(p);
            nint got;
            fixed (byte* b = room) got = LinuxNative.recv(_fd, b, room.Length, MsgDontwait | MsgTrunc);
            if (got <= 0)
            {
                pool.Free(p);
                if (got < 0 && Marshal.GetLastPInvokeError() == LinuxNative.Eintr) continue;
                break; // EAGAIN: nothing more now
            }
            var header = room[..VnetHeaderLength];
            if (got > room.Length || header[1] != 0 || got < VnetHeaderLength + Ethernet.HeaderLength)
            {
                pool.Free(p);
                OversizeDropped++;
                continue;
            }
            pool.Meta[p].Length = (int)got;
            pool.Advance(p, VnetHeaderLength);
            if ((header[0] & VnetNeedsChecksum) != 0 && !FinishChecksum(pool.Data(p), header))
            {
                pool.Free(p);
                continue;
            }
            into[n++] = p;
        }
        return n;
    }

    // The sender put the pseudo-header sum at csum_start + csum_offset; the checksum covers csum_start to the end.
    private static bool FinishChecksum(Span<byte> frame, ReadOnlySpan<byte> header)
    {
        int start = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        int offset = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        if (start + offset + 2 > frame.Length) return false;
        var sum = Checksum.Fold(Checksum.Sum(frame[start..]));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame[(start + offset)..], (ushort)~sum);
        return true;
    }

    public unsafe bool Transmit(PacketPool pool, int packet)
    {
        // An all-zero virtio-net header in front: nothing to offload.
        pool.Advance(packet, -VnetHeaderLength);
        var data = pool.Data(packet);
        data[..VnetHeaderLength].Clear();
        fixed (byte* b = data)
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                if (LinuxNative.send(_fd, b, data.Length, MsgDontwait) == data.Length) return true;
                if (Marshal.GetLastPInvokeError() is not (LinuxNative.Eagain or LinuxNative.Eintr)) return false;
            }
        }
        return false;
    }

    public void Dispose() => LinuxNative.close(_fd);

    private static ushort Htons(ushort v) => (ushort)(v << 8 | v >> 8);

    private static IOException Error(string what) => LinuxNative.Error(what);

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
