using Mgmt.Yang.Schema;

namespace Mgmt.Mgmtd;

/// <summary>The compiled schema the daemon serves; set once at start-up before any listener runs.</summary>
public sealed class SchemaHolder
{
    private SchemaContext? _context;

    public SchemaContext Context => _context ?? throw new InvalidOperationException("the schema is not compiled yet");

    internal void Set(SchemaContext context) => _context = context;
}
