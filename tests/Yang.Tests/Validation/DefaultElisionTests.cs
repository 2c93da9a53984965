using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Yang.Tests.Validation;

/// <summary>
/// A configuration stores the default of a leaf only when some constraint can read it; readers that report
/// defaults add the rest (<see cref="DataDefaults.AddAll"/>). Verdicts never change.
/// </summary>
public sealed class DefaultElisionTests
{
    private static readonly Lazy<SchemaContext> Context = new(() =>
    {
        var b = new SchemaContextBuilder();
        b.LoadText("""
            module el {
              yang-version 1.1;
              namespace "urn:t:el";
              prefix el;
              container top {
                leaf limit { type uint8; default 5; }
                leaf quiet { type boolean; default false; }
                leaf-list tags { type string; default "x"; }
                leaf own-must { type uint8; default 1; must ". < 10"; }
                list item {
                  key id;
                  unique "slot";
                  leaf id { type string; }
                  leaf weight { type uint8; must ". <= ../../limit"; }
                  leaf mode { type string; default "auto"; }
                  leaf target { type string; default "t"; }
                  leaf slot { type uint8; default 0; }
                }
                leaf pick { type leafref { path "../item/target"; } }
                choice c { default one; case one { leaf in-case { type string; default "c"; } } }
              }
            }
            """, "el.yang");
        return b.Build();
    });

    private static DataRoot Tree(string items) =>
        JsonDataReader.Parse(Context.Value, "{\"el:top\": {\"item\": [" + items + "]}}", new DataParseOptions(DataContent.Config));

    private static string[] Names(DataInner n) => n.Children.ToArray().Select(c => c.Name).Distinct().Order().ToArray();

    [Fact]
    public void A_configuration_stores_only_the_defaults_a_constraint_can_read()
    {
        var tree = Tree("""{"id": "a", "weight": 3}""");
        Assert.Empty(DataValidator.Validate(tree, new ValidationOptions(ConfigOnly: true)));
        var top = (DataInner)tree.Children[0];
        // limit: read by a must; tags: a leaf-list; own-must: has a must; in-case: in a choice. quiet: nothing reads it.
        Assert.Equal(["in-case", "item", "limit", "own-must", "tags"], Names(top));
        // target: a leafref's target; slot: named by unique. mode: nothing reads it.
        Assert.Equal(["id", "slot", "target", "weight"], Names((DataInner)top.Children.ToArray().Single(c => c.Name == "item")));

        DataDefaults.AddAll(tree);
        Assert.Equal(["in-case", "item", "limit", "own-must", "quiet", "tags"], Names(top));
        Assert.Contains(((DataInner)top.Children.ToArray().Single(c => c.Name == "item")).Children.ToArray(), c => c.Name == "mode" && c.IsDefault);
    }

    [Fact]
    public void Documents_that_are_not_configurations_get_every_default()
    {
        var tree = Tree("""{"id": "a"}""");
        Assert.Empty(DataValidator.Validate(tree, new ValidationOptions(ConfigOnly: false)));
        Assert.Contains("quiet", Names((DataInner)tree.Children[0]));
    }

    [Fact]
    public void A_default_a_constraint_reads_still_decides_the_verdict()
    {
        var errors = DataValidator.Validate(Tree("""{"id": "a", "weight": 6}"""), new ValidationOptions(ConfigOnly: true));
        Assert.Contains(errors, e => e.Path!.EndsWith("/weight", StringComparison.Ordinal));
        // Two entries on the default slot 0 break unique.
        Assert.NotEmpty(DataValidator.Validate(Tree("""{"id": "a"}, {"id": "b"}"""), new ValidationOptions(ConfigOnly: true)));
    }
}
