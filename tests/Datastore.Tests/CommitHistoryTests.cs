using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Tests;

/// <summary>The commit history of running: who, when, what; ids across restarts; rollback through the mgmt-commits rpc.</summary>
public sealed class CommitHistoryTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = new(() => SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang));
    private readonly string _dir = Directory.CreateTempSubdirectory("history-test-").FullName;
    private readonly Session _alice = new(Session.NextId(), "alice", "restconf");

    public CommitHistoryTests() => UserStore.Open(_dir).Add(new User("alice", ["admin"], null, []));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DataRoot Edit(string name) => XmlDataReader.Parse(Schema.Value, $"""
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>{name}</name><type>ianaift:ethernetCsmacd</type></interface></interfaces>
        """, new DataParseOptions(DataContent.Edit));

    private static string Names(Datastores ds) => string.Join(",", ds.Read(DatastoreName.Running, t =>
        t.Children.Where(c => c.Name == "interfaces").OfType<DataInner>().SelectMany(i => i.Children.OfType<DataInner>()).Select(e => e.LeafValue("name")).Order().ToList()));

    [Fact]
    public void Every_commit_is_recorded_with_user_northbound_comment_and_changes_and_ids_survive_a_restart()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        var first = ds.History.List().Count; // the initial NACM configuration may already be one
        ds.Edit(_alice, DatastoreName.Running, Edit("eth0"), comment: "first port");
        ds.Edit(_alice, DatastoreName.Running, Edit("eth1"));
        var list = ds.History.List();
        Assert.Equal(first + 2, list.Count);
        var last = list[^1];
        Assert.Equal("alice", last.User);
        Assert.Equal("restconf", last.Northbound);
        Assert.Equal("first port", list[^2].Comment);
        Assert.Contains("created /ietf-interfaces:interfaces/interface[name='eth1']", last.Paths);

        var reopened = Datastores.Open(Schema.Value, _dir);
        reopened.Edit(_alice, DatastoreName.Running, Edit("eth2"));
        Assert.Equal(last.Id + 1, reopened.History.List()[^1].Id);
    }

    [Fact]
    public void The_rollback_rpc_returns_running_to_an_earlier_commit_as_a_new_commit()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        ds.Edit(_alice, DatastoreName.Running, Edit("eth0"));
        var afterFirst = ds.History.List()[^1].Id;
        ds.Edit(_alice, DatastoreName.Running, Edit("eth1"));
        ds.Edit(_alice, DatastoreName.Running, Edit("eth2"));
        Assert.Equal("eth0,eth1,eth2", Names(ds));

        var request = XmlDataReader.Parse(Schema.Value, $"""<rollback xmlns="urn:mgmt:yang:mgmt-commits"><commit-id>{afterFirst}</commit-id></rollback>""",
            new DataParseOptions(DataContent.RpcInput));
        var output = ds.Invoke(_alice, request);
        Assert.Equal("eth0", Names(ds));
        var made = ds.History.List()[^1];
        Assert.Equal(made.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), output.LeafValue("commit-id"));
        Assert.Equal($"rollback to commit {afterFirst}", made.Comment);

        var missing = XmlDataReader.Parse(Schema.Value, """<rollback xmlns="urn:mgmt:yang:mgmt-commits"><commit-id>999999</commit-id></rollback>""",
            new DataParseOptions(DataContent.RpcInput));
        Assert.Equal(ErrorTag.InvalidValue, Assert.Throws<DataException>(() => ds.Invoke(_alice, missing)).Errors[0].Tag);
        var noId = XmlDataReader.Parse(Schema.Value, """<rollback xmlns="urn:mgmt:yang:mgmt-commits"/>""", new DataParseOptions(DataContent.RpcInput));
        Assert.Equal(ErrorTag.MissingElement, Assert.Throws<DataException>(() => ds.Invoke(_alice, noId)).Errors[0].Tag);
        Assert.Equal("eth0", Names(ds));
    }

    [Fact]
    public void Only_the_last_commits_are_kept_and_each_kept_configuration_is_rebuilt()
    {
        var history = new History.CommitHistory(_dir, keep: 3);
        var file = Path.Combine(_dir, "snapshot.json");
        for (var i = 1; i <= 5; i++)
        {
            File.WriteAllText(file, "{\"ietf-interfaces:interfaces\": {\"interface\": [{\"name\": \"n" + i + "\", \"type\": \"iana-if-type:ethernetCsmacd\"}]}}");
            history.Record(new CommitInfo(i, "alice", "cli", DateTimeOffset.UtcNow), [], file, null);
            File.Delete(file); // as the atomic save replaces it: the history keeps its own link
        }
        Assert.Equal([3L, 4L, 5L], history.List().Select(r => r.Id));
        Assert.Contains("n4", XmlDataWriter.ToString(history.Configuration(4, Schema.Value)!));
        Assert.Null(history.Configuration(2, Schema.Value));
    }

    [Fact]
    public void Journaled_commits_are_rebuilt_from_the_last_snapshot_and_their_change_documents()
    {
        var ds = Datastores.Open(Schema.Value, _dir);
        ds.Edit(_alice, DatastoreName.Running, Edit("eth0"));
        var afterEth0 = ds.History.List()[^1].Id;
        ds.Edit(_alice, DatastoreName.Running, Edit("eth1"));
        ds.Edit(_alice, DatastoreName.Running, XmlDataReader.Parse(Schema.Value, """
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
              <interface nc:operation="delete"><name>eth0</name></interface></interfaces>
            """, new DataParseOptions(DataContent.Edit)));
        Assert.True(File.Exists(Path.Combine(_dir, "running.journal")));
        Assert.True(File.Exists(Path.Combine(_dir, "history", "commits.log")));
        Assert.Equal("eth1", Names(ds));
        Assert.Equal("eth1", Names(Datastores.Open(Schema.Value, _dir))); // snapshot + journal replayed at start
        var rebuilt = ds.History.Configuration(afterEth0, Schema.Value)!;
        Assert.Contains("eth0", XmlDataWriter.ToString(rebuilt));
        Assert.DoesNotContain("eth1", XmlDataWriter.ToString(rebuilt));
    }
}
