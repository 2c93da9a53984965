using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Printing;

namespace Mgmt.Yang.Tests.Printing;

/// <summary>
/// Every served module printed as YIN reads back (by the RFC 7950 §13 mapping) as exactly the statement
/// tree it was printed from: same keywords, arguments and order. (yanglint's YIN is not a byte oracle:
/// libyang reorders substatements into its canonical order and drops some defaults.)
/// </summary>
public sealed class YinRoundTripTests
{
    private static string PrintingDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    private static string YangDir => Path.GetFullPath(Path.Combine(PrintingDir(), "..", "..", "..", "yang"));

    public static TheoryData<string> ServedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(YangDir, "*.yang").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(ServedFiles))]
    public void Yin_of_each_served_module_reads_back_as_the_same_statements(string file)
    {
        var path = Path.Combine(YangDir, file);
        var module = YangParser.Parse(File.ReadAllText(path), path);
        var xml = XDocument.Parse(YinPrinter.ToString(module));
        Assert.Equal(Flatten(module), FlattenYin(xml.Root!));
    }

    private static List<string> Flatten(Statement s, int depth = 0, List<string>? into = null)
    {
        into ??= [];
        into.Add($"{depth} {s.RawKeyword} {s.Argument}");
        foreach (var c in s.Children) Flatten(c, depth + 1, into);
        return into;
    }

    private static List<string> FlattenYin(XElement e, int depth = 0, List<string>? into = null)
    {
        into ??= [];
        var isYin = e.Name.NamespaceName == YinPrinter.YinNamespace;
        var keyword = isYin ? e.Name.LocalName : e.GetPrefixOfNamespace(e.Name.Namespace) + ":" + e.Name.LocalName;
        string? argument = null;
        var skipFirstChild = false;
        if (isYin && YinKeywords.TryGet(e.Name.LocalName, out var argName, out var asElement))
        {
            if (asElement)
            {
                argument = e.Element(e.Name.Namespace + argName)?.Value;
                skipFirstChild = argument is not null;
            }
            else
            {
                argument = e.Attribute(argName)?.Value;
            }
        }
        else if (!isYin)
        {
            // Extensions: attribute, or a first child element in the extension's namespace holding the text.
            argument = e.Attributes().FirstOrDefault(a => !a.IsNamespaceDeclaration)?.Value;
            if (argument is null && e.Elements().FirstOrDefault() is { } first && first.Name.Namespace == e.Name.Namespace && !first.HasElements)
            {
                argument = first.Value;
                skipFirstChild = true;
            }
        }
        into.Add($"{depth} {keyword} {argument}");
        foreach (var c in e.Elements().Skip(skipFirstChild ? 1 : 0)) FlattenYin(c, depth + 1, into);
        return into;
    }
}
