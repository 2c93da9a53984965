using System.Text.RegularExpressions;
using Mgmt.Yang.Compilation;

namespace Mgmt.Yang.Tests.BrokenModules;

/// <summary>
/// Each file in cases/ holds one fault, marked on its line with <c>// &lt;-- error: fragment</c>. Loading the
/// file (or the module named by a <c>// load: file</c> line) must fail with an error on exactly that line
/// whose message contains the fragment.
/// </summary>
public sealed partial class BrokenModuleTests
{
    private static string CasesDir => Path.Combine(CorpusLocator.RepoRoot, "tests", "Yang.Tests", "BrokenModules", "cases");

    [GeneratedRegex(@"//\s*<--\s*error:\s*(.+?)\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^//\s*load:\s*(\S+)")]
    private static partial Regex LoadLine();

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(CasesDir, "*.yang").Order())
            if (File.ReadLines(f).Any(l => Marker().IsMatch(l))) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void There_are_at_least_forty_distinct_broken_modules() => Assert.True(Cases().Count >= 40, $"only {Cases().Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_broken_module_is_rejected_with_the_error_on_the_marked_line(string file)
    {
        var path = Path.Combine(CasesDir, file);
        var lines = File.ReadAllLines(path);
        var markerLine = Array.FindIndex(lines, l => Marker().IsMatch(l)) + 1;
        var fragment = Marker().Match(lines[markerLine - 1]).Groups[1].Value;
        var load = lines.Select(l => LoadLine().Match(l)).FirstOrDefault(m => m.Success)?.Groups[1].Value ?? file;

        var e = Assert.Throws<YangException>(() =>
        {
            var b = new SchemaContextBuilder().AddSearchPath(CasesDir);
            b.LoadFile(Path.Combine(CasesDir, load));
            b.Build();
        });

        var onLine = e.Diagnostics.Where(d => Path.GetFileName(d.Location.File) == file && d.Location.Line == markerLine).ToList();
        Assert.True(onLine.Count > 0, $"no error on {file}:{markerLine}; got: {string.Join(" | ", e.Diagnostics)}");
        Assert.Contains(onLine, d => d.Message.Contains(fragment, StringComparison.Ordinal));
    }
}
