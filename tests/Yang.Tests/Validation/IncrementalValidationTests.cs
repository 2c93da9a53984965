using System.Text;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Yang.Tests.Validation;

/// <summary>
/// Validating an edit by what it touches (<see cref="DataValidator.ValidateEdit"/>) must give exactly the verdict
/// of validating the whole tree: thousands of random edits on random valid trees of a module full of cross
/// references (must/when reading other entries and the top, relative and absolute leafrefs to keys and non-keys,
/// deref, unique, min/max-elements, choices with defaults and mandatory cases, presence containers).
/// </summary>
public sealed class IncrementalValidationTests
{
    private const string Ns = "urn:t:inc";

    private static readonly Lazy<SchemaContext> Context = new(() =>
    {
        var b = new SchemaContextBuilder();
        b.LoadText("""
            module inc {
              yang-version 1.1;
              namespace "urn:t:inc";
              prefix inc;
              grouping extra-leaf { leaf g-val { type string; } }
              container sys {
                leaf mode { type enumeration { enum a; enum b; } default a; }
                leaf limit { type uint8; }
                list node {
                  key name;
                  unique "addr";
                  max-elements 5;
                  leaf name { type string; }
                  leaf addr { type uint8; }
                  leaf peer { type leafref { path "../../node/name"; } }
                  leaf addr-ref { type leafref { path "/inc:sys/inc:node/inc:addr"; } }
                  leaf weight { type uint8; must "not(../../limit) or . <= ../../limit"; }
                  container extra {
                    presence "has extras";
                    leaf level { type uint8; mandatory true; }
                    leaf b-only { when "../../../mode = 'b'"; type string; }
                  }
                  leaf a-only { when "/inc:sys/inc:mode = 'a'"; type string; }
                  uses extra-leaf { when "addr > 3"; }
                  choice kind {
                    default k1;
                    case k1 { leaf k1-val { type uint8; default 1; } }
                    case k2 { leaf k2-val { type uint8; mandatory true; } leaf k2-opt { type string; } }
                  }
                  leaf-list tag { type string; max-elements 2; }
                  leaf seven-note { when "../addr = 7"; type string; mandatory true; }
                }
                leaf primary { type leafref { path "../node/name"; } must "deref(.)/../addr"; }
                leaf total { type uint8; must "count(../node) >= ."; }
                leaf-list color { type string; default "red"; default "blue"; max-elements 3; }
                leaf style { type enumeration { enum plain; enum fancy; } }
                leaf picked-name { type string; }
                leaf pointer { type instance-identifier; }
                leaf picked-addr { type leafref { path "/inc:sys/inc:node[inc:name = current()/../picked-name]/inc:addr"; } }
                container fancy-opts { when "../style = 'fancy'"; leaf level { type uint8; mandatory true; } }
                container opts {
                  leaf depth { type uint8; default 3; }
                  leaf strict { type boolean; must ". = 'false' or ../depth > 2"; }
                }
              }
            }
            """, "inc.yang");
        return b.Build();
    });

    private static readonly ValidationOptions Config = new(ConfigOnly: true);

    [Fact]
    public void Random_edits_get_the_same_verdict_as_validating_the_whole_tree()
    {
        var checkedEdits = 0;
        var invalid = 0;
        for (var seed = 1; seed <= 100; seed++)
        {
            var rnd = new Random(seed);
            var baseTree = RandomValidTree(rnd);
            for (var k = 0; k < 60; k++)
            {
                var editXml = RandomEdit(rnd);
                var incremental = baseTree.DeepClone();
                DataEditor.AppliedEdit applied;
                try
                {
                    applied = DataEditor.ApplyUndoable(incremental, ParseEdit(editXml));
                }
                catch (DataException)
                {
                    continue; // refused by the editor itself (data-exists, data-missing): nothing to validate
                }
                var before = Xml(baseTree);
                var fastErrors = DataValidator.ValidateEdit(incremental, applied, Config);
                var full = baseTree.DeepClone();
                DataEditor.Apply(full, ParseEdit(editXml));
                var fullErrors = DataValidator.Validate(full, Config);
                var context = $"seed {seed} edit {k}: {editXml}\nbase: {before}";
                Assert.True(Keys(fullErrors).SetEquals(Keys(fastErrors)),
                    $"{context}\nwhole tree: {string.Join("; ", fullErrors)}\nby the edit: {string.Join("; ", fastErrors)}");
                Assert.Equal(Xml(full), Xml(incremental));
                applied.Undo();
                Assert.Equal(before, Xml(incremental));
                checkedEdits++;
                if (fullErrors.Count > 0) invalid++;
                else if (rnd.Next(3) == 0) baseTree = full; // walk on from a valid result
            }
        }
        // The generator must exercise both outcomes, or the comparison proves little.
        Assert.True(checkedEdits > 2000, $"only {checkedEdits} edits checked");
        Assert.InRange(invalid, checkedEdits / 10, checkedEdits * 9 / 10);
    }

    [Fact]
    public void Deleting_a_leafref_target_is_caught_without_walking_the_tree()
    {
        var tree = Parse("<node><name>a</name><addr>1</addr></node><node><name>b</name><peer>a</peer></node>");
        Assert.Empty(DataValidator.Validate(tree, Config));
        var applied = DataEditor.ApplyUndoable(tree, ParseEdit("<node nc:operation=\"delete\"><name>a</name></node>"));
        var errors = DataValidator.ValidateEdit(tree, applied, Config);
        Assert.Contains(errors, e => e.AppTag == "instance-required" && e.Path == "/inc:sys/node[name='b']/peer");
    }

    [Fact]
    public void A_deleted_leaf_with_a_default_comes_back_as_default_and_goes_again_with_the_undo()
    {
        var tree = Parse("<mode>b</mode><node><name>a</name></node>");
        Assert.Empty(DataValidator.Validate(tree, Config));
        var applied = DataEditor.ApplyUndoable(tree, ParseEdit("<mode nc:operation=\"delete\"/>"));
        Assert.Empty(DataValidator.ValidateEdit(tree, applied, Config));
        Assert.Contains(((DataInner)tree.Children[0]).Children, c => c is DataLeaf { Name: "mode", Value: "a", IsDefault: true });
        applied.Undo();
        var modes = ((DataInner)tree.Children[0]).Children.Where(c => c.Name == "mode").ToList();
        Assert.Equal("b", Assert.Single(modes) is DataLeaf l ? l.Value : null);
    }

    [Fact]
    public void An_explicit_leaf_list_value_replaces_all_its_defaults_and_the_undo_brings_them_back()
    {
        var tree = Parse("");
        Assert.Empty(DataValidator.Validate(tree, Config));
        var before = Xml(tree);
        Assert.Equal(2, ((DataInner)tree.Children[0]).Children.Count(c => c is DataLeaf { Name: "color", IsDefault: true }));
        var applied = DataEditor.ApplyUndoable(tree, ParseEdit("<color>red</color>"));
        Assert.Empty(DataValidator.ValidateEdit(tree, applied, Config));
        var colors = ((DataInner)tree.Children[0]).Children.Where(c => c.Name == "color").Cast<DataLeaf>().ToList();
        Assert.Equal(("red", false), (Assert.Single(colors).Value, colors[0].IsDefault));
        applied.Undo();
        Assert.Equal(before, Xml(tree));
    }

    [Fact]
    public void A_mandatory_node_under_when_is_required_exactly_while_the_condition_holds()
    {
        var tree = Parse("<style>plain</style>");
        Assert.Empty(DataValidator.Validate(tree, Config));
        var applied = DataEditor.ApplyUndoable(tree, ParseEdit("<style>fancy</style>"));
        var errors = DataValidator.ValidateEdit(tree, applied, Config);
        Assert.Contains(errors, e => e.Tag == ErrorTag.MissingElement && e.Path == "/inc:sys/fancy-opts/level");
        Assert.Contains(DataValidator.Validate(tree, Config), e => e.Path == "/inc:sys/fancy-opts/level");
        applied.Undo();
        Assert.Empty(DataValidator.ValidateEdit(tree, DataEditor.ApplyUndoable(tree, ParseEdit("<style>fancy</style><fancy-opts><level>2</level></fancy-opts>")), Config));
    }

    [Fact]
    public void A_leafref_with_a_key_predicate_must_reach_the_value_in_the_entry_its_predicate_names()
    {
        const string Nodes = "<node><name>a</name><addr>1</addr></node><node><name>b</name><addr>2</addr></node>";
        Assert.Empty(DataValidator.Validate(Parse(Nodes + "<picked-name>b</picked-name><picked-addr>2</picked-addr>"), Config));
        // 1 is an address, but not b's.
        Assert.Contains(DataValidator.Validate(Parse(Nodes + "<picked-name>b</picked-name><picked-addr>1</picked-addr>"), Config),
            e => e.AppTag == "instance-required" && e.Path == "/inc:sys/picked-addr");
        // Changing the predicate's source alone breaks it, and the edit's validation sees that.
        var tree = Parse(Nodes + "<picked-name>b</picked-name><picked-addr>2</picked-addr>");
        Assert.Empty(DataValidator.Validate(tree, Config));
        var applied = DataEditor.ApplyUndoable(tree, ParseEdit("<picked-name>a</picked-name>"));
        Assert.Contains(DataValidator.ValidateEdit(tree, applied, Config), e => e.Path == "/inc:sys/picked-addr");
    }

    [Fact]
    public void An_instance_identifier_must_point_at_an_existing_node()
    {
        static string Pointer(string p) => $"<pointer xmlns:inc=\"urn:t:inc\">{p}</pointer>";
        const string Nodes = "<node><name>a</name><addr>1</addr></node><node><name>b</name></node>";
        Assert.Empty(DataValidator.Validate(Parse(Nodes + Pointer("/inc:sys/inc:node[inc:name='a']/inc:addr")), Config));
        Assert.Empty(DataValidator.Validate(Parse(Nodes + Pointer("/inc:sys/inc:node[inc:name='b']")), Config));
        Assert.Contains(DataValidator.Validate(Parse(Nodes + Pointer("/inc:sys/inc:node[inc:name='b']/inc:addr")), Config),
            e => e.AppTag == "instance-required" && e.Path == "/inc:sys/pointer");
        var tree = Parse(Nodes + Pointer("/inc:sys/inc:node[inc:name='a']"));
        Assert.Empty(DataValidator.Validate(tree, Config));
        var applied = DataEditor.ApplyUndoable(tree, ParseEdit("<node nc:operation=\"delete\"><name>a</name></node>"));
        Assert.Contains(DataValidator.ValidateEdit(tree, applied, Config), e => e.Path == "/inc:sys/pointer");
    }

    private static HashSet<string> Keys(IReadOnlyList<DataError> errors) => errors.Select(e => $"{e.Tag}|{e.AppTag}|{e.Path}").ToHashSet();

    private static DataRoot RandomValidTree(Random rnd)
    {
        var tree = Parse("");
        DataValidator.Validate(tree, Config);
        for (var i = 0; i < 12; i++)
        {
            var candidate = tree.DeepClone();
            try
            {
                DataEditor.Apply(candidate, ParseEdit(RandomEdit(rnd)));
            }
            catch (DataException)
            {
                continue;
            }
            if (DataValidator.Validate(candidate, Config).Count == 0) tree = candidate;
        }
        return tree;
    }

    private static readonly string[] Names = ["a", "b", "c", "d", "e", "f"];
    private static readonly string[] Operations = ["merge", "merge", "create", "replace", "delete", "remove"];

    private static string RandomEdit(Random rnd)
    {
        var sb = new StringBuilder();
        var parts = rnd.Next(1, 4);
        for (var p = 0; p < parts; p++)
        {
            var op = Operations[rnd.Next(Operations.Length)];
            var opAttr = op == "merge" ? "" : $" nc:operation=\"{op}\"";
            var deleting = op is "delete" or "remove";
            switch (rnd.Next(8))
            {
                case 0 or 1 or 2: // a whole entry
                    sb.Append($"<node{opAttr}><name>{Pick(rnd)}</name>{(deleting ? "" : EntryContent(rnd))}</node>");
                    break;
                case 3: // one leaf of an entry
                    var leaf = rnd.Next(9) switch
                    {
                        0 => ("addr", rnd.Next(8).ToString()),
                        1 => ("peer", Pick(rnd)),
                        2 => ("addr-ref", rnd.Next(8).ToString()),
                        3 => ("weight", rnd.Next(12).ToString()),
                        4 => ("a-only", "x"),
                        5 => ("k2-val", "2"),
                        6 => ("k1-val", "7"),
                        7 => rnd.Next(2) == 0 ? ("g-val", "g") : ("seven-note", "n"),
                        _ => ("tag", "t" + rnd.Next(3)),
                    };
                    sb.Append($"<node><name>{Pick(rnd)}</name><{leaf.Item1}{opAttr}>{(deleting && leaf.Item1 != "tag" ? "" : leaf.Item2)}</{leaf.Item1}></node>");
                    break;
                case 4: // the extra container of an entry
                    sb.Append($"<node><name>{Pick(rnd)}</name><extra{opAttr}>{(deleting ? "" : (rnd.Next(3) > 0 ? $"<level>{rnd.Next(4)}</level>" : "") + (rnd.Next(3) == 0 ? "<b-only>y</b-only>" : ""))}</extra></node>");
                    break;
                case 5: // top leaves
                    var top = rnd.Next(4) switch
                    {
                        0 => ("mode", rnd.Next(2) == 0 ? "a" : "b"),
                        1 => ("limit", rnd.Next(12).ToString()),
                        2 => ("primary", Pick(rnd)),
                        _ => ("total", rnd.Next(5).ToString()),
                    };
                    sb.Append($"<{top.Item1}{opAttr}>{(deleting ? "" : top.Item2)}</{top.Item1}>");
                    break;
                case 6 when rnd.Next(6) == 0:
                    var pointed = rnd.Next(2) == 0 ? $"/inc:sys/inc:node[inc:name='{Pick(rnd)}']" : $"/inc:sys/inc:node[inc:name='{Pick(rnd)}']/inc:addr";
                    sb.Append($"<pointer{opAttr} xmlns:inc=\"urn:t:inc\">{(deleting ? "" : pointed)}</pointer>");
                    break;
                case 6 when rnd.Next(5) == 0:
                    sb.Append(rnd.Next(2) == 0
                        ? $"<picked-name{opAttr}>{(deleting ? "" : Pick(rnd))}</picked-name>"
                        : $"<picked-addr{opAttr}>{(deleting ? "" : rnd.Next(8).ToString())}</picked-addr>");
                    break;
                case 6 when rnd.Next(4) == 0:
                    sb.Append(rnd.Next(2) == 0
                        ? $"<style{opAttr}>{(rnd.Next(2) == 0 ? "plain" : "fancy")}</style>"
                        : $"<fancy-opts{opAttr}>{(deleting || rnd.Next(3) == 0 ? "" : "<level>1</level>")}</fancy-opts>");
                    break;
                case 6 when rnd.Next(3) == 0:
                    sb.Append($"<color{opAttr}>{(rnd.Next(2) == 0 ? "red" : "c" + rnd.Next(3))}</color>");
                    break;
                case 6:
                    sb.Append($"<opts{opAttr}>{(deleting ? "" : (rnd.Next(2) == 0 ? $"<depth>{rnd.Next(5)}</depth>" : "") + (rnd.Next(2) == 0 ? $"<strict>{(rnd.Next(2) == 0 ? "true" : "false")}</strict>" : ""))}</opts>");
                    break;
                default: // a tag of an entry
                    sb.Append($"<node><name>{Pick(rnd)}</name><tag{opAttr}>t{rnd.Next(3)}</tag></node>");
                    break;
            }
        }
        return sb.ToString();
    }

    private static string Pick(Random rnd) => Names[rnd.Next(Names.Length)];

    private static string EntryContent(Random rnd)
    {
        var sb = new StringBuilder();
        if (rnd.Next(2) == 0) sb.Append($"<addr>{rnd.Next(8)}</addr>");
        if (rnd.Next(3) == 0) sb.Append($"<peer>{Pick(rnd)}</peer>");
        if (rnd.Next(4) == 0) sb.Append($"<addr-ref>{rnd.Next(8)}</addr-ref>");
        if (rnd.Next(3) == 0) sb.Append($"<weight>{rnd.Next(12)}</weight>");
        if (rnd.Next(4) == 0) sb.Append($"<extra>{(rnd.Next(3) > 0 ? "<level>1</level>" : "")}{(rnd.Next(3) == 0 ? "<b-only>y</b-only>" : "")}</extra>");
        if (rnd.Next(4) == 0) sb.Append("<a-only>x</a-only>");
        if (rnd.Next(5) == 0) sb.Append("<g-val>g</g-val>");
        if (rnd.Next(4) == 0) sb.Append("<seven-note>n</seven-note>");
        switch (rnd.Next(4))
        {
            case 0: sb.Append("<k1-val>5</k1-val>"); break;
            case 1: sb.Append("<k2-val>3</k2-val>"); break;
            case 2: sb.Append("<k2-opt>o</k2-opt>"); break;
        }
        for (var t = rnd.Next(4); t > 0; t--) sb.Append($"<tag>t{rnd.Next(4)}</tag>");
        return sb.ToString();
    }

    private static DataRoot Parse(string inner) =>
        XmlDataReader.Parse(Context.Value, $"<sys xmlns=\"{Ns}\">{inner}</sys>", new DataParseOptions(DataContent.Config));

    private static DataRoot ParseEdit(string inner) =>
        XmlDataReader.Parse(Context.Value, $"<sys xmlns=\"{Ns}\" xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\">{inner}</sys>",
            new DataParseOptions(DataContent.Edit));

    private static string Xml(DataRoot t) => XmlDataWriter.ToString(t, new DataWriteOptions(Indent: false, WithDefaults: WithDefaultsMode.ReportAllTagged));
}
