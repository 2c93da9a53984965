using System.Runtime;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// Loading a saved configuration allocates a tree that stays alive as a whole: collecting while it grows only
/// copies it between generations. For the length of a load the collector is asked to stay out of the way for
/// about the memory the load will allocate (a no-GC region); if the load needs more, the runtime collects as
/// usual and the region ends by itself. Small loads do not ask.
/// </summary>
internal sealed class BulkLoad : IDisposable
{
    /// <summary>Managed memory a load allocates per byte of RFC 7951 JSON (measured: about 4.8 with defaults; room for more).</summary>
    private const int BytesPerFileByte = 7;

    private const long MinFileSize = 4 << 20;
    private const long MaxRegion = 1L << 30;

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

    public static BulkLoad Begin(long fileSize) => new(fileSize);

    public void Dispose()
    {
        if (!_active) return;
        _active = false;
        try
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The region already ended (the load needed more than it reserved).
        }
    }
}
