using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Sessions;

/// <summary>
/// Arrays of tens of megabytes read at random (a million sessions and their index) on 2 MB pages where Linux can give
/// them (transparent huge pages, "madvise" mode): with 4 KB pages nearly every lookup also misses the TLB. The array
/// is pinned (it never moves, so the advice stays true), advised before its pages are first touched, then cleared.
/// </summary>
internal static unsafe class HugeArrays
{
    private const int HugePage = 2 << 20;
    private const int MadvHugePage = 14;

    public static T[] Allocate<T>(int length) where T : unmanaged
    {
        var bytes = (long)length * Unsafe.SizeOf<T>();
        if (bytes < 2L * HugePage || !OperatingSystem.IsLinux()) return new T[length];
        var array = GC.AllocateUninitializedArray<T>(length, pinned: true);
        var start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        // The whole 2 MB pages inside the array (the kernel rounds the range; only whole pages can be huge).
        var first = (start + HugePage - 1) & ~(nint)(HugePage - 1);
        var end = (start + (nint)bytes) & ~(nint)(HugePage - 1);
        if (end > first) _ = madvise(first, (nuint)(end - first), MadvHugePage); // advice: refused, the array still works
        Array.Clear(array);
        return array;
    }

    [DllImport("libc")]
    private static extern int madvise(nint address, nuint length, int advice);
}
