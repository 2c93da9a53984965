using Mgmt.Yang.Parsing;
using Mgmt.Yang.Printing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Printing;

/// <summary>
/// Tree diagrams of small schemas built by hand (independent of the compiler). The expected texts are
/// what yanglint 2.1 prints for the equivalent YANG modules.
/// </summary>
public sealed class TreePrinterTests
{
    private static readonly SourceLocation Here = new("test.yang", 1, 1);

    private static Statement Def(string keyword, string name, params (string Keyword, string Arg)[] subs)
    {
        var s = new Statement(null, keyword, name, Here);
        foreach (var (k, a) in subs)
        {
            var child = new Statement(null, k, a, Here);
            s.Add(child);
        }
        return s;
    }

    private static Statement LeafrefDef(string name, string path)
    {
        var s = new Statement(null, "leaf", name, Here);
        var type = new Statement(null, "type", "leafref", Here);
        type.Add(new Statement(null, "path", path, Here));
        s.Add(type);
        return s;
    }

    private static LeafSchema Leaf(YangModule m, string name, string type, bool mandatory = false, params string[] features)
    {
        var subs = new List<(string, string)> { ("type", type) };
        foreach (var f in features) subs.Add(("if-feature", f));
        return new LeafSchema(name, m)
        {
            Type = new YangType(BuiltinType.String, type),
            Mandatory = mandatory,
            Definition = Def("leaf", name, [.. subs]),
        };
    }

    private static YangModule Module(string name, string prefix)
    {
        var m = new YangModule(name) { Prefix = prefix, Namespace = "urn:" + name, Implemented = true };
        m.PrefixMap[prefix] = m;
        m.Statement = new Statement(null, "module", name, Here);
        return m;
    }

    [Fact]
    public void Leaves_are_aligned_on_the_longest_sibling_name_with_optional_and_feature_marks()
    {
        var m = Module("a", "a");
        var top = new ContainerSchema("top", m) { Definition = Def("container", "top") };
        top.AddChild(Leaf(m, "gl", "string"));
        top.AddChild(Leaf(m, "l1", "string", features: "f1 and f2"));
        top.AddChild(Leaf(m, "mandatoryleaf", "string", mandatory: true));
        top.AddChild(new LeafSchema("ref", m) { Type = new YangType(BuiltinType.Leafref, "leafref"), Definition = LeafrefDef("ref", "../l1") });
        top.AddChild(new LeafListSchema("ll", m) { Type = new YangType(BuiltinType.Int32, "int32"), Definition = Def("leaf-list", "ll", ("type", "int32")) });
        top.AddChild(new ContainerSchema("pc", m) { Presence = "x" });
        top.AddChild(new AnySchema(SchemaNodeKind.AnyXml, "ax", m) { Mandatory = true });
        m.TopLevel.Add(top);

        Assert.Equal(
            """
            module: a
              +--rw top
                 +--rw gl?              string
                 +--rw l1?              string {f1 and f2}?
                 +--rw mandatoryleaf    string
                 +--rw ref?             -> ../l1
                 +--rw ll*              int32
                 +--rw pc!
                 +--rw ax               anyxml

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(m, 0));
    }

    [Fact]
    public void Choices_cases_lists_and_actions_draw_their_own_markers_and_lists_do_not_widen_alignment()
    {
        var m = Module("d", "d");
        var s = new ContainerSchema("s", m) { Config = false };
        s.AddChild(new LeafSchema("x", m) { Config = false, Type = new YangType(BuiltinType.String, "string"), Definition = Def("leaf", "x", ("type", "string")) });
        var choice = new ChoiceSchema("c", m) { Config = false };
        var cc = new CaseSchema("cc", m) { Config = false, Status = SchemaStatus.Deprecated };
        cc.AddChild(new LeafSchema("y", m) { Config = false, Type = new YangType(BuiltinType.String, "lr"), Definition = Def("leaf", "y", ("type", "lr")) });
        choice.AddChild(cc);
        var z = new CaseSchema("z", m) { Config = false, IsShorthand = true };
        z.AddChild(new LeafSchema("z", m) { Config = false, Type = new YangType(BuiltinType.Union, "union"), Definition = Def("leaf", "z", ("type", "union"), ("if-feature", "f")) });
        choice.AddChild(z);
        s.AddChild(choice);
        var list = new ListSchema("a-very-long-list-name", m) { Config = false };
        var key = new LeafSchema("k", m) { Config = false, IsKey = true, Type = new YangType(BuiltinType.String, "string"), Definition = Def("leaf", "k", ("type", "string")) };
        list.AddChild(key);
        list.Keys = [key];
        var action = new OperationSchema(SchemaNodeKind.Action, "act", m);
        var input = new OperationIoSchema(SchemaNodeKind.Input, m);
        input.AddChild(new LeafSchema("ai", m) { Type = new YangType(BuiltinType.String, "string"), Definition = Def("leaf", "ai", ("type", "string")) });
        action.Input = input;
        action.Output = new OperationIoSchema(SchemaNodeKind.Output, m);
        action.AddChild(input);
        action.AddChild(action.Output);
        list.AddChild(action);
        s.AddChild(list);
        m.TopLevel.Add(s);

        Assert.Equal(
            """
            module: d
              +--ro s
                 +--ro x?     string
                 +--ro (c)?
                 |  x--:(cc)
                 |  |  x--ro y?   lr
                 |  +--:(z)
                 |     +--ro z?   union {f}?
                 +--ro a-very-long-list-name* [k]
                    +--ro k      string
                    +---x act
                       +---w input
                          +---w ai?   string

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(m, 0));
    }

    [Fact]
    public void Augments_of_another_module_are_drawn_from_the_statements_and_show_inline_there_with_a_prefix()
    {
        var a = Module("a", "a");
        var top = new ContainerSchema("top", a);
        top.AddChild(Leaf(a, "mandatoryleaf", "string", mandatory: true));
        a.TopLevel.Add(top);

        var b = Module("b", "b");
        b.PrefixMap["a"] = a;
        var augment = new Statement(null, "augment", "/a:top", Here);
        var blDef = Def("leaf", "bl", ("type", "string"));
        augment.Add(blDef);
        augment.Add(new Statement(null, "uses", "some-grouping", Here));
        b.Statement!.Add(augment);
        var bl = Leaf(b, "bl", "string");
        bl.Definition = blDef;
        top.AddChild(bl);
        var rpc = new OperationSchema(SchemaNodeKind.Rpc, "r", b)
        {
            Input = new OperationIoSchema(SchemaNodeKind.Input, b),
            Output = new OperationIoSchema(SchemaNodeKind.Output, b),
        };
        b.TopLevel.Add(rpc);
        b.TopLevel.Add(new NotificationSchema("n", b));

        Assert.Equal(
            """
            module: a
              +--rw top
                 +--rw mandatoryleaf    string
                 +--rw b:bl?             string

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(a, 0));
        Assert.Equal(
            """
            module: b

              augment /a:top:
                +--rw bl?              string
                +---u some-grouping

              rpcs:
                +---x r

              notifications:
                +---n n

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(b, 0));
    }

    [Fact]
    public void Long_lines_move_if_features_and_then_the_type_to_continuation_lines()
    {
        var m = Module("c", "c");
        var t5 = new ContainerSchema("t5", m);
        t5.AddChild(Leaf(m, "a", "string"));
        t5.AddChild(Leaf(m, "this-is-a-rather-long-leaf-name-to-force-wrapping", "string",
            features: "some-quite-long-feature-name and another-long-feature-name-here"));
        t5.AddChild(new LeafSchema("c", m)
        {
            Type = new YangType(BuiltinType.Leafref, "leafref"),
            Definition = LeafrefDef("c", "/c:t5/c:this-is-a-rather-long-leaf-name-to-force-wrapping"),
        });
        m.TopLevel.Add(t5);

        Assert.Equal(
            """
            module: c
              +--rw t5
                 +--rw a?                                                   string
                 +--rw this-is-a-rather-long-leaf-name-to-force-wrapping?   string
                 |       {some-quite-long-feature-name and another-long-feature-name-here}?
                 +--rw c?
                         -> /c:t5/c:this-is-a-rather-long-leaf-name-to-force-wrapping

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(m, 72));
    }

    private static Statement Parse(string keyword, string? arg, params Statement[] children)
    {
        var s = new Statement(null, keyword, arg, Here);
        foreach (var c in children) s.Add(c);
        return s;
    }

    [Fact]
    public void Augment_sections_follow_the_statements_as_yanglint_does_for_uses_shorthand_cases_and_config()
    {
        var m = Module("i", "i");
        m.Statement!.Add(Parse("augment", "/d:s",
            Parse("leaf", "st", Parse("type", "string")),
            Parse("uses", "a-very-long-grouping-name"),
            Parse("choice", "ch",
                Parse("leaf", "s1", Parse("type", "string")),
                Parse("container", "s22", Parse("presence", "p"), Parse("leaf", "x", Parse("type", "int8"))),
                Parse("case", "c", Parse("leaf", "t", Parse("type", "string")))),
            Parse("container", "k", Parse("config", "false"), Parse("leaf", "kk", Parse("type", "string"))),
            Parse("notification", "nn", Parse("leaf", "z", Parse("type", "string"))),
            Parse("list", "l", Parse("key", "x"), Parse("leaf", "x", Parse("type", "string")),
                Parse("leaf", "y", Parse("type", "string"), Parse("status", "deprecated")))));
        m.Statement.Add(Parse("augment", "/i:own", Parse("leaf", "inline", Parse("type", "string"))));

        Assert.Equal(
            """
            module: i

              augment /d:s:
                +--rw st?                          string
                +---u a-very-long-grouping-name
                +--rw (ch)?
                |  +--:(s1)?
                |  |  +--rw s1?    string
                |  +--:(s22)!
                |  |  +--rw s22!
                |  |  |  +--rw x?   int8
                |  +--:(c)
                |     +--rw t?   string
                +--ro k
                |  +--ro kk?   string
                +--rw l* [x]
                |  +--rw x    string
                |  x--rw y?   string
                +---n nn
                   +--ro z?   string

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(m, 0));
    }

    [Fact]
    public void Key_leaves_come_first_and_actions_and_notifications_after_the_data_children()
    {
        var m = Module("k", "k");
        var list = new ListSchema("l", m) { Definition = Parse("list", "l", Parse("key", "b a")) };
        var n = new NotificationSchema("changed", m);
        list.AddChild(n);
        var action = new OperationSchema(SchemaNodeKind.Action, "reset", m)
        {
            Input = new OperationIoSchema(SchemaNodeKind.Input, m),
            Output = new OperationIoSchema(SchemaNodeKind.Output, m),
        };
        list.AddChild(action);
        list.AddChild(Leaf(m, "v", "string"));
        var a = Leaf(m, "a", "string");
        a.IsKey = true;
        var b = Leaf(m, "b", "string");
        b.IsKey = true;
        list.AddChild(a);
        list.AddChild(b);
        list.Keys = [b, a];
        m.TopLevel.Add(list);

        Assert.Equal(
            """
            module: k
              +--rw l* [b a]
                 +--rw b          string
                 +--rw a          string
                 +--rw v?         string
                 +---x reset
                 +---n changed

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(m, 0));
    }

    [Fact]
    public void Wrapped_if_features_of_a_list_repeat_its_keys_and_a_path_too_long_for_any_line_prints_as_leafref()
    {
        var m = Module("w", "w");
        var top = new ContainerSchema("top", m);
        var list = new ListSchema("some-list-with-a-long-name", m)
        {
            Definition = Parse("list", "some-list-with-a-long-name", Parse("key", "id"), Parse("if-feature", "first-feature or second-feature")),
        };
        var id = Leaf(m, "id", "uint32");
        id.IsKey = true;
        list.AddChild(id);
        list.Keys = [id];
        top.AddChild(list);
        top.AddChild(new LeafSchema("r", m)
        {
            Type = new YangType(BuiltinType.Leafref, "leafref"),
            Definition = LeafrefDef("r", "/w:top/w:" + new string('x', 60)),
        });
        m.TopLevel.Add(top);

        Assert.Equal(
            """
            module: w
              +--rw top
                 +--rw some-list-with-a-long-name* [id]
                 |       [id]{first-feature or second-feature}?
                 |  +--rw id    uint32
                 +--rw r?   leafref

            """.ReplaceLineEndings("\n"),
            TreePrinter.ToString(m, 72));
    }
}
