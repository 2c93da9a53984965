using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// DPDK's environment (EAL) for the process: initialised once, before the first <see cref="DpdkPort"/>, with
/// <see cref="Initialize"/>'s arguments or else <see cref="DefaultArguments"/>. DPDK is reached through a small
/// shim (<c>libmgmt_dpdk.so</c>, built with the dataplane when libdpdk-dev is installed) over Debian's shared
/// libdpdk; its drivers (PMDs) are loaded from DPDK's plugin directory, so any installed PMD works.
/// </summary>
public static class Dpdk
{
    internal const string Shim = "mgmt_dpdk";

    /// <summary>
    /// The EAL arguments used when <see cref="Initialize"/> was not called: no hugepages, no PCI scan, 256 MB of
    /// ordinary memory, lcore 0, no files in /var/run/dpdk (so several processes coexist), warnings and errors logged.
    /// Enough for virtual devices (net_af_packet, net_af_xdp, net_ring, net_null, net_tap); a NIC needs hugepages
    /// and PCI, that is its own arguments.
    /// </summary>
    public static IReadOnlyList<string> DefaultArguments { get; } =
        ["--no-shconf", "--no-telemetry", "--no-huge", "--no-pci", "-m", "256", "-l", "0", "--log-level=warning"];

    private static readonly Lock Gate = new();
    private static string? _unavailable;
    private static bool _probed;
    private static string[]? _arguments;
    private static string? _failed;

    /// <summary>Whether the shim and DPDK's libraries load; <see cref="UnavailableReason"/> says why not.</summary>
    public static bool IsAvailable => UnavailableReason is null;

    /// <summary>Why DPDK cannot be used in this process, or null when it can.</summary>
    public static string? UnavailableReason
    {
        get
        {
            lock (Gate)
            {
                if (_probed) return _unavailable;
                _probed = true;
                var directory = Path.GetDirectoryName(typeof(Dpdk).Assembly.Location) ?? AppContext.BaseDirectory;
                var path = Path.Combine(directory, "libmgmt_dpdk.so");
                if (!OperatingSystem.IsLinux()) _unavailable = "DPDK is supported on Linux only";
                else if (!File.Exists(path)) _unavailable = $"the shim {path} was not built (DPDK's headers were missing at build time: install libdpdk-dev and rebuild)";
                else
                {
                    try
                    {
                        NativeLibrary.Load(path);
                        _ = Marshal.PtrToStringUTF8(Native.mgmt_dpdk_version());
                    }
                    catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
                    {
                        _unavailable = $"loading {path}: {e.Message}";
                    }
                }
                return _unavailable;
            }
        }
    }

    /// <summary>DPDK's version ("DPDK 22.11.11"); throws when DPDK is not available.</summary>
    public static string Version
    {
        get
        {
            ThrowIfUnavailable();
            return Marshal.PtrToStringUTF8(Native.mgmt_dpdk_version()) ?? "";
        }
    }

    /// <summary>Whether the EAL is initialised in this process.</summary>
    public static bool IsInitialized
    {
        get
        {
            lock (Gate) return _arguments is not null;
        }
    }

    /// <summary>The arguments the EAL was initialised with (without the program name), or null.</summary>
    public static IReadOnlyList<string>? Arguments
    {
        get
        {
            lock (Gate) return _arguments;
        }
    }

    /// <summary>
    /// Initialises DPDK's EAL with <paramref name="arguments"/> (as on a DPDK program's command line, without the
    /// program name; <see cref="DefaultArguments"/> when null). The EAL exists once per process: calling this again
    /// with the same arguments does nothing, with other arguments (or after a failure) is refused.
    /// </summary>
    public static void Initialize(IReadOnlyList<string>? arguments = null)
    {
        var args = (arguments ?? DefaultArguments).ToArray();
        foreach (var a in args)
            if (a is null || a.Length == 0 || a.Contains('\0'))
                throw new ArgumentException("an EAL argument is null, empty or contains a NUL character", nameof(arguments));
        ThrowIfUnavailable();
        lock (Gate)
        {
            if (_failed is not null) throw new DataplaneException($"DPDK's EAL failed to initialise ({_failed}) and cannot be initialised again in this process");
            if (_arguments is not null)
            {
                if (_arguments.SequenceEqual(args)) return;
                throw new DataplaneException(
                    $"DPDK's EAL is initialised already with \"{string.Join(' ', _arguments)}\"; it can be initialised once per process, not again with \"{string.Join(' ', args)}\"");
            }
            // EAL pins the thread that initialises it to the main lcore; a thread of our own takes that and ends.
            var result = 0;
            var thread = new Thread(() => result = CallInit(args)) { Name = "dpdk-eal-init" };
            thread.Start();
            thread.Join();
            if (result < 0)
            {
                _failed = $"{Error(result)}; arguments \"{string.Join(' ', args)}\"";
                throw new DataplaneException($"DPDK's EAL failed to initialise: {_failed}");
            }
            _arguments = args;
        }
    }

    // EAL keeps pointers into argv (it reorders it), so the strings stay allocated for the life of the process.
    private static unsafe int CallInit(string[] args)
    {
        var argv = (nint*)NativeMemory.AllocZeroed((nuint)(args.Length + 2), (nuint)sizeof(nint));
        argv[0] = Marshal.StringToCoTaskMemUTF8("mgmt-dataplane");
        for (var i = 0; i < args.Length; i++) argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
        return Native.mgmt_dpdk_init(args.Length + 1, argv);
    }

    internal static void EnsureInitialized()
    {
        ThrowIfUnavailable();
        lock (Gate)
            if (_arguments is not null) return;
        Initialize(null);
    }

    internal static void ThrowIfUnavailable()
    {
        if (UnavailableReason is { } reason) throw new DataplaneException($"DPDK is not available: {reason}");
    }

    /// <summary>A shim result (a negated errno) in words.</summary>
    internal static string Error(int result) => Marshal.PtrToStringUTF8(Native.mgmt_dpdk_strerror(result)) ?? $"error {-result}";

    internal static unsafe class Native
    {
        [DllImport(Shim)]
        public static extern nint mgmt_dpdk_version();

        [DllImport(Shim)]
        public static extern nint mgmt_dpdk_strerror(int error);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_init(int argc, nint* argv);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_probe([MarshalAs(UnmanagedType.LPUTF8Str)] string devargs);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_port_count();

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_port_by_name([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_port_name(ushort port, byte* name, int size);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_driver_name(ushort port, byte* name, int size);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_port_start(ushort port, uint mbufs, uint dataRoom, nint* pool);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_port_close(ushort port, nint pool, int remove);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_link_up(ushort port);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_mac(ushort port, byte* mac);

        [DllImport(Shim)]
        public static extern ushort mgmt_dpdk_rx(ushort port, nint* mbufs, nint* data, uint* lengths, ushort n);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_read(nint mbuf, byte* destination, uint capacity);

        [DllImport(Shim)]
        public static extern void mgmt_dpdk_free(nint* mbufs, uint n);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_stats(ushort port, ulong* counters);

        [DllImport(Shim)]
        public static extern nint mgmt_dpdk_tx_copy(nint pool, byte* frame, ushort length);

        [DllImport(Shim)]
        public static extern int mgmt_dpdk_port_start_extmem(ushort port, nint buffers, uint count, uint element, nint* pool, nint* table);

        [DllImport(Shim)]
        public static extern nint mgmt_dpdk_tx_own(nint mbuf, ushort offset, ushort length);

        [DllImport(Shim)]
        public static extern ushort mgmt_dpdk_tx_burst(ushort port, nint* mbufs, ushort n);
    }
}
