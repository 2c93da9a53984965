using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Compilation;

/// <summary>Tricky RFC 7950 compile semantics checked on small hand-written modules.</summary>
public sealed class CompilerSemanticsTests
{
    private static SchemaContext Compile(params string[] modules)
    {
        var builder = new SchemaContextBuilder();
        for (var i = 0; i < modules.Length; i++) builder.LoadText(modules[i], $"m{i}.yang");
        return builder.Build();
    }

    private static SchemaNode Node(SchemaContext ctx, string module, params string[] path)
    {
        var m = ctx.GetModule(module)!;
        SchemaNode node = ctx.Root;
        foreach (var step in path) node = node.FindDataChild(m, step) ?? throw new Xunit.Sdk.XunitException($"no {step} under {node}");
        return node;
    }

    [Fact]
    public void Refine_changes_default_mandatory_presence_config_and_element_counts_of_the_used_copy_only()
    {
        var ctx = Compile("""
            module a { yang-version 1.1; namespace "urn:a"; prefix a;
              grouping g {
                leaf l { type int8; default 1; }
                leaf m { type string; }
                container c { }
                list li { key k; leaf k { type string; } }
              }
              container x { uses g { refine l { default 5; description "refined"; }
                                      refine m { mandatory true; }
                                      refine c { presence "on"; config false; }
                                      refine li { min-elements 1; max-elements 3; must "k != 'z'"; } } }
              container y { uses g; }
            }
            """);
        var xl = (LeafSchema)Node(ctx, "a", "x", "l");
        Assert.Equal("5", xl.Default);
        Assert.Equal("refined", xl.Description);
        Assert.True(((LeafSchema)Node(ctx, "a", "x", "m")).Mandatory);
        var xc = (ContainerSchema)Node(ctx, "a", "x", "c");
        Assert.Equal("on", xc.Presence);
        Assert.False(xc.Config);
        var li = (ListSchema)Node(ctx, "a", "x", "li");
        Assert.Equal(1u, li.MinElements);
        Assert.Equal(3u, li.MaxElements);
        Assert.Single(li.Musts);
        Assert.Equal("1", ((LeafSchema)Node(ctx, "a", "y", "l")).Default);
        Assert.False(((LeafSchema)Node(ctx, "a", "y", "m")).Mandatory);
        Assert.False(((ContainerSchema)Node(ctx, "a", "y", "c")).IsPresence);
    }

    [Fact]
    public void Augment_into_a_choice_wraps_a_shorthand_data_node_in_an_implicit_case_in_the_augmenting_namespace()
    {
        var ctx = Compile(
            """
            module a { namespace "urn:a"; prefix a;
              container top { choice ch { case one { leaf x { type string; } } } }
            }
            """,
            """
            module b { namespace "urn:b"; prefix b; import a { prefix a; }
              augment "/a:top/a:ch" { leaf y { type string; } case three { leaf z { type int32; } } }
            }
            """);
        var top = Node(ctx, "a", "top");
        var choice = Assert.IsType<ChoiceSchema>(Assert.Single(top.Children));
        var cases = choice.Cases.ToList();
        Assert.Equal(["one", "y", "three"], cases.Select(c => c.Name));
        Assert.True(cases[1].IsShorthand);
        Assert.Equal("b", cases[1].Module.Name);
        var y = top.FindDataChild(ctx.GetModule("b")!, "y");
        Assert.NotNull(y);
        Assert.Same(cases[1], y!.Parent);
        Assert.True(ctx.GetModule("a")!.Implemented);
    }

    [Fact]
    public void Deviations_remove_add_replace_and_delete_properties_of_nodes_in_another_module()
    {
        var ctx = Compile(
            """
            module a { namespace "urn:a"; prefix a;
              container c {
                leaf gone { type string; }
                leaf add { type string; }
                leaf rep { type int8; default 3; }
                leaf del { type string; default "x"; units "s"; }
              }
            }
            """,
            """
            module d { namespace "urn:d"; prefix d; import a { prefix a; }
              deviation /a:c/a:gone { deviate not-supported; }
              deviation /a:c/a:add { deviate add { default "hello"; units "ms"; } }
              deviation /a:c/a:rep { deviate replace { type int16; default 300; } }
              deviation /a:c/a:del { deviate delete { default "x"; units "s"; } }
            }
            """);
        var c = Node(ctx, "a", "c");
        var a = ctx.GetModule("a")!;
        Assert.Null(c.FindDataChild(a, "gone"));
        var add = (LeafSchema)c.FindDataChild(a, "add")!;
        Assert.Equal("hello", add.Default);
        Assert.Equal("ms", add.Units);
        var rep = (LeafSchema)c.FindDataChild(a, "rep")!;
        Assert.Equal("300", rep.Default);
        Assert.Equal(BuiltinType.Int16, rep.Type.Kind);
        var del = (LeafSchema)c.FindDataChild(a, "del")!;
        Assert.Null(del.Default);
        Assert.Null(del.Units);
        Assert.Contains(ctx.GetModule("d")!, a.DeviatedBy);
    }

    [Fact]
    public void Disabled_features_remove_nodes_whose_if_feature_expression_is_false()
    {
        const string text = """
            module a { yang-version 1.1; namespace "urn:a"; prefix a;
              feature f1; feature f2;
              container c {
                leaf both { if-feature "f1 and f2"; type string; }
                leaf either { if-feature "f1 or f2"; type string; }
                leaf notf2 { if-feature "not f2"; type string; }
                leaf grouped { if-feature "(f1 or f2) and not f1"; type string; }
              }
            }
            """;
        var builder = new SchemaContextBuilder().DisableFeatures().EnableFeature("a", "f2");
        builder.LoadText(text, "a.yang");
        var ctx = builder.Build();
        var c = Node(ctx, "a", "c");
        Assert.Equal(["either", "grouped"], c.Children.Select(n => n.Name));

        var all = Compile(text);
        Assert.Equal(["both", "either"], Node(all, "a", "c").Children.Select(n => n.Name));
    }

    [Fact]
    public void Identities_derive_from_several_bases_across_modules()
    {
        var ctx = Compile(
            """
            module a { namespace "urn:a"; prefix a; identity base1; identity base2; }
            """,
            """
            module b { yang-version 1.1; namespace "urn:b"; prefix b; import a { prefix a; }
              identity mid { base a:base1; }
              identity leafy { base mid; base a:base2; }
            }
            """);
        var leafy = ctx.FindIdentity("b", "leafy")!;
        Assert.Equal(["mid", "base2"], leafy.Bases.Select(i => i.Name));
        Assert.Contains(ctx.FindIdentity("b", "mid")!, ctx.FindIdentity("a", "base1")!.Derived);
        Assert.Contains(leafy, ctx.FindIdentity("a", "base2")!.Derived);
    }

    [Fact]
    public void Config_is_inherited_and_is_false_everywhere_under_operations_and_notifications()
    {
        var ctx = Compile("""
            module a { yang-version 1.1; namespace "urn:a"; prefix a;
              container cfg { leaf x { type string; } container st { config false; leaf y { type string; } } }
              list l { key k; leaf k { type string; } action go { input { leaf i { type string; } } } }
              notification n { leaf z { type string; } }
            }
            """);
        Assert.True(Node(ctx, "a", "cfg", "x").Config);
        Assert.False(Node(ctx, "a", "cfg", "st", "y").Config);
        var action = Assert.IsType<OperationSchema>(Node(ctx, "a", "l").Children.Single(n => n.Kind == SchemaNodeKind.Action));
        Assert.False(action.Input.Children.Single().Config);
        Assert.NotNull(action.Output);
        Assert.False(Node(ctx, "a", "n", "z").Config);
    }

    [Fact]
    public void Config_true_under_config_false_is_rejected_at_its_line()
    {
        var e = Assert.Throws<YangException>(() => Compile("""
            module a { namespace "urn:a"; prefix a;
              container st { config false;
                leaf y { config true; type string; }
              }
            }
            """));
        Assert.Contains(e.Diagnostics, d => d.Location.Line == 3);
    }

    [Fact]
    public void A_default_naming_an_identity_from_an_import_only_module_compiles_to_the_module_qualified_form()
    {
        var ctx = Compile(
            """
            module t { namespace "urn:t"; prefix t; identity base; identity eth { base base; } }
            """,
            """
            module u { namespace "urn:u"; prefix u; import t { prefix tt; }
              leaf kind { type identityref { base tt:base; } default tt:eth; }
            }
            """);
        Assert.Equal("t:eth", ((LeafSchema)Node(ctx, "u", "kind")).Default);
    }

    [Fact]
    public void Large_enumerations_and_bits_get_their_values_and_keep_their_checks()
    {
        // 20k enums and bits: values and positions counted on from the largest so far, a restriction of the type
        // keeps its base's; duplicates are still found at their line (each check looks members up, not along them).
        const int n = 20_000;
        string Enums() => string.Concat(Enumerable.Range(0, n).Select(i => i == 5 ? $"enum e{i} {{ value 100000; }}\n" : $"enum e{i};\n"));
        string Bits() => string.Concat(Enumerable.Range(0, n).Select(i => $"bit b{i};\n"));
        var ctx = Compile($$"""
            module big { yang-version 1.1; namespace "urn:big"; prefix b;
              typedef e { type enumeration { {{Enums()}} } }
              typedef f { type e { enum e19999; enum e5; } }
              typedef g { type bits { {{Bits()}} } }
            }
            """);
        var module = ctx.GetModule("big")!;
        var e = module.Typedefs["e"].Enums;
        Assert.Equal((n, 4, 100000, 100001 + n - 7), (e.Count, e[4].Value, e[5].Value, e[n - 1].Value));
        Assert.Equal([("e19999", 100001 + n - 7), ("e5", 100000)], module.Typedefs["f"].Enums.Select(x => (x.Name, x.Value)));
        Assert.Equal((uint)(n - 1), module.Typedefs["g"].Bits[n - 1].Position);
        var duplicate = Assert.Throws<YangException>(() => Compile($$"""
            module dup { yang-version 1.1; namespace "urn:dup"; prefix d;
              typedef e { type enumeration { {{Enums()}}
            enum e77; } }
            }
            """));
        Assert.Contains(duplicate.Diagnostics, d => d.Message.Contains("duplicate enum \"e77\"") && d.Location.Line == n + 3);
    }
}
