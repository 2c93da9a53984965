using Mgmt.Yang.Parsing;

namespace Mgmt.Yang.Tests.Parsing;

public sealed class YangParserTests
{
    private static Statement Parse(string text) => YangParser.Parse(text, "t.yang");

    private static YangException Fails(string text) => Assert.Throws<YangException>(() => Parse(text));

    [Fact]
    public void A_module_parses_into_nested_statements_with_locations()
    {
        var m = Parse("module m {\n  namespace \"urn:m\";\n  prefix m;\n  container c { leaf l { type string; } }\n}\n");
        Assert.Equal("module", m.Keyword);
        Assert.Equal("m", m.Argument);
        var c = m.Find("container")!;
        Assert.Equal(new SourceLocation("t.yang", 4, 3), c.Location);
        Assert.Equal("string", c.Find("leaf")!.Find("type")!.Argument);
        Assert.Same(c, c.Find("leaf")!.Parent);
    }

    [Fact]
    public void Extension_statements_keep_their_prefix_and_argument()
    {
        var m = Parse("module m { ext:annotation \"last-modified\" { type string; } ext:flag; }");
        var ann = m.Children[0];
        Assert.Equal("ext", ann.Prefix);
        Assert.Equal("annotation", ann.Keyword);
        Assert.Equal("last-modified", ann.Argument);
        Assert.True(ann.IsExtension);
        Assert.Null(m.Children[1].Argument);
    }

    [Fact]
    public void Quoted_strings_joined_with_plus_are_concatenated()
    {
        var m = Parse("module m { description \"ab\" + 'c\\d' +\n \"e\"; }");
        Assert.Equal("abc\\de", m.ArgOf("description"));
    }

    [Fact]
    public void Double_quoted_escapes_are_decoded()
    {
        var m = Parse("module m { description \"a\\tb\\nc\\\"d\\\\e\"; }");
        Assert.Equal("a\tb\nc\"d\\e", m.ArgOf("description"));
    }

    [Fact]
    public void Double_quoted_strings_lose_trailing_whitespace_and_indentation_up_to_the_quote_column()
    {
        // The opening quote is in column 15 (0-based 14), so up to 15 columns of indentation are removed.
        var text = "module m {\n  description \"first line   \n                 second\n      third\";\n}";
        var d = Parse(text).ArgOf("description");
        Assert.Equal("first line\n  second\nthird", d);
    }

    [Fact]
    public void A_tab_counts_as_eight_columns_of_indentation()
    {
        var text = "module m {\n  reference \"x\n\t\t  y\";\n}";
        // quote at 0-based column 12 → strip 13 columns: two tabs (16) cross it, leaving 3 spaces, then "  y".
        Assert.Equal("x\n     y", Parse(text).ArgOf("reference"));
    }

    [Fact]
    public void Single_quoted_strings_are_taken_verbatim()
    {
        var m = Parse("module m { pattern '[a-z]+\\d   \n  x'; }");
        Assert.Equal("[a-z]+\\d   \n  x", m.ArgOf("pattern"));
    }

    [Fact]
    public void Comments_are_ignored_everywhere_but_inside_strings()
    {
        var m = Parse("// head\nmodule m { /* block\n comment */ prefix p; // tail\n description \"a // b /* c */\"; }");
        Assert.Equal("p", m.ArgOf("prefix"));
        Assert.Equal("a // b /* c */", m.ArgOf("description"));
    }

    [Fact]
    public void Unquoted_arguments_end_at_whitespace_semicolon_or_brace()
    {
        var m = Parse("module m{prefix p;revision 2020-01-01{description x;}}");
        Assert.Equal("p", m.ArgOf("prefix"));
        Assert.Equal("2020-01-01", m.ArgOf("revision"));
        Assert.Equal("x", m.Find("revision")!.ArgOf("description"));
    }

    [Theory]
    [InlineData("module m { description \"a\\qb\"; }", 1, 26, "invalid escape")]
    [InlineData("module m {\n  description \"abc;\n}\n", 2, 15, "unterminated double-quoted")]
    [InlineData("module m {\n  leaf x { type string; }\n", 1, 1, "not closed")]
    [InlineData("module m { /* never closed }", 1, 12, "unterminated comment")]
    [InlineData("module m { leaf x { type string } }", 1, 33, "expected \";\" or \"{\"")]
    [InlineData("container c { }", 1, 1, "expected \"module\" or \"submodule\"")]
    [InlineData("module m { } trailing", 1, 14, "after the end of the module")]
    [InlineData("module m { leaf 'x' }", 1, 21, "expected \";\" or \"{\"")]
    [InlineData("module m { description \"a\" + ; }", 1, 30, "quoted string after \"+\"")]
    [InlineData("module m { 9leaf x; }", 1, 12, "expected a statement keyword")]
    [InlineData("module m { prefix a\"b; }", 1, 20, "quote character")]
    [InlineData("", 1, 1, "empty file")]
    public void Syntax_errors_carry_the_line_and_column(string text, int line, int column, string fragment)
    {
        var e = Fails(text);
        Assert.Equal(line, e.Location.Line);
        Assert.Equal(column, e.Location.Column);
        Assert.Contains(fragment, e.Message);
        Assert.StartsWith($"t.yang:{line}:{column}: error: ", e.Diagnostics[0].ToString());
    }

    [Fact]
    public void Deep_nesting_is_rejected_instead_of_overflowing_the_stack()
    {
        var text = "module m { " + string.Concat(Enumerable.Repeat("container c { ", 5000)) + string.Concat(Enumerable.Repeat("}", 5001));
        var e = Fails(text);
        Assert.Contains("nested deeper", e.Message);
    }
}
