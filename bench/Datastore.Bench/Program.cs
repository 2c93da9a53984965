using System.Diagnostics;
using System.Text;
using Mgmt.Datastore;
using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Encoding;

// Server-side cost of the shared transaction path (no northbound): one edit of one list entry committed into
// running datastores of 1k, 10k and 100k entries (issue 4 benchmark b; goal: flat, under 1 ms at 100k),
// and one edit of 100k entries (benchmark c; goal: under 2 s). Each small edit is validated, journaled
// (flushed to disk) and recorded in the history, as from NETCONF.
//   dotnet run -c Release --project bench/Datastore.Bench [-- SIZES]
var repo = typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
    .Cast<System.Reflection.AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;
var schema = SchemaContextBuilder.FromDirectory(Path.Combine(repo, "yang"));
var sizes = args.Length > 0 ? args.Select(int.Parse).ToArray() : [1000, 10000, 100000];
const string Ns = "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\" xmlns:ianaift=\"urn:ietf:params:xml:ns:yang:iana-if-type\"";
Console.WriteLine("entries\tbulk_edit_ms\tone_entry_edit_median_ms\tone_entry_edit_min_ms\tmanaged_heap_mb");
foreach (var n in sizes)
{
    var dir = Directory.CreateTempSubdirectory("datastore-bench-").FullName;
    try
    {
        UserStore.Open(dir).Add(new User("admin", ["admin"], null, []));
        var ds = Datastores.Open(schema, dir);
        var admin = new Session(Session.NextId(), "admin", "netconf");
        var bulk = new StringBuilder($"<interfaces {Ns}>");
        for (var i = 0; i < n; i++) bulk.Append($"<interface><name>eth{i}</name><type>ianaift:ethernetCsmacd</type></interface>");
        bulk.Append("</interfaces>");
        var sw = Stopwatch.StartNew();
        ds.Edit(admin, DatastoreName.Running, XmlDataReader.Parse(schema, bulk.ToString(), new DataParseOptions(DataContent.Edit)));
        var bulkMs = sw.ElapsedMilliseconds;
        var times = new List<double>();
        for (var k = 0; k < 31; k++)
        {
            var edit = XmlDataReader.Parse(schema, $"<interfaces {Ns}><interface><name>new{k}</name><type>ianaift:ethernetCsmacd</type></interface></interfaces>",
                new DataParseOptions(DataContent.Edit));
            sw.Restart();
            ds.Edit(admin, DatastoreName.Running, edit);
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        GC.Collect();
        Console.WriteLine($"{n}\t{bulkMs}\t{times[15]:F2}\t{times[0]:F2}\t{GC.GetTotalMemory(true) / 1e6:F0}");
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}
