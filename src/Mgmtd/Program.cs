using Mgmt.Datastore.Users;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mgmt.Mgmtd;

/// <summary>The mgmtd daemon: a generic host that later northbound listeners plug into as hosted services.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.Sources.Clear();
        var cli = new ConfigurationBuilder().AddCommandLine(args, MgmtdOptions.SwitchMappings).Build();
        if (cli["Config"] is { } configFile)
        {
            if (!File.Exists(configFile))
            {
                Console.Error.WriteLine($"{configFile}: error: config file not found");
                return 2;
            }
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }
        builder.Configuration.AddEnvironmentVariables("MGMTD_");
        builder.Configuration.AddCommandLine(args, MgmtdOptions.SwitchMappings);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.AddSystemd();
        builder.Services.Configure<MgmtdOptions>(builder.Configuration);
        var core = new DaemonCore();
        builder.Services.AddMgmtdCore(core).AddListeners();

        using var host = builder.Build();
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("mgmtd");
        var options = host.Services.GetRequiredService<IOptions<MgmtdOptions>>().Value;

        var context = Startup.CompileModules(options.ResolveYangDir(), log, Console.Error);
        if (context is null) return 1;

        Directory.CreateDirectory(options.StateDir);
        log.LogInformation("State directory {StateDir}", Path.GetFullPath(options.StateDir));
        // The load's no-GC region ends at the collection below, not at the next allocation: one full collection, not two.
        var loadRegion = Mgmt.Datastore.Persistence.BulkLoad.Defer();
        var datastores = Startup.OpenDatastores(context, options.StateDir, log, Console.Error);
        if (datastores is null)
        {
            loadRegion.Dispose();
            return 1;
        }
        core.Set(context, datastores);
        Startup.EnsureAdmin(host.Services.GetRequiredService<UserStore>(), log, Console.Out);

        await host.StartAsync();
        log.LogInformation("mgmtd ready");
        // Loading left the parser's garbage and the memory reserved for the load behind: a second after the
        // start, collect it once and give what is free back to the system, so the daemon settles at the size of
        // its configuration (a pause of about 0.3 s with 250k interfaces, 0.05 s with 100k simple ones).
        _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ =>
        {
            loadRegion.Dispose();
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            var gc = GC.GetGCMemoryInfo();
            log.LogInformation("Settled: managed heap {Heap:F1} MB, committed {Committed:F1} MB, process {Rss:F1} MB",
                gc.HeapSizeBytes / 1e6, gc.TotalCommittedBytes / 1e6, Environment.WorkingSet / 1e6);
        }, TaskScheduler.Default);
        await host.WaitForShutdownAsync();
        log.LogInformation("mgmtd stopped");
        return 0;
    }
}
