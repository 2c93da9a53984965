using System.Runtime;
using Mgmt.Datastore.Persistence;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Tests;

/// <summary>A no-GC region is process-wide: these tests run alone, so that no other test's allocations end it.</summary>
[CollectionDefinition(nameof(NoGcRegionCollection), DisableParallelization = true)]
public sealed class NoGcRegionCollection;

/// <summary>
/// A large load runs in a no-GC region; the daemon defers the region's end to its collection after start-up, so
/// that the first collection after the load is that one (a full collection over the new tree costs a quarter
/// second with 250k interfaces).
/// </summary>
[Collection(nameof(NoGcRegionCollection))]
public sealed class BulkLoadTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = new(() => SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang));

    private readonly string _dir = Directory.CreateTempSubdirectory("bulk-load-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A running.json large enough (over 4 MB) for a load to ask for a region.</summary>
    private ConfigFile LargeFile()
    {
        var path = Path.Combine(_dir, "running.json");
        using (var w = new StreamWriter(path))
        {
            w.Write("{\"ietf-interfaces:interfaces\":{\"interface\":[");
            for (var i = 0; i < 40_000; i++)
                w.Write($"{(i > 0 ? "," : "")}{{\"name\":\"eth{i}\",\"description\":\"a port with a description of some length, number {i}\",\"type\":\"iana-if-type:ethernetCsmacd\"}}");
            w.Write("]}}");
        }
        Assert.True(new FileInfo(path).Length > 4 << 20);
        return new ConfigFile(path);
    }

    [Fact]
    public void A_load_ends_its_region_when_nothing_defers_it()
    {
        var tree = LargeFile().Load(Schema.Value);
        Assert.True(tree.HasChildren);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void A_deferred_region_outlives_the_load_until_the_deferral_ends()
    {
        var file = LargeFile();
        var deferral = BulkLoad.Defer();
        try
        {
            var tree = file.Load(Schema.Value);
            Assert.True(tree.HasChildren);
            // Still in the region: no collection ended it (one that the load's allocations forced would have).
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        }
        finally
        {
            deferral.Dispose();
        }
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        deferral.Dispose(); // twice is harmless
    }
}
