using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Compilation;

/// <summary>
/// Builds a <see cref="SchemaContext"/>: modules are loaded (parsed, imports and includes resolved from the
/// search paths) and then compiled together by <see cref="Build"/>. All features are enabled unless
/// <see cref="DisableFeatures"/> is called (libyang's "*").
/// </summary>
public sealed class SchemaContextBuilder
{
    private readonly ModuleRepository _repository = new();
    private readonly List<ModuleSource> _implemented = [];
    private bool _allFeatures = true;
    private bool _keepStatements;
    private readonly HashSet<(string Module, string Feature)> _enabled = [];
    private readonly HashSet<(string Module, string Feature)> _disabled = [];

    public SchemaContextBuilder AddSearchPath(string dir)
    {
        _repository.AddSearchPath(dir);
        return this;
    }

    /// <summary>
    /// Keeps the parsed statements reachable from the compiled schema (<see cref="YangModule.Statement"/>,
    /// <see cref="SchemaNode.Definition"/>), as the tree and YIN printers need. Off by default: they take
    /// about a third of a large context's memory.
    /// </summary>
    public SchemaContextBuilder KeepStatements()
    {
        _keepStatements = true;
        return this;
    }

    /// <summary>
    /// Reads description, reference, organization and contact without keeping them (their syntax is checked; they
    /// compile to null, or "" when they have substatements, which are kept and checked). For checking and
    /// validating, where nobody reads them; call before loading modules.
    /// </summary>
    public SchemaContextBuilder DropDocumentation()
    {
        _repository.DropDocumentation = true;
        return this;
    }

    public SchemaContextBuilder DisableFeatures()
    {
        _allFeatures = false;
        return this;
    }

    public SchemaContextBuilder EnableFeature(string module, string feature)
    {
        _enabled.Add((module, feature));
        return this;
    }

    /// <summary>Turns one feature off whatever else is enabled (a feature the server does not implement).</summary>
    public SchemaContextBuilder DisableFeature(string module, string feature)
    {
        _disabled.Add((module, feature));
        return this;
    }

    /// <summary>Loads a module file and marks it implemented; its directory becomes a search path too.</summary>
    public YangModule LoadFile(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) _repository.AddSearchPath(dir);
        return Implement(_repository.LoadFile(path));
    }

    public YangModule LoadText(string text, string fileName) => Implement(_repository.LoadText(text, fileName));

    public YangModule LoadModule(string name, string? revision = null)
    {
        var src = _repository.FindModule(name, revision, null)
            ?? throw new YangException(Parsing.SourceLocation.None with { File = name }, $"module \"{name}\"{(revision is null ? "" : "@" + revision)} not found in the search paths");
        return Implement(src);
    }

    private YangModule Implement(ModuleSource src)
    {
        if (src.IsSubmodule)
            throw new YangException(src.Root.Location, $"\"{src.Name}\" is a submodule; load the module that includes it");
        if (!_implemented.Contains(src)) _implemented.Add(src);
        return src.Module;
    }

    /// <summary>Compiles everything loaded; throws a <see cref="YangException"/> carrying every error found.</summary>
    public SchemaContext Build()
    {
        var compiler = new Compiler(_repository, _allFeatures, _enabled, _keepStatements) { DisabledFeatures = _disabled };
        return compiler.Compile(_implemented);
    }

    /// <summary>Loads and compiles every module file (not submodule) in a directory, each implemented.</summary>
    public static SchemaContext FromDirectory(string dir, IEnumerable<(string Module, string Feature)>? disabledFeatures = null)
    {
        var b = new SchemaContextBuilder().AddSearchPath(dir);
        foreach (var (module, feature) in disabledFeatures ?? []) b.DisableFeature(module, feature);
        var errors = new List<YangDiagnostic>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.yang").Order(StringComparer.Ordinal))
        {
            try
            {
                var src = b._repository.LoadFile(file);
                if (!src.IsSubmodule) b.Implement(src);
            }
            catch (YangException e)
            {
                errors.AddRange(e.Diagnostics);
            }
        }
        if (errors.Count > 0) throw new YangException(errors);
        return b.Build();
    }
}
