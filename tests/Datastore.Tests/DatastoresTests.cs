using Mgmt.Datastore.Transactions;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Tests;

/// <summary>The transaction engine over real schemas (yang/): edits, validation, handlers, files, locks, candidate.</summary>
public sealed class DatastoresTests : IDisposable
{
    private static readonly string RepoRoot = Mgmt.Tests.Shared.RepoPaths.Root;

    private static readonly Lazy<SchemaContext> Schema = new(() => SchemaContextBuilder.FromDirectory(Path.Combine(RepoRoot, "yang")));

    private readonly string _dir = Directory.CreateTempSubdirectory("datastores-test-").FullName;
    private readonly Session _alice = new(Session.NextId(), "alice", "netconf");
    private readonly Session _bob = new(Session.NextId(), "bob", "netconf");

    public DatastoresTests()
    {
        // Both act as administrators here; access control has its own tests.
        var users = Users.UserStore.Open(_dir);
        foreach (var name in new[] { "alice", "bob" }) users.Add(new Users.User(name, ["admin"], null, []));
        for (var i = 0; i < 50; i++) users.Add(new Users.User("user" + i, ["admin"], null, []));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Datastores Open() => Datastores.Open(Schema.Value, _dir);

    private static DataRoot EditDoc(string xml) =>
        XmlDataReader.Parse(Schema.Value, xml, new DataParseOptions(DataContent.Edit));

    private static string Interface(string name, string? op = null, string type = "ianaift:ethernetCsmacd") => $"""
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type"
                    xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
          <interface{(op is null ? "" : $" nc:operation=\"{op}\"")}><name>{name}</name><type>{type}</type></interface>
        </interfaces>
        """;

    private static string Xml(Datastores ds, DatastoreName name) =>
        ds.Read(name, t => XmlDataWriter.ToString(t, new DataWriteOptions(WithDefaults: WithDefaultsMode.Explicit)));

    private static string[] Names(Datastores ds, DatastoreName name) => ds.Read(name, t =>
        t.Children.Where(c => c.Name == "interfaces").SelectMany(c => c is DataInner i ? i.Children.OfType<DataInner>() : [])
            .Select(e => e.LeafValue("name")!).Order().ToArray());

    [Fact]
    public void An_edit_of_running_is_validated_applied_saved_and_survives_a_restart()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth1")));
        Assert.Equal(["eth0", "eth1"], Names(ds, DatastoreName.Running));
        Assert.True(File.Exists(Path.Combine(_dir, Datastores.RunningFile)));

        var reopened = Open();
        Assert.Equal(Xml(ds, DatastoreName.Running), Xml(reopened, DatastoreName.Running));
    }

    [Fact]
    public void An_invalid_edit_changes_nothing_and_reports_every_error_with_its_path()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        var before = Xml(ds, DatastoreName.Running);
        var fileBefore = File.ReadAllBytes(Path.Combine(_dir, Datastores.RunningFile));

        // An interface without its mandatory type.
        var e = Assert.Throws<DataException>(() => ds.Edit(_alice, DatastoreName.Running, EditDoc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth9</name></interface></interfaces>
            """)));
        var error = Assert.Single(e.Errors);
        Assert.Equal(ErrorTag.MissingElement, error.Tag);
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='eth9']/type", error.Path);
        Assert.Equal(before, Xml(ds, DatastoreName.Running));
        Assert.Equal(fileBefore, File.ReadAllBytes(Path.Combine(_dir, Datastores.RunningFile)));

        // create of an existing entry: data-exists, nothing half-applied from the first part of the edit.
        var twoPart = EditDoc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type"
                        xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
              <interface><name>eth5</name><type>ianaift:ethernetCsmacd</type></interface>
              <interface nc:operation="create"><name>eth0</name><type>ianaift:ethernetCsmacd</type></interface>
            </interfaces>
            """);
        Assert.Equal(ErrorTag.DataExists, Assert.Throws<DataException>(() => ds.Edit(_alice, DatastoreName.Running, twoPart)).Errors[0].Tag);
        Assert.Equal(before, Xml(ds, DatastoreName.Running));
    }

    [Fact]
    public void Handlers_prepare_then_commit_in_order_and_a_refusal_aborts_the_prepared_ones_in_reverse()
    {
        var ds = Open();
        var log = new List<string>();
        var published = new List<ChangeSet>();
        ds.Committed += published.Add;
        ds.AddHandler(new RecordingHandler("a", log));
        ds.AddHandler(new RecordingHandler("b", log));
        var refuser = new RecordingHandler("c", log) { RefuseWhen = cs => cs.Changes.Any(c => c.Path.Contains("bad")) };
        ds.AddHandler(refuser);

        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        Assert.Equal(["a.prepare", "b.prepare", "c.prepare", "a.commit", "b.commit", "c.commit"], log);
        var set = Assert.Single(published);
        Assert.Equal("alice", set.Info.User);
        Assert.Contains(set.Changes, c => c.Kind == DiffKind.Created && c.Path == "/ietf-interfaces:interfaces/interface[name='eth0']");

        log.Clear();
        var before = Xml(ds, DatastoreName.Running);
        var e = Assert.Throws<DataException>(() => ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("bad0"))));
        Assert.Contains("refused by c", e.Errors[0].Message);
        Assert.Equal(["a.prepare", "b.prepare", "c.prepare", "b.abort", "a.abort"], log);
        Assert.Equal(before, Xml(ds, DatastoreName.Running));
        Assert.Single(published);
        Assert.Equal(before, Xml(Open(), DatastoreName.Running)); // nor in the file
    }

    [Fact]
    public void A_handler_failing_at_every_step_leaves_running_its_file_and_the_other_handlers_unchanged()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        var before = Xml(ds, DatastoreName.Running);
        for (var failAt = 0; failAt < 3; failAt++)
        {
            var fresh = Open();
            var log = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                var index = i;
                fresh.AddHandler(new RecordingHandler("h" + i, log) { RefuseWhen = _ => index == failAt });
            }
            Assert.Throws<DataException>(() => fresh.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth1"))));
            Assert.Equal(before, Xml(fresh, DatastoreName.Running));
            // Every handler that prepared was aborted, in reverse order, and nobody committed.
            var prepared = log.Where(l => l.EndsWith(".prepare")).Select(l => l[..2]).Take(failAt).Reverse();
            Assert.Equal(prepared, log.Where(l => l.EndsWith(".abort")).Select(l => l[..2]));
            Assert.DoesNotContain(log, l => l.EndsWith(".commit"));
        }
        Assert.Equal(before, Xml(Open(), DatastoreName.Running));
    }

    [Fact]
    public void Candidate_edits_stay_out_of_running_until_commit_which_hands_handlers_only_the_difference()
    {
        var ds = Open();
        for (var i = 0; i < 20; i++) ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth" + i)));
        var published = new List<ChangeSet>();
        ds.Committed += published.Add;

        Assert.False(ds.CandidateModified);
        Assert.Equal(Xml(ds, DatastoreName.Running), Xml(ds, DatastoreName.Candidate));
        ds.Edit(_alice, DatastoreName.Candidate, EditDoc(Interface("new0")));
        ds.Edit(_alice, DatastoreName.Candidate, EditDoc(Interface("eth3", "delete")));
        Assert.True(ds.CandidateModified);
        Assert.DoesNotContain("new0", Names(ds, DatastoreName.Running));
        Assert.Contains("new0", Names(ds, DatastoreName.Candidate));
        Assert.Empty(published);

        ds.Commit(_alice);
        Assert.Contains("new0", Names(ds, DatastoreName.Running));
        Assert.DoesNotContain("eth3", Names(ds, DatastoreName.Running));
        Assert.False(ds.CandidateModified);
        var changes = Assert.Single(published).Changes;
        Assert.Equal(2, changes.Count(c => c.Path.EndsWith("']"))); // one entry created, one deleted: not the whole list
        Assert.Equal(DiffKind.Created, changes.Single(c => c.Path.Contains("new0") && c.Path.EndsWith("']")).Kind);
        Assert.Equal(DiffKind.Deleted, changes.Single(c => c.Path.Contains("eth3") && c.Path.EndsWith("']")).Kind);

        ds.Edit(_alice, DatastoreName.Candidate, EditDoc(Interface("temp")));
        ds.DiscardChanges(_alice);
        Assert.Equal(Xml(ds, DatastoreName.Running), Xml(ds, DatastoreName.Candidate));
    }

    [Fact]
    public void Candidate_edits_with_test_option_set_may_be_incomplete_but_commit_validates()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Candidate, EditDoc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>half</name></interface></interfaces>
            """), test: TestOption.Set);
        Assert.Equal(ErrorTag.MissingElement, Assert.Single(ds.Validate(DatastoreName.Candidate)).Tag);
        Assert.Throws<DataException>(() => ds.Commit(_alice));
        Assert.Empty(Names(ds, DatastoreName.Running));
        ds.Edit(_alice, DatastoreName.Candidate, EditDoc(Interface("half")), test: TestOption.Set);
        ds.Commit(_alice);
        Assert.Equal(["half"], Names(ds, DatastoreName.Running));
    }

    [Fact]
    public void A_candidate_left_invalid_by_test_option_set_is_validated_whole_by_the_next_checked_edit()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Candidate, EditDoc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>half</name></interface></interfaces>
            """), test: TestOption.Set);
        // This edit is fine by itself; the candidate as a whole is not.
        var e = Assert.Throws<DataException>(() => ds.Edit(_alice, DatastoreName.Candidate, EditDoc(Interface("eth0"))));
        Assert.Contains(e.Errors, x => x.Path == "/ietf-interfaces:interfaces/interface[name='half']/type");
        Assert.Equal(["half"], Names(ds, DatastoreName.Candidate));
    }

    [Fact]
    public void A_refused_edit_that_deleted_a_leaf_with_a_default_leaves_the_explicit_value_alone()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Running, EditDoc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
              <interface><name>eth0</name><type>ianaift:ethernetCsmacd</type><enabled>false</enabled></interface>
            </interfaces>
            """));
        var before = Xml(ds, DatastoreName.Running);
        // Deleting enabled brings back its default (true); the second entry lacks its type, so all is undone.
        Assert.Throws<DataException>(() => ds.Edit(_alice, DatastoreName.Running, EditDoc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
              <interface><name>eth0</name><enabled nc:operation="delete"/></interface>
              <interface><name>eth1</name></interface>
            </interfaces>
            """)));
        Assert.Equal(before, Xml(ds, DatastoreName.Running));
        Assert.Single(ds.Read(DatastoreName.Running, t => ((DataInner)((DataInner)t.Children.Single(c => c.Name == "interfaces")).Children[0]).Children.Where(c => c.Name == "enabled").ToList()));
    }

    [Fact]
    public void A_commit_of_many_entries_is_journaled_replayed_at_restart_and_notified_by_its_parent()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        var events = new List<Notifications.NotificationEvent>();
        using var sub = ds.Events.Subscribe(events.Add, null, out _);
        var bulk = string.Concat(Enumerable.Range(1, 150).Select(i => $"<interface><name>bulk{i}</name><type>ianaift:ethernetCsmacd</type></interface>"));
        ds.Edit(_alice, DatastoreName.Running, EditDoc($"""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">{bulk}</interfaces>
            """));
        var change = Assert.IsType<Notifications.ConfigChangeEvent>(Assert.Single(events));
        var edit = Assert.Single(change.Edits);
        Assert.Equal(("/ietf-interfaces:interfaces", "merge"), (edit.Path, edit.Operation));
        Assert.Equal(151, Names(Open(), DatastoreName.Running).Length);
        Assert.Equal(Xml(ds, DatastoreName.Running), Xml(Open(), DatastoreName.Running));
    }

    [Fact]
    public void Continue_on_error_keeps_the_good_parts_but_a_refusing_handler_still_undoes_them_all()
    {
        var ds = Open();
        const string TwoParts = """
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
              <interface><name>ok0</name><type>ianaift:ethernetCsmacd</type></interface>
              <interface><name>bad0</name></interface>
              <interface><name>ok1</name><type>ianaift:ethernetCsmacd</type></interface>
            </interfaces>
            """;
        var skipped = ds.EditContinuing(_alice, DatastoreName.Running, EditDoc(TwoParts));
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='bad0']/type", Assert.Single(skipped).Path);
        Assert.Equal(["ok0", "ok1"], Names(ds, DatastoreName.Running));
        Assert.Equal(["ok0", "ok1"], Names(Open(), DatastoreName.Running));

        var log = new List<string>();
        ds.AddHandler(new RecordingHandler("h", log) { RefuseWhen = _ => true });
        var before = Xml(ds, DatastoreName.Running);
        Assert.Throws<DataException>(() => ds.EditContinuing(_alice, DatastoreName.Running, EditDoc(TwoParts.Replace("ok", "new"))));
        Assert.Equal(before, Xml(ds, DatastoreName.Running));
    }

    [Fact]
    public void Test_only_validates_without_changing_anything()
    {
        var ds = Open();
        var saved = File.ReadAllBytes(Path.Combine(_dir, Datastores.RunningFile)); // the initial access control configuration
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")), test: TestOption.TestOnly);
        Assert.Empty(Names(ds, DatastoreName.Running));
        Assert.Equal(saved, File.ReadAllBytes(Path.Combine(_dir, Datastores.RunningFile)));
        Assert.Throws<DataException>(() => ds.Edit(_alice, DatastoreName.Running, EditDoc("""
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>x</name></interface></interfaces>
            """), test: TestOption.TestOnly));
    }

    [Fact]
    public void Locks_belong_to_one_session_and_go_when_it_ends()
    {
        var ds = Open();
        ds.Lock(_alice, DatastoreName.Running);
        var denied = Assert.Throws<DataException>(() => ds.Lock(_bob, DatastoreName.Running)).Errors[0];
        Assert.Equal(ErrorTag.LockDenied, denied.Tag);
        Assert.Equal(_alice.Id, denied.LockOwner);
        var inUse = Assert.Throws<DataException>(() => ds.Edit(_bob, DatastoreName.Running, EditDoc(Interface("eth0")))).Errors[0];
        Assert.Equal(ErrorTag.InUse, inUse.Tag);
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        Assert.Throws<DataException>(() => ds.Unlock(_bob, DatastoreName.Running));

        ds.SessionEnded(_alice.Id);
        ds.Edit(_bob, DatastoreName.Running, EditDoc(Interface("eth1")));
        Assert.Equal(["eth0", "eth1"], Names(ds, DatastoreName.Running));
    }

    [Fact]
    public void The_candidate_cannot_be_locked_while_it_holds_uncommitted_changes()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Candidate, EditDoc(Interface("eth0")));
        Assert.Equal(ErrorTag.LockDenied, Assert.Throws<DataException>(() => ds.Lock(_bob, DatastoreName.Candidate)).Errors[0].Tag);
        ds.DiscardChanges(_alice);
        ds.Lock(_bob, DatastoreName.Candidate);
        Assert.Equal(ErrorTag.InUse, Assert.Throws<DataException>(() => ds.Commit(_alice)).Errors[0].Tag);
    }

    [Fact]
    public void Startup_is_saved_on_copy_and_seeds_running_when_running_was_never_saved()
    {
        var ds = Open();
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        ds.Copy(_alice, DatastoreName.Running, DatastoreName.Startup);
        ds.Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth1")));
        Assert.Equal(["eth0"], Names(ds, DatastoreName.Startup));

        File.Delete(Path.Combine(_dir, Datastores.RunningFile));
        var restarted = Open();
        Assert.Equal(["eth0"], Names(restarted, DatastoreName.Running));

        restarted.Delete(_alice, DatastoreName.Startup);
        Assert.False(File.Exists(Path.Combine(_dir, Datastores.StartupFile)));
        Assert.Equal(ErrorTag.OperationNotSupported, Assert.Throws<DataException>(() => restarted.Delete(_alice, DatastoreName.Running)).Errors[0].Tag);
    }

    [Fact]
    public void A_corrupt_saved_file_stops_the_start_naming_the_file()
    {
        Open().Edit(_alice, DatastoreName.Running, EditDoc(Interface("eth0")));
        var file = Path.Combine(_dir, Datastores.RunningFile);
        File.WriteAllText(file, File.ReadAllText(file)[..20]);
        var e = Assert.Throws<InvalidDataException>(Open);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public async Task Fifty_concurrent_editors_lose_no_update_and_readers_never_see_half_an_edit()
    {
        var ds = Open();
        using var stop = new CancellationTokenSource();
        var torn = 0;
        // Each edit adds a pair of interfaces; a reader must always see both or neither.
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var names = Names(ds, DatastoreName.Running);
                foreach (var n in names.Where(n => n.EndsWith("-a")))
                    if (!names.Contains(n[..^2] + "-b")) Interlocked.Increment(ref torn);
            }
        }, TestContext.Current.CancellationToken);
        Parallel.For(0, 50, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var who = new Session(Session.NextId(), "user" + i, "netconf");
            ds.Edit(who, DatastoreName.Running, EditDoc($"""
                <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
                  <interface><name>if{i}-a</name><type>ianaift:ethernetCsmacd</type></interface>
                  <interface><name>if{i}-b</name><type>ianaift:ethernetCsmacd</type></interface>
                </interfaces>
                """));
        });
        await stop.CancelAsync();
        await reader;
        Assert.Equal(100, Names(ds, DatastoreName.Running).Length);
        Assert.Equal(0, torn);
        Assert.Equal(100, Names(Open(), DatastoreName.Running).Length);
    }

    private sealed class RecordingHandler(string name, List<string> log) : IChangeHandler
    {
        public Func<ChangeSet, bool> RefuseWhen { get; init; } = _ => false;

        public string Name => name;

        public void Prepare(ChangeSet changes)
        {
            log.Add(name + ".prepare");
            if (RefuseWhen(changes)) throw new DataException(new DataError(ErrorTag.OperationFailed, null, "refused by " + name));
        }

        public void Commit(ChangeSet changes) => log.Add(name + ".commit");

        public void Abort(ChangeSet changes) => log.Add(name + ".abort");
    }
}
