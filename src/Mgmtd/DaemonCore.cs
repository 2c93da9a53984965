using Mgmt.Datastore.Transactions;
using Mgmt.Yang.Schema;

namespace Mgmt.Mgmtd;

/// <summary>
/// What every northbound serves: the compiled schema and the datastores over it. Set once at start-up,
/// before any listener runs.
/// </summary>
public sealed class DaemonCore
{
    private SchemaContext? _context;
    private Datastores? _datastores;
    private Northbound.Netconf.NetconfServer? _netconf;

    /// <summary>The one NETCONF server every transport hands its sessions to (so kill-session and monitoring see all).</summary>
    public Northbound.Netconf.NetconfServer Netconf => _netconf ?? throw new InvalidOperationException("the datastores are not open yet");

    public SchemaContext Context => _context ?? throw new InvalidOperationException("the schema is not compiled yet");

    public Datastores Datastores => _datastores ?? throw new InvalidOperationException("the datastores are not open yet");

    internal void Set(SchemaContext context, Datastores datastores)
    {
        _context = context;
        _datastores = datastores;
        _netconf = new Northbound.Netconf.NetconfServer(datastores, new Northbound.Netconf.NetconfOptions());
    }
}
