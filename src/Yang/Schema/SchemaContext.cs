namespace Mgmt.Yang.Schema;

/// <summary>
/// A set of compiled modules that belong together (like a libyang context): every data tree,
/// codec and XPath evaluation works against one context. Immutable once built.
/// </summary>
public sealed class SchemaContext
{
    private readonly Dictionary<string, YangModule> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YangModule> _byNamespace = new(StringComparer.Ordinal);
    private readonly List<YangModule> _modules = [];

    public SchemaContext()
    {
        Root = new RootSchemaNode(new YangModule("(root)"));
    }

    public RootSchemaNode Root { get; }

    /// <summary>Every module in the context, implemented and import-only, in load order.</summary>
    public IReadOnlyList<YangModule> Modules => _modules;

    /// <summary>Warnings collected while compiling.</summary>
    public List<YangDiagnostic> Warnings { get; } = [];

    /// <summary>Changes whenever the set of modules changes (RFC 8525 content-id).</summary>
    public string ContentId { get; set; } = "0";

    public void AddModule(YangModule module)
    {
        _modules.Add(module);
        _byName[module.Name] = module;
        if (module.Namespace.Length > 0) _byNamespace[module.Namespace] = module;
    }

    public YangModule? GetModule(string name) => _byName.GetValueOrDefault(name);

    public YangModule? GetModuleByNamespace(string ns) => _byNamespace.GetValueOrDefault(ns);

    public IEnumerable<YangModule> ImplementedModules
    {
        get
        {
            foreach (var m in _modules) if (m.Implemented) yield return m;
        }
    }

    /// <summary>Finds an identity by module name and identity name.</summary>
    public Identity? FindIdentity(string moduleName, string name) =>
        GetModule(moduleName)?.Identities.GetValueOrDefault(name);
}
