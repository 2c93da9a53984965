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

    /// <summary>
    /// RFC 8525 content-id: the same for the same schema across restarts, different when a module, revision,
    /// conformance, enabled feature, deviation or module text changes. Computed on first use.
    /// </summary>
    public string ContentId => _contentId ??= ComputeContentId();

    private string? _contentId;

    private string ComputeContentId()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        void Add(string? text) => sha.AppendData(System.Text.Encoding.UTF8.GetBytes((text ?? "") + "\n"));
        void AddFile(string? path)
        {
            if (path is not null && File.Exists(path)) sha.AppendData(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        }
        foreach (var m in _modules.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            Add(m.Name);
            Add(m.Revision);
            Add(m.Implemented ? "implemented" : "import");
            foreach (var f in m.Features.Values.Where(f => f.Enabled).Select(f => f.Name).Order(StringComparer.Ordinal)) Add("+" + f);
            foreach (var d in m.DeviatedBy.Select(d => d.Name).Order(StringComparer.Ordinal)) Add("~" + d);
            AddFile(m.FilePath);
            foreach (var sub in m.Submodules.OrderBy(x => x.Name, StringComparer.Ordinal))
            {
                Add(sub.Name);
                Add(sub.Revision);
                AddFile(sub.FilePath);
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }

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
