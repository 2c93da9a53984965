using Mgmt.Yang.Parsing;

namespace Mgmt.Yang.Tests.Parsing;

public sealed class CorpusParsingTests
{
    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var (file, _, _) in CorpusLocator.Manifest()) data.Add(file);
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Every_published_file_parses_into_a_module_or_submodule_named_after_it(string file)
    {
        var root = YangParser.Parse(File.ReadAllText(Path.Combine(CorpusLocator.Directory, file)), file);
        var expectedName = file.Split('@')[0].Replace(".yang", "");
        Assert.Equal(expectedName, root.Argument);
        Assert.True(root.Keyword is "module" or "submodule");
        Assert.NotEmpty(root.Children);
    }
}
