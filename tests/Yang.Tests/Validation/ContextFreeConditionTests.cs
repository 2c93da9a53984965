using Mgmt.Yang.Compilation;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Yang.Tests.Validation;

/// <summary>
/// RFC 8519's matches are guarded by <c>when "derived-from-or-self(/acls/acl/type, ...)"</c>, an expression that
/// does not depend on the entry: validation evaluates it once, and the verdict must still reach every entry.
/// </summary>
public sealed class ContextFreeConditionTests
{
    private static readonly Lazy<SchemaContext> Schema = new(() => SchemaContextBuilder.FromDirectory(Path.Combine(CorpusLocator.RepoRoot, "yang")));

    private static string Acls(params (string Name, string Type, int Aces)[] acls) =>
        "{\"ietf-access-control-list:acls\":{\"acl\":[" + string.Join(",", acls.Select(a =>
            $"{{\"name\":\"{a.Name}\",\"type\":\"ietf-access-control-list:{a.Type}\",\"aces\":{{\"ace\":[" +
            string.Join(",", Enumerable.Range(0, a.Aces).Select(i =>
                $"{{\"name\":\"e{i}\",\"matches\":{{\"ipv4\":{{\"protocol\":6}}}},\"actions\":{{\"forwarding\":\"ietf-access-control-list:accept\"}}}}")) +
            "]}}")) + "]}}";

    private static IReadOnlyList<Mgmt.Yang.Data.DataError> Validate(string json) =>
        DataValidator.Validate(JsonDataReader.Parse(Schema.Value, json, new DataParseOptions(DataContent.Config)), new ValidationOptions(ConfigOnly: true));

    [Fact]
    public void Every_entry_under_a_false_condition_is_reported()
    {
        var errors = Validate(Acls(("v6", "ipv6-acl-type", 3)));
        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal("when-violation", e.AppTag));
        Assert.Equal(["e0", "e1", "e2"], errors.Select(e => e.Path!.Split("ace[name='")[1].Split('\'')[0]));
    }

    [Fact]
    public void A_true_condition_holds_for_every_entry()
    {
        Assert.Empty(Validate(Acls(("v4", "ipv4-acl-type", 3))));
        // The expression reads the types of all ACLs: one ACL of IPv4 type lets IPv4 matches appear in any.
        Assert.Empty(Validate(Acls(("v6", "ipv6-acl-type", 2), ("v4", "ipv4-acl-type", 1))));
    }
}
