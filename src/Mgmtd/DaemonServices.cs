using Mgmt.Datastore.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mgmt.Mgmtd;

/// <summary>
/// The service-registration seam of the daemon. Core services are registered here; each northbound
/// (NETCONF, RESTCONF, gNMI) adds its options to <see cref="MgmtdOptions"/> and its listener as a hosted
/// service in <see cref="AddListeners"/>. Listeners start only after the schema is compiled and the admin exists.
/// </summary>
internal static class DaemonServices
{
    public static IServiceCollection AddMgmtdCore(this IServiceCollection services, DaemonCore core)
    {
        services.AddSingleton(core);
        services.AddSingleton(sp => UserStore.Open(sp.GetRequiredService<IOptions<MgmtdOptions>>().Value.StateDir));
        return services;
    }

    public static IServiceCollection AddListeners(this IServiceCollection services)
    {
        services.AddHostedService<NetconfSocketService>();
        services.AddHostedService<SshdSupervisor>();
        services.AddHostedService<NetconfTlsService>();
        return services;
    }
}
