using System.Runtime;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// Loading a saved configuration allocates a tree that stays alive as a whole: collecting while it grows only
/// copies it between generations. For the length of a load the collector is asked to stay out of the way for
/// about the memory the load will allocate (a no-GC region); if the load needs more, the runtime collects as
/// usual and the region ends by itself. Small loads do not ask.
/// </summary>
/// <remarks>
/// The first collection after a large load goes through the whole new tree (a quarter of a second with 250k
/// interfaces). A daemon that collects once anyway when it has started can <see cref="Defer"/> the region's
/// end to that point, so that the start does not pay for two full collections.
/// </remarks>
public sealed class BulkLoad : IDisposable
{
    /// <summary>Managed memory a load allocates per byte of RFC 7951 JSON (measured: about 4.8 with defaults; room for more).</summary>
    private const int BytesPerFileByte = 7;

    private const long MinFileSize = 4 << 20;
    private const long MaxRegion = 1L << 30;

    private static readonly Lock Gate = new();
    private static int s_deferrals;
    private static bool s_endPending;

    private bool _active;

    private BulkLoad(long fileSize)
    {
        if (fileSize < MinFileSize) return;
        try
        {
            _active = GC.TryStartNoGCRegion(Math.Min(fileSize * BytesPerFileByte, MaxRegion));
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            // Larger than the runtime allows, or a region is already on: load with collections.
        }
    }

    internal static BulkLoad Begin(long fileSize) => new(fileSize);

    /// <summary>
    /// Until the returned object is disposed, a load's region outlives the load (allocations past its budget
    /// still end it, with a collection); disposing ends it. The caller collects after that, when it suits it.
    /// </summary>
    public static IDisposable Defer()
    {
        lock (Gate) s_deferrals++;
        return new Deferral();
    }

    public void Dispose()
    {
        if (!_active) return;
        _active = false;
        lock (Gate)
        {
            if (s_deferrals > 0)
            {
                s_endPending = true;
                return;
            }
        }
        EndRegion();
    }

    private static void EndRegion()
    {
        try
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The region already ended (the load needed more than it reserved).
        }
    }

    private sealed class Deferral : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_disposed) return;
                _disposed = true;
                if (--s_deferrals > 0 || !s_endPending) return;
                s_endPending = false;
            }
            EndRegion();
        }
    }
}
