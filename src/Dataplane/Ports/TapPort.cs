using System.Runtime.InteropServices;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// A Linux TAP interface: the host-stack side of a dataplane interface (its punt path). Frames the dataplane does
/// not handle itself for that interface (traffic to its addresses other than what it answers, ARP and neighbor
/// discovery copies, multicast and broadcast) are written to the TAP; what the host stack sends on the TAP leaves
/// by the dataplane interface. The TAP gets the dataplane interface's MAC; give it the same addresses, and routing
/// daemons on the host (FRR, BIRD) talk through the dataplane's interfaces. Needs CAP_NET_ADMIN.
/// </summary>
public sealed class TapPort : IPacketPort
{
    private const int ORdwr = 2, ONonblock = 0x800, OCloexec = 0x80000;
    private const uint Tunsetiff = 0x400454ca, Siocsifhwaddr = 0x8924, Siocgifflags = 0x8913, Siocsifflags = 0x8914;
    private const short IffTap = 0x0002, IffNoPi = 0x1000, IffUp = 0x1;
    private const int Eintr = 4;

    private readonly int _fd;

    /// <param name="name">The TAP's Linux name (at most 15 characters).</param>
    /// <param name="mac">The MAC it gets (the dataplane interface's).</param>
    /// <param name="networkNamespace">A named network namespace to create it in, or null for the daemon's own.</param>
    public TapPort(string name, ulong mac, string? networkNamespace = null)
    {
        if (name.Length is 0 or > 15) throw new ArgumentException($"\"{name}\" is not a Linux interface name");
        Name = name;
        (_fd, var error) = networkNamespace is null ? Create(name, mac) : InNamespace(networkNamespace, () => Create(name, mac));
        if (error is not null) throw new IOException($"TAP {name}: {error}");
    }

    public string Name { get; }

    public bool LinkUp => true;

    private static (int, string?) Create(string name, ulong mac)
    {
        var fd = Native.open("/dev/net/tun", ORdwr | ONonblock | OCloexec);
        if (fd < 0) return (-1, $"open /dev/net/tun: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var r = Request(name);
        r.Short = IffTap | IffNoPi;
        if (Native.ioctl(fd, Tunsetiff, ref r) != 0) return Fail(fd, "TUNSETIFF");
        // MAC and up, through an ordinary socket of the same namespace.
        var s = Native.socket(2, 2, 0);
        try
        {
            var hw = Request(name);
            unsafe
            {
                hw.Union[0] = 1; // ARPHRD_ETHER
                for (var i = 0; i < 6; i++) hw.Union[2 + i] = (byte)(mac >> (40 - 8 * i));
            }
            if (Native.ioctl(s, Siocsifhwaddr, ref hw) != 0) return Fail(fd, "SIOCSIFHWADDR");
            var flags = Request(name);
            if (Native.ioctl(s, Siocgifflags, ref flags) != 0) return Fail(fd, "SIOCGIFFLAGS");
            flags.Short |= IffUp;
            if (Native.ioctl(s, Siocsifflags, ref flags) != 0) return Fail(fd, "SIOCSIFFLAGS");
        }
        finally
        {
            Native.close(s);
        }
        return (fd, null);
    }

    private static (int, string?) Fail(int fd, string what)
    {
        var message = $"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
        Native.close(fd);
        return (-1, message);
    }

    private static (int, string?) InNamespace(string ns, Func<(int, string?)> create)
    {
        (int, string?) result = (-1, null);
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{ns}");
                result = Native.setns((int)handle.DangerousGetHandle(), 0x40000000) != 0
                    ? (-1, $"setns to {ns}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}")
                    : create();
            }
            catch (IOException e)
            {
                result = (-1, e.Message);
            }
        });
        thread.Start();
        thread.Join();
        return result;
    }

    private static Ifreq Request(string name)
    {
        var r = new Ifreq();
        unsafe
        {
            for (var i = 0; i < name.Length; i++) r.Name[i] = (byte)name[i];
        }
        return r;
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
            fixed (byte* b = room) got = Native.read(_fd, b, room.Length);
            if (got <= 0)
            {
                pool.Free(p);
                if (got < 0 && Marshal.GetLastPInvokeError() == Eintr) continue;
                break;
            }
            if (got < Ethernet.HeaderLength)
            {
                pool.Free(p);
                continue;
            }
            pool.Meta[p].Length = (int)got;
            into[n++] = p;
        }
        return n;
    }

    public unsafe bool Transmit(PacketPool pool, int packet)
    {
        var data = pool.Data(packet);
        fixed (byte* b = data) return Native.write(_fd, b, data.Length) == data.Length;
    }

    public void Dispose() => Native.close(_fd);

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Ifreq
    {
        public fixed byte Name[16];
        public fixed byte Union[24];

        public short Short
        {
            get
            {
                fixed (byte* u = Union) return *(short*)u;
            }
            set
            {
                fixed (byte* u = Union) *(short*)u = value;
            }
        }
    }

    private static unsafe class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        public static extern int ioctl(int fd, nuint request, ref Ifreq value);

        [DllImport("libc", SetLastError = true)]
        public static extern nint read(int fd, byte* buffer, nint length);

        [DllImport("libc", SetLastError = true)]
        public static extern nint write(int fd, byte* buffer, nint length);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int setns(int fd, int type);
    }
}
