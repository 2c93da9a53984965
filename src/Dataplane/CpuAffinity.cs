using System.Runtime.InteropServices;

namespace Mgmt.Dataplane;

/// <summary>Pins the calling thread to one CPU (Linux <c>sched_setaffinity</c>), so that a worker keeps its core's caches.</summary>
internal static partial class CpuAffinity
{
    /// <summary>Null when pinned, else why not.</summary>
    public static string? PinCurrentThread(int core)
    {
        if (!OperatingSystem.IsLinux()) return null;
        Span<ulong> mask = stackalloc ulong[16]; // up to 1024 CPUs
        mask.Clear();
        mask[core / 64] = 1UL << (core % 64);
        unsafe
        {
            fixed (ulong* m = mask)
                return sched_setaffinity(0, (nint)(mask.Length * sizeof(ulong)), m) == 0
                    ? null
                    : $"cannot pin a worker to CPU {core}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_setaffinity(int pid, nint size, ulong* mask);
}
