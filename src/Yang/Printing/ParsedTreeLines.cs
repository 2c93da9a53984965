using Mgmt.Yang.Parsing;

namespace Mgmt.Yang.Printing;

/// <summary>
/// Tree lines for the statements inside an augment of another module. yanglint draws those sections
/// from the parsed module, not the compiled tree, and so do we: a <c>uses</c> is one <c>-u</c> line
/// instead of the grouping's nodes, config and status come only from the statements themselves, and a
/// shorthand case is drawn as <c>:(name)</c> followed by the opts of the node it wraps.
/// </summary>
internal static class ParsedTreeLines
{
    private static readonly HashSet<string> Drawn = new(StringComparer.Ordinal)
    {
        "container", "list", "leaf", "leaf-list", "choice", "case", "anydata", "anyxml",
        "uses", "action", "rpc", "notification", "input", "output",
    };

    /// <summary>Substatements a diagram shows: data definitions and uses in order, then actions, then notifications.</summary>
    public static List<Statement> Children(Statement parent)
    {
        var result = new List<Statement>();
        foreach (var c in parent.Children)
            if (IsDrawn(c) && c.Keyword is not ("action" or "notification")) result.Add(c);
        foreach (var c in parent.Children)
            if (IsDrawn(c) && c.Keyword == "action") result.Add(c);
        foreach (var c in parent.Children)
            if (IsDrawn(c) && c.Keyword == "notification") result.Add(c);
        return result;
    }

    private static bool IsDrawn(Statement s) => !s.IsExtension && Drawn.Contains(s.Keyword);

    public static TreeNodeLine For(Statement s)
    {
        var name = s.Argument ?? s.Keyword;
        var alignLength = name.Length;
        if (s.Keyword is "choice" or "case")
        {
            name = "(" + name + ")";
            alignLength += 2;
        }

        var keys = s.Keyword == "list" && s.ArgOf("key") is { } k ? "[" + k + "]" : null;
        return new TreeNodeLine
        {
            Status = TreeNodeLine.StatusChar(StatusOf(s)),
            Flags = FlagsOf(s),
            Name = name,
            AlignLength = alignLength,
            Opts = OptsOf(s),
            Type = s.Keyword is "anydata" or "anyxml" ? s.Keyword : TreeNodeLine.WrittenType(s),
            Keys = keys,
            Features = TreeNodeLine.WrittenFeatures(s),
            IsCase = s.Keyword == "case",
        };
    }

    /// <summary>The <c>:(name)</c> line yanglint draws above a shorthand case's node.</summary>
    public static TreeNodeLine ImplicitCase(Statement shorthand) => new()
    {
        Status = TreeNodeLine.StatusChar(StatusOf(shorthand)),
        Flags = ":",
        Name = "(" + shorthand.Argument + ")",
        AlignLength = (shorthand.Argument?.Length ?? 0) + 2,
        Opts = OptsOf(shorthand),
        IsCase = true,
    };

    /// <summary>Own status, else the nearest ancestor's up to and including the augment.</summary>
    private static string? StatusOf(Statement s)
    {
        for (var n = s; n is not null; n = n.Parent)
        {
            if (n.ArgOf("status") is { } st) return st;
            if (n.Keyword == "augment") break;
        }
        return null;
    }

    private static string FlagsOf(Statement s)
    {
        switch (s.Keyword)
        {
            case "rpc":
            case "action":
                return "-x";
            case "notification":
                return "-n";
            case "case":
                return ":";
            case "input":
                return "-w";
            case "output":
                return "ro";
        }

        for (var p = s.Parent; p is not null && p.Keyword != "augment"; p = p.Parent)
        {
            if (p.Keyword == "input") return "-w";
            if (p.Keyword is "output" or "notification") return "ro";
        }
        if (s.Keyword == "uses") return "-u";
        for (var p = s; p is not null && p.Keyword != "augment"; p = p.Parent)
            if (p.ArgOf("config") is { } config) return config == "false" ? "ro" : "rw";
        return "rw";
    }

    private static string OptsOf(Statement s)
    {
        switch (s.Keyword)
        {
            case "leaf":
                if (s.ArgOf("mandatory") == "true" || IsKey(s)) return "";
                return "?";
            case "leaf-list":
            case "list":
                return "*";
            case "container":
                return s.Find("presence") is not null ? "!" : "";
            case "choice":
            case "anydata":
            case "anyxml":
                return s.ArgOf("mandatory") == "true" ? "" : "?";
            default:
                return "";
        }
    }

    private static bool IsKey(Statement leaf)
    {
        if (leaf.Parent is not { Keyword: "list" } list || list.ArgOf("key") is not { } key || leaf.Argument is null) return false;
        foreach (var part in key.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.IndexOf(':');
            if ((colon < 0 ? part : part[(colon + 1)..]) == leaf.Argument) return true;
        }
        return false;
    }
}
