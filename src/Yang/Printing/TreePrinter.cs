using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Printing;

/// <summary>
/// Prints RFC 8340 tree diagrams of a compiled module: its data nodes, the nodes it adds to other
/// modules (one <c>augment</c> section per augment statement), its rpcs and its notifications.
/// The layout follows yanglint's <c>-f tree</c> output so the two can be compared line by line.
/// </summary>
public static class TreePrinter
{
    /// <param name="module">A module of a <see cref="SchemaContext"/> compiled with <see cref="Compilation.SchemaContextBuilder.KeepStatements"/>.</param>
    /// <param name="w">Receives the diagram; lines end with <c>\n</c>.</param>
    /// <param name="lineLength">Longest line wanted; 0 or less means no limit (yanglint's default).</param>
    public static void Print(YangModule module, TextWriter w, int lineLength = 72)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(w);
        if (module.Statement is null)
            throw new InvalidOperationException($"module {module.Name} was compiled without its statements (SchemaContextBuilder.KeepStatements)");
        new TreeDiagramWriter(module, w, lineLength <= 0 ? int.MaxValue : lineLength).Write();
    }

    /// <summary>The diagram as a string.</summary>
    public static string ToString(YangModule module, int lineLength = 72)
    {
        var sw = new StringWriter();
        Print(module, sw, lineLength);
        return sw.ToString();
    }
}
