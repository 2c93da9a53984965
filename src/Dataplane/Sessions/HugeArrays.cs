using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mgmt.Dataplane.Sessions;

/// <summary>
/// Arrays read at random on the packet path (sessions and their index), pinned and aligned to cache lines, so that
/// an element laid out on a line stays on that line; those of tens of megabytes (a million sessions) on 2 MB pages
/// where Linux can give them (transparent huge pages, "madvise" mode): with 4 KB pages nearly every lookup also
/// misses the TLB. The array never moves, so the advice stays true; it is advised before its pages are first
/// touched, then cleared.
/// </summary>
internal static unsafe class HugeArrays
{
    private const int HugePage = 2 << 20;
    private const int MadvHugePage = 14;

    /// <summary>
    /// An array of at least <paramref name="length"/> elements whose element <paramref name="start"/> is on an
    /// <paramref name="alignment"/>-byte boundary (a power of two, a multiple of the element's size); the
    /// <paramref name="length"/> elements from there are the caller's.
    /// </summary>
    public static T[] AllocateAligned<T>(long length, int alignment, out nint start) where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        var extra = alignment / size;
        if (length + extra > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), length, "too large for one array");
        var array = GC.AllocateUninitializedArray<T>((int)(length + extra), pinned: true);
        var address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        start = ((address + alignment - 1) & ~(nint)(alignment - 1)) - address;
        if (start % size != 0) throw new InvalidOperationException("an array's elements are not on their size's boundary");
        start /= size;
        Advise(array, address);
        Array.Clear(array);
        return array;
    }

    private static void Advise<T>(T[] array, nint start) where T : unmanaged
    {
        var bytes = (long)array.Length * Unsafe.SizeOf<T>();
        if (bytes < 2L * HugePage || !OperatingSystem.IsLinux()) return;
        // The whole 2 MB pages inside the array (the kernel rounds the range; only whole pages can be huge).
        var first = (start + HugePage - 1) & ~(nint)(HugePage - 1);
        var end = (start + (nint)bytes) & ~(nint)(HugePage - 1);
        if (end > first) _ = madvise(first, (nuint)(end - first), MadvHugePage); // advice: refused, the array still works
    }

    [DllImport("libc")]
    private static extern int madvise(nint address, nuint length, int advice);
}
