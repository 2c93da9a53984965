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

    public SchemaContext Context => _context ?? throw new InvalidOperationException("the schema is not compiled yet");

    public Datastores Datastores => _datastores ?? throw new InvalidOperationException("the datastores are not open yet");

    internal void Set(SchemaContext context, Datastores datastores)
    {
        _context = context;
        _datastores = datastores;
    }
}
