using Mgmt.Yang.Data;
using Mgmt.Yang.Validation;
using static Mgmt.Yang.Tests.Editing.TestSchema;

namespace Mgmt.Yang.Tests.Validation;

public sealed class DataValidatorTests
{
    private static IReadOnlyList<DataError> Validate(string xml) => DataValidator.Validate(Config(xml), new ValidationOptions(ConfigOnly: true));

    [Fact]
    public void A_complete_document_is_valid() =>
        Assert.Empty(Validate("<must-have>x</must-have><item><id>1</id><ref>1</ref></item>"));

    [Fact]
    public void A_missing_mandatory_leaf_is_reported_at_its_path() =>
        Assert.Contains(Validate("<name>n</name>"), e => e.Tag == ErrorTag.MissingElement && e.Path == "/ed:top/must-have");

    [Fact]
    public void A_leafref_to_a_missing_entry_requires_an_instance() =>
        Assert.Contains(Validate("<must-have>x</must-have><item><id>1</id><ref>9</ref></item>"),
            e => e.AppTag == "instance-required" && e.Path == "/ed:top/item[id='1']/ref" && e.Tag == ErrorTag.DataMissing);

    [Fact]
    public void Two_entries_with_the_same_unique_label_violate_unique() =>
        Assert.Contains(Validate("<must-have>x</must-have><item><id>1</id><label>l</label></item><item><id>2</id><label>l</label></item>"),
            e => e.AppTag == "data-not-unique" && e.Path == "/ed:top/item[id='2']");

    [Fact]
    public void Too_many_entries_violate_max_elements() =>
        Assert.Contains(Validate("<must-have>x</must-have><bounded><k>a</k></bounded><bounded><k>b</k></bounded><bounded><k>c</k></bounded>"),
            e => e.AppTag == "too-many-elements" && e.Path == "/ed:top/bounded");

    [Fact]
    public void Nodes_of_two_cases_of_one_choice_are_refused() =>
        Assert.Contains(Validate("<must-have>x</must-have><tcp-port>1</tcp-port><udp-port>2</udp-port>"),
            e => e.Tag == ErrorTag.BadElement && e.Message.Contains("both present"));

    [Fact]
    public void Defaults_are_added_marked_as_defaults()
    {
        var t = Config("<must-have>x</must-have>");
        DataDefaults.Add(t);
        var name = ((DataInner)t.Children[0]).Children.OfType<DataLeaf>().Single(l => l.Name == "name");
        Assert.Equal("unnamed", name.Value);
        Assert.True(name.IsDefault);
        DataDefaults.Remove(t);
        Assert.DoesNotContain(((DataInner)t.Children[0]).Children, c => c.Name == "name");
    }

    [Fact]
    public void An_absent_container_requires_only_what_a_mandatory_choice_or_node_requires()
    {
        var b = new Mgmt.Yang.Compilation.SchemaContextBuilder();
        b.LoadText("""
            module absent { yang-version 1.1; namespace "urn:t:absent"; prefix a;
              container loose { container inner { choice c { case one { leaf x { type string; mandatory true; } } case two { leaf y { type string; } } } } }
              container strict { choice c { mandatory true; leaf p { type string; } leaf q { type string; } } }
            }
            """, "absent.yang");
        var ctx = b.Build();
        var errors = DataValidator.Validate(new DataRoot(ctx), new ValidationOptions(ConfigOnly: true));
        // The mandatory x counts only once case "one" has data; the mandatory choice counts with its container absent.
        var e = Assert.Single(errors);
        Assert.Equal("missing-choice", e.AppTag);
        Assert.Equal("/absent:strict/c", e.Path);
        var withCase = Mgmt.Yang.Encoding.JsonDataReader.Parse(ctx, """{"absent:loose":{"inner":{"y":"v"}},"absent:strict":{"p":"v"}}""",
            new Mgmt.Yang.Encoding.DataParseOptions(Mgmt.Yang.Encoding.DataContent.Config));
        Assert.Empty(DataValidator.Validate(withCase, new ValidationOptions(ConfigOnly: true)));
    }
}
