using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Compilation;

/// <summary>One parsed module or submodule file with the prefixes its own imports define.</summary>
internal sealed class ModuleSource
{
    public ModuleSource(Statement root, string? filePath)
    {
        Root = root;
        FilePath = filePath;
        Name = root.Argument ?? "";
        IsSubmodule = root.Keyword == "submodule";
        Revision = LatestRevision(root);
        if (!IsSubmodule) Module = new YangModule(Name);
    }

    public Statement Root { get; }

    public string? FilePath { get; }

    public string Name { get; }

    public string? Revision { get; }

    public bool IsSubmodule { get; }

    /// <summary>The module this file belongs to (itself for a module; set when a submodule is included).</summary>
    public YangModule Module { get; set; } = null!;

    /// <summary>The main module's source (itself for a module).</summary>
    public ModuleSource Owner { get; set; } = null!;

    /// <summary>Prefixes valid inside this file: its own prefix (or belongs-to prefix) and its imports.</summary>
    public Dictionary<string, YangModule> Prefixes { get; } = new(StringComparer.Ordinal);

    /// <summary>Sources of the submodules this file includes (directly).</summary>
    public List<ModuleSource> Includes { get; } = [];

    public bool ImportsResolved { get; set; }

    private static string? LatestRevision(Statement root)
    {
        string? best = null;
        foreach (var r in root.FindAll("revision"))
            if (r.Argument is { } a && (best is null || string.CompareOrdinal(a, best) > 0)) best = a;
        return best;
    }

    public override string ToString() => Revision is null ? Name : $"{Name}@{Revision}";
}
