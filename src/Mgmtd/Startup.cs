using Mgmt.Datastore;
using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Yang;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;
using Microsoft.Extensions.Logging;

namespace Mgmt.Mgmtd;

/// <summary>What the daemon does before it serves: compile the YANG dir, open the state dir, make sure an admin exists.</summary>
internal static class Startup
{
    /// <summary>Compiles every module of the YANG dir; on errors prints <c>file:line:col: error: message</c> lines and returns null.</summary>
    public static SchemaContext? CompileModules(string yangDir, ILogger log, TextWriter errors)
    {
        if (!Directory.Exists(yangDir))
        {
            errors.WriteLine($"{yangDir}: error: YANG directory not found");
            return null;
        }
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            var context = SchemaContextBuilder.FromDirectory(yangDir, Mgmt.Northbound.Netconf.NetconfServer.UnsupportedFeatures);
            var implemented = context.ImplementedModules.Count();
            log.LogInformation("Compiled {ModuleCount} YANG modules ({Implemented} implemented) from {YangDir} in {Elapsed} ms",
                context.Modules.Count, implemented, yangDir, started.ElapsedMilliseconds);
            return context;
        }
        catch (YangException e)
        {
            foreach (var d in e.Diagnostics) errors.WriteLine(d.ToString());
            log.LogCritical("{Count} error(s) in the YANG modules of {YangDir}; not starting", e.Diagnostics.Count, yangDir);
            return null;
        }
    }

    /// <summary>Loads running (or startup) from the state dir; an unreadable or invalid file stops the start with its name and first error.</summary>
    public static Datastores? OpenDatastores(SchemaContext context, string stateDir, ILogger log, TextWriter errors)
    {
        try
        {
            var ds = Datastores.Open(context, stateDir);
            var nodes = ds.Read(DatastoreName.Running, t => t.Children.Count(c => !DefaultsOnly(c)));
            log.LogInformation("Running configuration loaded: {TopLevelNodes} top-level node(s)", nodes);
            return ds;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"error: {e.Message}");
            log.LogCritical("The saved configuration cannot be loaded; not starting");
            return null;
        }
    }

    /// <summary>A node that holds nothing but schema defaults (e.g. /nacm before anyone configured it).</summary>
    private static bool DefaultsOnly(Mgmt.Yang.Data.DataNode n) =>
        n.IsDefault || n is Mgmt.Yang.Data.DataInner i && i.Schema is Mgmt.Yang.Schema.ContainerSchema { IsPresence: false } && i.Children.All(DefaultsOnly);

    /// <summary>
    /// On first start (empty user store) creates user admin in group admin with the password from
    /// MGMT_ADMIN_PASSWORD, or a random one printed once. There is no built-in default password.
    /// </summary>
    public static void EnsureAdmin(UserStore users, ILogger log, TextWriter console)
    {
        if (users.Count > 0) return;
        var fromEnv = Environment.GetEnvironmentVariable("MGMT_ADMIN_PASSWORD");
        var password = string.IsNullOrEmpty(fromEnv) ? PasswordHasher.GeneratePassword() : fromEnv;
        users.Add(new User("admin", ["admin"], PasswordHasher.Hash(password), []));
        if (SystemAccounts.Managed)
        {
            // The first admin can log in over NETCONF/SSH with the same password.
            var error = SystemAccounts.Ensure("admin", password, Path.Combine(AppContext.BaseDirectory, "mgmt"));
            if (error is not null) log.LogWarning("No system account for admin: {Error}", error);
        }
        if (string.IsNullOrEmpty(fromEnv))
        {
            console.WriteLine($"Created user 'admin' (group admin) with password: {password}");
            console.WriteLine("This password is shown only once; change it with 'mgmt user passwd admin'.");
        }
        else
        {
            log.LogInformation("Created user 'admin' (group admin) with the password from MGMT_ADMIN_PASSWORD");
        }
    }
}
