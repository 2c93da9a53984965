using Mgmt.Yang.Data;

namespace Mgmt.Yang.Encoding;

/// <summary>What a document holds: decides whether state data and edit attributes are allowed.</summary>
public enum DataContent { Config, Data, Edit, RpcInput, RpcOutput, Notification }

public sealed record DataParseOptions(DataContent Content = DataContent.Data, bool Strict = true)
{
    /// <summary>Deepest element nesting accepted (protects the parser's stack).</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>
    /// The document was written by this engine for the same schema and is known unchanged since (a sealed
    /// snapshot): its values are taken as canonical without being parsed again. Structure is still checked.
    /// </summary>
    public bool CanonicalValues { get; init; }
}

public sealed record DataWriteOptions(WithDefaultsMode WithDefaults = WithDefaultsMode.Explicit, bool Indent = true, bool ConfigOnly = false)
{
    /// <summary>Writes an edit document: nodes with a mark get their nc:operation attribute (XML only), and are written even when empty.</summary>
    public EditMetadata? Marks { get; init; }

    /// <summary>
    /// Annotates configuration nodes with their RFC 8342 origin (XML only): <c>or:intended</c>, or <c>or:default</c>
    /// for nodes that exist because of a default; written where it differs from the parent's. State nodes carry none.
    /// </summary>
    public bool WithOrigin { get; init; }
}
