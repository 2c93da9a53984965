using Mgmt.Yang.Compilation;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Compilation;

/// <summary>What a context keeps by default (no parse trees) and with DropDocumentation (no documentation text).</summary>
public sealed class LeanContextTests
{
    private const string Module = """
        module lean { yang-version 1.1; namespace "urn:lean"; prefix l;
          organization "Example org"; contact "nobody";
          description
            "Multi-line
             module description.";
          extension marker { argument name; }
          container c {
            description "a container";
            reference 'RFC 0000';
            l:marker "kept" { description "inside the extension"; }
            leaf x { type string; description "a" + "b"; }
          }
        }
        """;

    [Fact]
    public void By_default_parse_trees_are_released_but_documentation_and_extension_statements_stay()
    {
        var ctx = new SchemaContextBuilder().LoadTextAndBuild(Module);
        var m = ctx.GetModule("lean")!;
        Assert.Null(m.Statement);
        var c = ctx.Root.FindDataChild(m, "c")!;
        Assert.Null(c.Definition);
        Assert.Equal("a container", c.Description);
        Assert.Equal("RFC 0000", c.Reference);
        Assert.Equal("ab", c.FindDataChild(m, "x")!.Description);
        Assert.Equal("Multi-line\nmodule description.", m.Description);
        var ext = Assert.Single(c.Extensions);
        Assert.Equal("kept", ext.Argument);
        Assert.Null(ext.Statement.Parent); // cut loose: it does not keep the module's tree alive
        Assert.Equal("inside the extension", ext.Statement.ArgOf("description"));
    }

    [Fact]
    public void KeepStatements_keeps_the_parse_tree_for_printers()
    {
        var ctx = new SchemaContextBuilder().KeepStatements().LoadTextAndBuild(Module);
        var m = ctx.GetModule("lean")!;
        Assert.NotNull(m.Statement);
        Assert.Equal("container", ctx.Root.FindDataChild(m, "c")!.Definition!.Keyword);
        Assert.Contains("+--rw c", Mgmt.Yang.Printing.TreePrinter.ToString(m));
    }

    [Fact]
    public void Printers_refuse_a_context_without_statements_instead_of_printing_half_a_tree()
    {
        var ctx = new SchemaContextBuilder().LoadTextAndBuild(Module);
        Assert.Throws<InvalidOperationException>(() => Mgmt.Yang.Printing.TreePrinter.ToString(ctx.GetModule("lean")!));
    }

    [Fact]
    public void DropDocumentation_empties_documentation_text_but_still_checks_its_syntax()
    {
        var ctx = new SchemaContextBuilder().DropDocumentation().LoadTextAndBuild(Module);
        var m = ctx.GetModule("lean")!;
        var c = ctx.Root.FindDataChild(m, "c")!;
        Assert.Null(c.Description);
        Assert.Null(c.Reference);
        Assert.Null(m.Description);
        Assert.Null(m.Organization);
        // Left out of the parse tree altogether; one with substatements stays (its extensions are checked).
        var tree = YangParser.Parse(Module.Replace("description \"a container\";", "description \"a container\" { l:marker \"x\"; }"), "lean.yang", null, dropDocumentation: true);
        Assert.DoesNotContain(tree.Children.ToArray(), s => s.Keyword is "description" or "organization" or "contact");
        var container = tree.Children.ToArray().Single(s => s.Keyword == "container");
        Assert.Equal("", container.Find("description")!.Argument);
        Assert.Equal("marker", container.Find("description")!.Children[0].Keyword);

        var bad = Module.Replace("\"a container\"", "\"bad \\q escape\"");
        var e = Assert.Throws<YangException>(() => new SchemaContextBuilder().DropDocumentation().LoadTextAndBuild(bad));
        Assert.Contains("invalid escape sequence", e.Message);
        Assert.Equal(8, e.Diagnostics[0].Location.Line); // the description line
    }

    [Fact]
    public void Short_arguments_are_shared_between_files_of_one_builder()
    {
        var pool = new StringPool();
        var a = YangParser.Parse("module a { namespace \"urn:a\"; prefix a; leaf x { type string; } }", "a.yang", pool);
        var b = YangParser.Parse("module b { namespace 'urn:b'; prefix b; leaf y { type string; } }", "b.yang", pool);
        static Statement TypeOf(Statement m) => m.Children[2].Find("type")!;
        Assert.Same(TypeOf(a).Argument, TypeOf(b).Argument);
    }
}

internal static class BuilderTestExtensions
{
    public static SchemaContext LoadTextAndBuild(this SchemaContextBuilder b, string text)
    {
        b.LoadText(text, "lean.yang");
        return b.Build();
    }
}
