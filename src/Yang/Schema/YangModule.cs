using Mgmt.Yang.Parsing;

namespace Mgmt.Yang.Schema;

/// <summary>A compiled module (a submodule's content is merged into the module that includes it).</summary>
public sealed class YangModule
{
    public YangModule(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>Most recent revision date, or null when the module has no revision statement.</summary>
    public string? Revision { get; set; }

    public string Namespace { get; set; } = "";

    public string Prefix { get; set; } = "";

    /// <summary>"1" or "1.1".</summary>
    public string YangVersion { get; set; } = "1";

    public string? Organization { get; set; }

    public string? Contact { get; set; }

    public string? Description { get; set; }

    /// <summary>The file the module was read from (null when parsed from a string).</summary>
    public string? FilePath { get; set; }

    /// <summary>The parsed module statement; null after compiling unless the builder was told to keep statements.</summary>
    public Statement? Statement { get; set; }

    /// <summary>True when the module's data nodes, rpcs and notifications are part of the schema (RFC 7950 §5.6.5); false for import-only modules.</summary>
    public bool Implemented { get; set; }

    /// <summary>Prefix → imported module, including the module's own prefix mapping to itself.</summary>
    public Dictionary<string, YangModule> PrefixMap { get; } = new(StringComparer.Ordinal);

    public List<ModuleImport> Imports { get; } = [];

    /// <summary>Included submodules (name, revision, parsed statement).</summary>
    public List<SubmoduleInfo> Submodules { get; } = [];

    public Dictionary<string, Feature> Features { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Identity> Identities { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ExtensionDefinition> ExtensionDefinitions { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level typedefs by name (module and its submodules).</summary>
    public Dictionary<string, YangType> Typedefs { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level data nodes, rpcs and notifications this module defines (in the root's child list too when implemented).</summary>
    public List<SchemaNode> TopLevel { get; } = [];

    /// <summary>Modules whose deviations modify this module (for yang-library "deviation" lists).</summary>
    public List<YangModule> DeviatedBy { get; } = [];

    /// <summary>Modules that augment this module.</summary>
    public List<YangModule> AugmentedBy { get; } = [];

    public override string ToString() => Revision is null ? Name : $"{Name}@{Revision}";
}

public sealed record ModuleImport(string Prefix, YangModule Module, string? RevisionDate);

public sealed record SubmoduleInfo(string Name, string? Revision, string? FilePath, Statement? Statement);

public sealed class Feature(string name, YangModule module)
{
    public string Name { get; } = name;

    public YangModule Module { get; } = module;

    /// <summary>Enabled by the context's feature selection and by its own if-feature statements.</summary>
    public bool Enabled { get; set; } = true;

    public string? Description { get; set; }

    public SourceLocation Location { get; set; }

    public override string ToString() => $"{Module.Name}:{Name}";
}

public sealed class Identity(string name, YangModule module)
{
    public string Name { get; } = name;

    public YangModule Module { get; } = module;

    public List<Identity> Bases { get; } = [];

    /// <summary>Identities directly derived from this one.</summary>
    public List<Identity> Derived { get; } = [];

    public SchemaStatus Status { get; set; }

    public string? Description { get; set; }

    public SourceLocation Location { get; set; }

    /// <summary>RFC 7950 derived-from(): true when this identity is derived (directly or not) from <paramref name="other"/>.</summary>
    public bool IsDerivedFrom(Identity other)
    {
        var bases = Bases; // by index: a foreach over the interface boxes an enumerator per call (validation calls this per value)
        for (var i = 0; i < bases.Count; i++)
            if (ReferenceEquals(bases[i], other) || bases[i].IsDerivedFrom(other)) return true;
        return false;
    }

    private string? _qualifiedName;

    /// <summary>RFC 7951 form, <c>module:name</c> (one shared string: data trees hold it for every identityref value).</summary>
    public string QualifiedName => _qualifiedName ??= Module.Name + ":" + Name;

    public override string ToString() => QualifiedName;
}

public sealed class ExtensionDefinition(string name, YangModule module)
{
    public string Name { get; } = name;

    public YangModule Module { get; } = module;

    public string? ArgumentName { get; set; }

    public bool YinElement { get; set; }

    public override string ToString() => $"{Module.Name}:{Name}";
}
