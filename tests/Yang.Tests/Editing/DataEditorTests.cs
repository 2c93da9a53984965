using Mgmt.Yang.Data;
using static Mgmt.Yang.Tests.Editing.TestSchema;

namespace Mgmt.Yang.Tests.Editing;

public sealed class DataEditorTests
{
    private const string Base = "<must-have>x</must-have><item><id>1</id><label>a</label></item><item><id>2</id><label>b</label></item>";

    [Fact]
    public void Merge_adds_new_entries_and_changes_leaves_in_place()
    {
        var t = Config(Base);
        DataEditor.Apply(t, Edit("<item><id>2</id><label>bb</label></item><item><id>3</id></item>"));
        Assert.Equal($"<top xmlns=\"{Ns}\"><item><id>1</id><label>a</label></item><item><id>2</id><label>bb</label></item><item><id>3</id></item><must-have>x</must-have></top>", Xml(t));
    }

    [Theory]
    [InlineData("10.0.0.0/9")] // another prefix: the packed leaf changes in place
    [InlineData("plain text")] // text that does not pack: a new leaf in its place
    public void A_leaf_holding_a_packed_prefix_takes_any_new_value_and_undo_restores_it(string value)
    {
        var t = Config(Base + "<name>10.0.0.0/8</name>");
        var before = Xml(t);
        var applied = DataEditor.ApplyUndoable(t, Edit($"<name>{value}</name>"));
        Assert.Contains($"<name>{value}</name>", Xml(t));
        var change = Assert.Single(applied.Changes);
        Assert.Equal(DiffKind.Modified, change.Kind);
        Assert.Equal("10.0.0.0/8", ((DataLeaf)change.Before!).Value);
        Assert.Equal(value, ((DataLeaf)change.After!).Value);
        applied.Undo();
        Assert.Equal(before, Xml(t));
    }

    [Fact]
    public void A_leaf_list_value_held_packed_is_matched_by_an_edit_giving_it_again()
    {
        var t = Config(Base + "<tags>10.0.0.0/8</tags><tags>x</tags>");
        DataEditor.Apply(t, Edit("<tags>10.0.0.0/8</tags>"));
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(Xml(t), "<tags>10.0.0.0/8</tags>"));
        DataEditor.Apply(t, Edit("<tags nc:operation=\"delete\">10.0.0.0/8</tags>"));
        Assert.DoesNotContain("10.0.0.0/8", Xml(t));
        Assert.Contains("<tags>x</tags>", Xml(t));
    }

    [Fact]
    public void Create_of_an_existing_entry_fails_with_data_exists_and_changes_nothing()
    {
        var t = Config(Base);
        var before = Xml(t);
        var e = Assert.Throws<DataException>(() => DataEditor.Apply(t, Edit("<name>n</name><item nc:operation=\"create\"><id>1</id></item>")));
        Assert.Equal(ErrorTag.DataExists, e.Errors[0].Tag);
        Assert.Equal("/ed:top/item[id='1']", e.Errors[0].Path);
        Assert.Equal(before, Xml(t));
    }

    [Fact]
    public void Delete_of_a_missing_node_fails_with_data_missing_but_remove_does_not()
    {
        var t = Config(Base);
        var e = Assert.Throws<DataException>(() => DataEditor.Apply(t, Edit("<item nc:operation=\"delete\"><id>9</id></item>")));
        Assert.Equal(ErrorTag.DataMissing, e.Errors[0].Tag);
        DataEditor.Apply(t, Edit("<item nc:operation=\"remove\"><id>9</id></item><item nc:operation=\"delete\"><id>1</id></item>"));
        Assert.DoesNotContain("<id>1</id>", Xml(t));
        Assert.Contains("<id>2</id>", Xml(t));
    }

    [Fact]
    public void Replace_swaps_the_whole_content_of_an_entry_keeping_its_position()
    {
        var t = Config(Base);
        DataEditor.Apply(t, Edit("<item nc:operation=\"replace\"><id>1</id><ref>2</ref></item>"));
        Assert.Equal($"<top xmlns=\"{Ns}\"><item><id>1</id><ref>2</ref></item><item><id>2</id><label>b</label></item><must-have>x</must-have></top>", Xml(t));
    }

    [Fact]
    public void Insert_places_user_ordered_entries_first_before_and_after()
    {
        var t = Config(Base);
        DataEditor.Apply(t, Edit("<item yang:insert=\"first\"><id>7</id></item><item yang:insert=\"after\" yang:key=\"[id='1']\"><id>8</id></item>"));
        var order = string.Join(",", ((DataInner)t.Children[0]).Children.OfType<DataInner>().Select(i => i.LeafValue("id")));
        Assert.Equal("7,1,8,2", order);
        DataEditor.Apply(t, Edit("<tags>a</tags><tags>c</tags>"));
        DataEditor.Apply(t, Edit("<tags yang:insert=\"before\" yang:value=\"c\">b</tags>"));
        Assert.Contains("<tags>a</tags><tags>b</tags><tags>c</tags>", Xml(t));
    }

    [Fact]
    public void A_missing_insert_anchor_fails_and_leaves_the_tree_unchanged()
    {
        var t = Config(Base);
        var before = Xml(t);
        var e = Assert.Throws<DataException>(() => DataEditor.Apply(t, Edit("<name>changed</name><item yang:insert=\"before\" yang:key=\"[id='42']\"><id>5</id></item>")));
        Assert.Equal(ErrorTag.BadAttribute, e.Errors[0].Tag);
        Assert.Equal(before, Xml(t));
    }

    [Fact]
    public void Writing_a_node_of_another_case_removes_the_old_case()
    {
        var t = Config(Base + "<tcp-port>80</tcp-port>");
        DataEditor.Apply(t, Edit("<udp-port>53</udp-port>"));
        Assert.DoesNotContain("tcp-port", Xml(t));
        Assert.Contains("<udp-port>53</udp-port>", Xml(t));
    }

    [Fact]
    public void Editing_one_entry_of_a_large_list_touches_only_that_entry()
    {
        var sb = new System.Text.StringBuilder("<must-have>x</must-have>");
        for (var i = 0; i < 20_000; i++) sb.Append($"<item><id>{i % 65536}</id></item>");
        var t = Config(sb.ToString());
        DataEditor.Apply(t, Edit("<item><id>12345</id><label>found</label></item>"));
        var top = (DataInner)t.Children[0];
        var entry = top.FindListEntry((Mgmt.Yang.Schema.ListSchema)top.Children[1].Schema, ["12345"])!;
        Assert.Equal("found", entry.LeafValue("label"));
        Assert.Equal(20_001, top.ChildCount);
    }
}
