using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Ports;

/// <summary>The libc calls and structures the Linux ports share.</summary>
internal static unsafe class LinuxNative
{
    public const int Eagain = 11, Eintr = 4;
    public const int ProtRead = 1, ProtWrite = 2, MapShared = 1;
    private const int CloneNewnet = 0x40000000;

    public static string LastError => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    public static IOException Error(string what) => new($"{what}: {LastError}");

    /// <summary>
    /// Runs <paramref name="action"/> on a thread that joined a named network namespace (<c>ip netns</c>): sockets and
    /// TAPs it makes belong to that namespace and stay there. The thread ends with it, so no pooled thread is left
    /// in another namespace.
    /// </summary>
    public static T InNamespace<T>(string name, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/var/run/netns/{name}");
                if (setns((int)ns.DangerousGetHandle(), CloneNewnet) != 0) throw Error($"setns to {name}");
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        });
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    [DllImport("libc", SetLastError = true)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int name, ref int value, int length);

    [DllImport("libc", SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int name, void* value, int length);

    [DllImport("libc", SetLastError = true)]
    public static extern int getsockopt(int fd, int level, int name, void* value, int* length);

    [DllImport("libc", SetLastError = true)]
    public static extern nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    public static extern int munmap(nint address, nuint length);

    [DllImport("libc", SetLastError = true)]
    public static extern nint recv(int fd, byte* buffer, nint length, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern nint send(int fd, byte* buffer, nint length, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, byte* buffer, nint length);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(int fd, byte* buffer, nint length);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int ioctl(int fd, nuint request, ref Ifreq value);

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int type);
}

/// <summary>struct ifreq: an interface name, then a union (index, flags, or a sockaddr with the hardware address).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Ifreq
{
    public fixed byte Name[16];
    public fixed byte Union[24];

    public static Ifreq For(string name)
    {
        var r = new Ifreq();
        for (var i = 0; i < name.Length && i < 15; i++) r.Name[i] = (byte)name[i];
        return r;
    }

    public int Int
    {
        get
        {
            fixed (byte* u = Union) return *(int*)u;
        }
    }

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

    public ReadOnlySpan<byte> Bytes(int offset, int length)
    {
        var copy = new byte[length];
        fixed (byte* u = Union) new ReadOnlySpan<byte>(u + offset, length).CopyTo(copy);
        return copy;
    }
}
