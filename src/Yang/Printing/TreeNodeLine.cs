using System.Text;
using Mgmt.Yang.Parsing;

namespace Mgmt.Yang.Printing;

/// <summary>
/// The parts of one node line of an RFC 8340 tree diagram:
/// <c>&lt;status&gt;--&lt;flags&gt; &lt;name&gt;&lt;opts&gt; &lt;type|keys&gt; &lt;if-features&gt;</c>.
/// Built from a compiled node (<see cref="CompiledTreeLines"/>) or a parsed statement (<see cref="ParsedTreeLines"/>).
/// </summary>
internal sealed class TreeNodeLine
{
    /// <summary><c>+</c> current, <c>x</c> deprecated, <c>o</c> obsolete.</summary>
    public required char Status { get; init; }

    /// <summary><c>rw</c>, <c>ro</c>, <c>-w</c>, <c>-x</c>, <c>-n</c>, <c>-u</c>, <c>--</c>, or <c>:</c> for a case.</summary>
    public required string Flags { get; init; }

    /// <summary>The name as printed: <c>prefix:name</c> for a node of another module, <c>(choice)</c>, <c>(case)</c>.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// Length used to align types among siblings: the name with parentheses, without the ':' after a
    /// prefix (so a node from another module has its type one column further right, as in yanglint).
    /// </summary>
    public required int AlignLength { get; init; }

    /// <summary><c>?</c>, <c>*</c>, <c>!</c> or empty.</summary>
    public string Opts { get; init; } = "";

    /// <summary>The type column of a leaf, leaf-list, anydata or anyxml; null for other nodes.</summary>
    public string? Type { get; init; }

    /// <summary><c>[k1 k2]</c> for a keyed list, else null.</summary>
    public string? Keys { get; init; }

    /// <summary><c>{f1,f2}?</c> from the node's own if-feature statements, else null.</summary>
    public string? Features { get; init; }

    /// <summary>A case line (<c>+--:(name)</c>) has no space between flags and name.</summary>
    public bool IsCase { get; init; }

    /// <summary>Keyed lists print their keys, not a type, and do not widen their siblings' type column.</summary>
    public bool TakesPartInAlignment => Keys is null;

    /// <summary>Text up to and including the opts, e.g. <c>+--rw name?</c>.</summary>
    public string Head
    {
        get
        {
            var sb = new StringBuilder(8 + Name.Length);
            sb.Append(Status).Append("--").Append(Flags);
            if (!IsCase) sb.Append(' ');
            return sb.Append(Name).Append(Opts).ToString();
        }
    }

    public static char StatusChar(string? status) => status switch
    {
        "deprecated" => 'x',
        "obsolete" => 'o',
        _ => '+',
    };

    /// <summary>The type as written in a leaf or leaf-list statement; a leafref prints as <c>-> path</c>.</summary>
    public static string? WrittenType(Statement? definition)
    {
        var typeStmt = definition?.Find("type");
        if (typeStmt?.Argument is not { } written) return null;
        if (written == "leafref" && typeStmt.ArgOf("path") is { } path) return "-> " + path;
        return written;
    }

    /// <summary><c>{a,b}?</c> from the if-feature substatements of <paramref name="definition"/>, or null.</summary>
    public static string? WrittenFeatures(Statement? definition)
    {
        if (definition is null) return null;
        StringBuilder? sb = null;
        foreach (var f in definition.FindAll("if-feature"))
        {
            if (sb is null) sb = new StringBuilder("{");
            else sb.Append(',');
            sb.Append(f.Argument);
        }
        return sb?.Append("}?").ToString();
    }
}
