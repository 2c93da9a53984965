using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Compilation;

/// <summary>
/// Compiles loaded modules into one <see cref="SchemaContext"/>. Phases, over all modules together:
/// load imports/includes → definitions (features, identities, extensions) → data trees (uses expanded,
/// types resolved) → augments → deviations → checks (keys, unique, defaults, leafref targets).
/// Every error is collected as a <see cref="YangDiagnostic"/>; none stops the others.
/// </summary>
internal sealed partial class Compiler
{
    private readonly ModuleRepository _repository;
    private readonly bool _allFeatures;
    private readonly HashSet<(string, string)> _enabledFeatures;

    /// <summary>Features that stay off even when all are enabled.</summary>
    public HashSet<(string Module, string Feature)> DisabledFeatures { get; init; } = [];
    private readonly List<YangDiagnostic> _diagnostics = [];
    private readonly SchemaContext _context = new();

    /// <summary>Every source (modules and submodules) by its root statement.</summary>
    private readonly Dictionary<Statement, ModuleSource> _sources = new(ReferenceEqualityComparer.Instance);

    /// <summary>Main modules in dependency order (imports before importers).</summary>
    private readonly List<ModuleSource> _order = [];

    private readonly bool _keepStatements;

    public Compiler(ModuleRepository repository, bool allFeatures, HashSet<(string, string)> enabledFeatures, bool keepStatements)
    {
        _repository = repository;
        _allFeatures = allFeatures;
        _enabledFeatures = enabledFeatures;
        _keepStatements = keepStatements;
    }

    public SchemaContext Compile(IReadOnlyList<ModuleSource> implemented)
    {
        foreach (var src in implemented) Load(src, []);
        if (_diagnostics.Count > 0) throw new YangException(_diagnostics);

        foreach (var src in implemented) src.Module.Implemented = true;
        foreach (var src in _order) _context.AddModule(src.Module);

        foreach (var src in _order) DefineModule(src);
        foreach (var src in _order) CheckExtensionUsages(src);
        foreach (var src in _order) ResolveIdentityBases(src);
        foreach (var src in _order) ResolveFeatures(src);
        foreach (var src in _order) CompileTypedefs(src);
        foreach (var src in _order) CompileDataTree(src);
        CheckUnusedGroupings();
        ApplyAugments();
        ApplyDeviations();
        foreach (var src in _order) CheckModule(src);
        ResolveLeafrefs();

        foreach (var m in _context.Modules)
        {
            if (!m.Implemented) continue;
            foreach (var n in m.TopLevel) _context.Root.AddChild(n);
        }

        if (_diagnostics.Exists(d => !d.IsWarning))
            throw new YangException(_diagnostics.FindAll(d => !d.IsWarning));
        _context.Warnings.AddRange(_diagnostics);
        if (!_keepStatements) ReleaseStatements();
        return _context;
    }

    /// <summary>
    /// Drops the references from the compiled schema to the parse trees (about a third of a large context's
    /// memory). Extension instances keep their own statement, cut loose from its parent.
    /// </summary>
    private void ReleaseStatements()
    {
        foreach (var m in _context.Modules)
        {
            m.Statement = null;
            for (var i = 0; i < m.Submodules.Count; i++) m.Submodules[i] = m.Submodules[i] with { Statement = null };
            foreach (var n in m.TopLevel) Release(n);
        }
        foreach (var src in _sources.Values) src.Module.Statement = null;

        static void Release(SchemaNode n)
        {
            n.Definition = null;
            foreach (var e in n.Extensions) e.Statement.Detach();
            foreach (var c in n.Children) Release(c);
        }
    }

    private void Error(SourceLocation at, string message) => _diagnostics.Add(new YangDiagnostic(at, message));

    private void Error(Statement at, string message) => _diagnostics.Add(new YangDiagnostic(at.Location, message));

    private void Warning(Statement at, string message) => _diagnostics.Add(new YangDiagnostic(at.Location, message, true));

    /// <summary>The source file a statement was written in.</summary>
    private ModuleSource SourceOf(Statement s)
    {
        var root = s;
        while (root.Parent is not null) root = root.Parent;
        return _sources[root];
    }

    /// <summary>Resolves a prefix as written in <paramref name="at"/>'s file; null prefix means that file's module.</summary>
    private YangModule? ModuleForPrefix(Statement at, string? prefix)
    {
        var src = SourceOf(at);
        if (prefix is null) return src.Module;
        return src.Prefixes.GetValueOrDefault(prefix);
    }

    /// <summary>Splits <c>prefix:name</c>.</summary>
    private static (string? Prefix, string Name) SplitQName(string qname)
    {
        var i = qname.IndexOf(':');
        return i < 0 ? (null, qname) : (qname[..i], qname[(i + 1)..]);
    }

    /// <summary>A prefix resolver for values and XPath written in the file of <paramref name="at"/>.</summary>
    private IPrefixResolver PrefixesOf(Statement at)
    {
        var src = SourceOf(at);
        return new SourcePrefixes(src.Module, src.Prefixes);
    }

    /// <summary>Holds the module and its prefix map only, not the source, so compiled XPath does not keep parse trees alive.</summary>
    private sealed class SourcePrefixes(YangModule module, Dictionary<string, YangModule> prefixes) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) =>
            string.IsNullOrEmpty(prefix) ? module : prefixes.GetValueOrDefault(prefix);
    }
}
