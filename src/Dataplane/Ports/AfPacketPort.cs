using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// A Linux interface (veth, NIC) through an AF_PACKET raw socket: every frame in, promiscuous; frames out as
/// they are. Non-blocking; the socket ignores the frames it sends itself. Needs CAP_NET_RAW.
/// </summary>
public sealed class AfPacketPort : IPacketPort
{
    private const int AfPacket = 17, SockRaw = 3, SockNonblock = 0x800, SockCloexec = 0x80000;
    private const ushort EthPAll = 0x0003;
    private const int SolPacket = 263, PacketAddMembership = 1, PacketMrPromisc = 1, PacketIgnoreOutgoing = 23;
    private const int MsgDontwait = 0x40;
    private const int Eagain = 11, Eintr = 4;

    private readonly int _fd;
    private readonly string _carrierPath;

    public AfPacketPort(string linuxInterface)
    {
        Name = linuxInterface;
        var ifindex = int.Parse(File.ReadAllText($"/sys/class/net/{linuxInterface}/ifindex").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Mac = Ethernet.Parse(File.ReadAllText($"/sys/class/net/{linuxInterface}/address").Trim());
        _carrierPath = $"/sys/class/net/{linuxInterface}/carrier";
        _fd = Native.socket(AfPacket, SockRaw | SockNonblock | SockCloexec, Htons(EthPAll));
        if (_fd < 0) throw Error("socket(AF_PACKET)");
        try
        {
            var address = new SockaddrLl { Family = AfPacket, Protocol = Htons(EthPAll), Ifindex = ifindex };
            if (Native.bind(_fd, ref address, Marshal.SizeOf<SockaddrLl>()) != 0) throw Error($"bind to {linuxInterface}");
            var promisc = new PacketMreq { Ifindex = ifindex, Type = PacketMrPromisc };
            if (Native.setsockopt(_fd, SolPacket, PacketAddMembership, ref promisc, Marshal.SizeOf<PacketMreq>()) != 0) throw Error("PACKET_ADD_MEMBERSHIP");
            var one = 1;
            Native.setsockopt(_fd, SolPacket, PacketIgnoreOutgoing, ref one, sizeof(int)); // Linux 4.20+; older kernels echo our frames back
        }
        catch
        {
            Native.close(_fd);
            throw;
        }
    }

    public string Name { get; }

    /// <summary>The Linux interface's own MAC, which the dataplane interface usually takes.</summary>
    public ulong Mac { get; }

    public bool LinkUp
    {
        get
        {
            try
            {
                return File.ReadAllText(_carrierPath).Trim() == "1";
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    public unsafe int Receive(PacketPool pool, Span<int> into)
    {
        var n = 0;
        while (n < into.Length)
        {
            var p = pool.Allocate();
            if (p < 0) break;
            var room = pool.Room(p);
            nint got;
            fixed (byte* b = room) got = Native.recv(_fd, b, room.Length, MsgDontwait);
            if (got <= 0)
            {
                pool.Free(p);
                var errno = Marshal.GetLastPInvokeError();
                if (got < 0 && errno == Eintr) continue;
                break; // EAGAIN: nothing more now
            }
            pool.Meta[p].Length = (int)got;
            into[n++] = p;
        }
        return n;
    }

    public unsafe bool Transmit(ReadOnlySpan<byte> frame)
    {
        fixed (byte* b = frame)
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                if (Native.send(_fd, b, frame.Length, MsgDontwait) == frame.Length) return true;
                if (Marshal.GetLastPInvokeError() is not (Eagain or Eintr)) return false;
            }
        }
        return false;
    }

    public void Dispose() => Native.close(_fd);

    private static ushort Htons(ushort v) => (ushort)(v << 8 | v >> 8);

    private static IOException Error(string what) => new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

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

    private static unsafe class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        public static extern int bind(int fd, ref SockaddrLl address, int length);

        [DllImport("libc", SetLastError = true)]
        public static extern int setsockopt(int fd, int level, int name, ref PacketMreq value, int length);

        [DllImport("libc", SetLastError = true)]
        public static extern int setsockopt(int fd, int level, int name, ref int value, int length);

        [DllImport("libc", SetLastError = true)]
        public static extern nint recv(int fd, byte* buffer, nint length, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint send(int fd, byte* buffer, nint length, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
