using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Encoding;

/// <summary>
/// A second list entry with the keys of an earlier one, or a repeated configuration leaf-list value, is rejected
/// by both readers at the later one, in small nodes (compared pairwise) and large ones (a table), wherever the
/// entries stand among their siblings; state leaf-lists may repeat.
/// </summary>
public sealed class DuplicateEntryTests
{
    private const string Ns = "urn:t:dup";

    private static readonly Lazy<SchemaContext> Context = new(() =>
    {
        var b = new SchemaContextBuilder();
        b.LoadText("""
            module dup {
              yang-version 1.1;
              namespace "urn:t:dup";
              prefix d;
              list top { key name; leaf name { type string; } }
              container c {
                list one { key k; leaf k { type string; } leaf v { type string; } }
                list two { key "a b"; leaf a { type string; } leaf b { type uint8; } }
                leaf-list tags { type string; }
                leaf note { type string; }
                container state {
                  config false;
                  leaf-list seen { type string; }
                }
              }
            }
            """, "dup.yang");
        return b.Build();
    });

    private static DataRoot Xml(string content, DataContent kind = DataContent.Config) =>
        XmlDataReader.Parse(Context.Value, content, new DataParseOptions(kind));

    private static DataRoot Json(string content) => JsonDataReader.Parse(Context.Value, content, new DataParseOptions(DataContent.Config));

    // n entries of "one" with other children between them, the entry at "repeat" given again at the end.
    private static string OneEntries(int n, int? repeat)
    {
        var entries = Enumerable.Range(0, n).Select(i => $"<one><k>e{i}</k></one>" + (i % 5 == 0 ? $"<tags>t{i}</tags>" : "")).ToList();
        if (repeat is { } r) entries.Add($"<one><v>late</v><k>e{r}</k></one>");
        return $"<c xmlns=\"{Ns}\"><note>n</note>{string.Concat(entries)}</c>";
    }

    private static string OneEntriesJson(int n, int? repeat)
    {
        var entries = Enumerable.Range(0, n).Select(i => $"{{\"k\":\"e{i}\"}}").ToList();
        if (repeat is { } r) entries.Add($"{{\"k\":\"e{r}\",\"v\":\"late\"}}");
        return $"{{\"dup:c\":{{\"one\":[{string.Join(',', entries)}],\"note\":\"n\"}}}}";
    }

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(40)]
    [InlineData(5000)]
    public void Distinct_entries_are_all_read(int n)
    {
        Assert.Equal(n, Count(Xml(OneEntries(n, null)), "one"));
        Assert.Equal(n, Count(Json(OneEntriesJson(n, null)), "one"));
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(11, 0)]
    [InlineData(40, 39)]
    [InlineData(5000, 1234)]
    public void An_entry_with_the_keys_of_an_earlier_one_is_rejected_at_the_later(int n, int repeat)
    {
        foreach (var e in new[] { Assert.Throws<DataException>(() => Xml(OneEntries(n, repeat))), Assert.Throws<DataException>(() => Json(OneEntriesJson(n, repeat))) })
        {
            var error = Assert.Single(e.Errors);
            Assert.Equal(ErrorTag.InvalidValue, error.Tag);
            Assert.Equal("data-not-unique", error.AppTag);
            Assert.Equal($"/dup:c/one[k='e{repeat}']", error.Path);
        }
    }

    [Fact]
    public void Of_several_repeated_entries_the_first_repeat_in_document_order_is_reported()
    {
        var body = string.Concat(Enumerable.Range(0, 30).Select(i => $"<one><k>e{i}</k></one>")) + "<one><k>e7</k></one><one><k>e3</k></one>";
        var e = Assert.Throws<DataException>(() => Xml($"<c xmlns=\"{Ns}\">{body}</c>"));
        Assert.Equal("/dup:c/one[k='e7']", e.Errors[0].Path);
    }

    [Fact]
    public void In_a_list_checked_in_several_passes_the_earliest_repeat_is_reported()
    {
        // 30k entries are checked in groups by hash, a pass each: the earliest repeat is reported whichever group
        // it falls in, before repeats of forty other entries spread over the groups.
        static string Key(int i) => $"10.{i >> 8 & 255}.{i & 255}.0/24";
        var entries = string.Concat(Enumerable.Range(0, 30_000).Select(i => $"<one><k>{Key(i)}</k></one>"));
        Assert.Equal(30_000, Count(Xml($"<c xmlns=\"{Ns}\">{entries}</c>"), "one"));
        var others = string.Concat(Enumerable.Range(100, 40).Select(i => $"<one><k>{Key(i)}</k></one>"));
        foreach (var first in new[] { 5000, 6001, 7002, 8003, 9004, 29_999 })
        {
            var e = Assert.Throws<DataException>(() => Xml($"<c xmlns=\"{Ns}\">{entries}<one><k>{Key(first)}</k></one>{others}</c>"));
            Assert.Equal($"/dup:c/one[k='{Key(first)}']", e.Errors[0].Path);
        }
    }

    [Fact]
    public void Repeated_ipv6_prefix_keys_are_found_among_many()
    {
        static string Key(int i) => $"2001:db8:{i:x}::/48";
        var entries = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"<one><k>{Key(i)}</k></one>"));
        Assert.Equal(20_000, Count(Xml($"<c xmlns=\"{Ns}\">{entries}</c>"), "one"));
        var e = Assert.Throws<DataException>(() => Xml($"<c xmlns=\"{Ns}\">{entries}<one><k>{Key(12345)}</k></one></c>"));
        Assert.Equal($"/dup:c/one[k='{Key(12345)}']", e.Errors[0].Path);
    }

    [Fact]
    public void A_table_that_fills_grows_and_the_check_starts_again()
    {
        var node = (DataInner)Xml(OneEntries(3000, null)).Children[0];
        Assert.Null(DuplicateEntries.Find(node, firstTableSize: 16));
        var repeated = (DataInner)Xml(OneEntries(3000, null)).Children[0];
        repeated.Add(Entry(repeated, "e2500"));
        Assert.Same(repeated.Children[^1], DuplicateEntries.Find(repeated, firstTableSize: 16));
    }

    private static DataInner Entry(DataInner parent, string key)
    {
        var list = parent.Schema.FindDataChild("one")!;
        var entry = new DataInner(list);
        entry.Add(DataLeaf.Create(list.FindDataChild("k")!, key));
        return entry;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(300)]
    public void Entries_with_two_keys_repeat_only_when_both_are_equal(int n)
    {
        var entries = Enumerable.Range(0, n).Select(i => $"<two><a>x{i / 2}</a><b>{i % 2}</b></two>").ToList();
        var distinct = $"<c xmlns=\"{Ns}\">{string.Concat(entries)}</c>";
        Assert.Equal(n, Count(Xml(distinct), "two"));
        var repeated = $"<c xmlns=\"{Ns}\">{string.Concat(entries)}<two><b>1</b><a>x{(n - 1) / 2}</a></two></c>";
        var e = Assert.Throws<DataException>(() => Xml(repeated));
        Assert.Equal($"/dup:c/two[a='x{(n - 1) / 2}'][b='1']", e.Errors[0].Path);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(500)]
    public void A_repeated_leaf_list_value_is_rejected_but_a_state_leaf_list_may_repeat(int n)
    {
        var tags = string.Concat(Enumerable.Range(0, n).Select(i => $"<tags>t{i}</tags>"));
        Assert.Equal(n, Count(Xml($"<c xmlns=\"{Ns}\">{tags}</c>"), "tags"));
        var e = Assert.Throws<DataException>(() => Xml($"<c xmlns=\"{Ns}\">{tags}<note>x</note><tags>t{n / 2}</tags></c>"));
        Assert.Contains($"duplicate value \"t{n / 2}\" of leaf-list \"tags\"", e.Errors[0].Message);
        var json = Assert.Throws<DataException>(() => Json($"{{\"dup:c\":{{\"tags\":[{string.Join(',', Enumerable.Range(0, n).Select(i => $"\"t{i}\""))},\"t0\"]}}}}"));
        Assert.Contains("duplicate value \"t0\"", json.Errors[0].Message);

        var seen = string.Concat(Enumerable.Range(0, n).Select(i => $"<seen>s{i % 2}</seen>"));
        Assert.Equal(n, Count(Xml($"<c xmlns=\"{Ns}\"><state>{seen}</state></c>", DataContent.Data), "seen"));
    }

    [Fact]
    public void Top_level_entries_are_checked_too()
    {
        var e = Assert.Throws<DataException>(() => Xml($"<top xmlns=\"{Ns}\"><name>a</name></top><top xmlns=\"{Ns}\"><name>a</name></top>"));
        Assert.Equal("/dup:top[name='a']", e.Errors[0].Path);
        var j = Assert.Throws<DataException>(() => Json("{\"dup:top\":[{\"name\":\"b\"},{\"name\":\"a\"},{\"name\":\"b\"}]}"));
        Assert.Equal("/dup:top[name='b']", j.Errors[0].Path);
    }

    private static int Count(DataNode node, string name) =>
        (node is DataLeaf or DataInner && node.Name == name ? 1 : 0) + (node is DataInner i ? i.Children.ToArray().Sum(c => Count(c, name)) : 0);
}
