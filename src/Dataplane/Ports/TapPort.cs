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

    private readonly int _fd;

    /// <param name="name">The TAP's Linux name (at most 15 characters).</param>
    /// <param name="mac">The MAC it gets (the dataplane interface's).</param>
    /// <param name="networkNamespace">A named network namespace to create it in, or null for the daemon's own.</param>
    public TapPort(string name, ulong mac, string? networkNamespace = null)
    {
        if (name.Length is 0 or > 15) throw new ArgumentException($"\"{name}\" is not a Linux interface name");
        Name = name;
        _fd = networkNamespace is null ? Create(name, mac) : LinuxNative.InNamespace(networkNamespace, () => Create(name, mac));
    }

    public string Name { get; }

    public bool LinkUp => true;

    private static int Create(string name, ulong mac)
    {
        var fd = LinuxNative.open("/dev/net/tun", ORdwr | ONonblock | OCloexec);
        if (fd < 0) throw LinuxNative.Error($"TAP {name}: open /dev/net/tun");
        try
        {
            var r = Ifreq.For(name);
            r.Short = IffTap | IffNoPi;
            if (LinuxNative.ioctl(fd, Tunsetiff, ref r) != 0) throw LinuxNative.Error($"TAP {name}: TUNSETIFF");
            // MAC and up, through an ordinary socket of the same namespace.
            var s = LinuxNative.socket(2, 2, 0);
            try
            {
                var hw = Ifreq.For(name);
                unsafe
                {
                    hw.Union[0] = 1; // ARPHRD_ETHER
                    for (var i = 0; i < 6; i++) hw.Union[2 + i] = (byte)(mac >> (40 - 8 * i));
                }
                if (LinuxNative.ioctl(s, Siocsifhwaddr, ref hw) != 0) throw LinuxNative.Error($"TAP {name}: SIOCSIFHWADDR");
                var flags = Ifreq.For(name);
                if (LinuxNative.ioctl(s, Siocgifflags, ref flags) != 0) throw LinuxNative.Error($"TAP {name}: SIOCGIFFLAGS");
                flags.Short |= IffUp;
                if (LinuxNative.ioctl(s, Siocsifflags, ref flags) != 0) throw LinuxNative.Error($"TAP {name}: SIOCSIFFLAGS");
            }
            finally
            {
                LinuxNative.close(s);
            }
            return fd;
        }
        catch
        {
            LinuxNative.close(fd);
            throw;
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
            fixed (byte* b = room) got = LinuxNative.read(_fd, b, room.Length);
            if (got <= 0)
            {
                pool.Free(p);
                if (got < 0 && Marshal.GetLastPInvokeError() == LinuxNative.Eintr) continue;
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
        fixed (byte* b = data) return LinuxNative.write(_fd, b, data.Length) == data.Length;
    }

    public void Dispose() => LinuxNative.close(_fd);
}
