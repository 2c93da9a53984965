using Mgmt.Yang.Data;
using static Mgmt.Yang.Tests.Editing.TestSchema;

namespace Mgmt.Yang.Tests.Editing;

public sealed class DataDiffTests
{
    [Fact]
    public void Created_deleted_modified_and_moved_nodes_are_reported_with_paths()
    {
        var before = Config("<must-have>x</must-have><item><id>1</id><label>a</label></item><item><id>2</id></item><item><id>3</id></item>");
        var after = Config("<must-have>y</must-have><item><id>3</id></item><item><id>1</id><label>a</label></item><item><id>4</id></item>");
        var changes = DataDiff.Compute(before, after).Select(c => c.ToString()).ToList();
        Assert.Contains("~ /ed:top/must-have: x -> y", changes);
        Assert.Contains("- /ed:top/item[id='2']", changes);
        Assert.Contains("+ /ed:top/item[id='4']", changes);
        Assert.Contains("> /ed:top/item[id='1']", changes);
        Assert.Equal(4, changes.Count);
    }

    [Fact]
    public void Identical_trees_have_no_difference() =>
        Assert.Empty(DataDiff.Compute(Config("<must-have>x</must-have><tags>a</tags>"), Config("<must-have>x</must-have><tags>a</tags>")));
}
