using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Data;

/// <summary>
/// A node's children and the key index of its lists (an open-addressing table with backward-shift deletion)
/// against a plain model: random inserts at any position, removals, replacements, trims and lookups by key on
/// lists with one and with two keys, across the sizes where the index is built, grows and shrinks.
/// </summary>
public sealed class DataInnerChildrenTests
{
    private static readonly Lazy<SchemaContext> Context = new(() =>
    {
        var b = new SchemaContextBuilder();
        b.LoadText("""
            module kids {
              namespace "urn:t:kids";
              prefix k;
              container top {
                leaf note { type string; }
                list one { key name; leaf name { type string; } leaf v { type string; } }
                list two { key "a b"; leaf a { type string; } leaf b { type uint8; } }
              }
            }
            """, "kids.yang");
        return b.Build();
    });

    private static ContainerSchema Top => (ContainerSchema)Context.Value.GetModule("kids")!.TopLevel[0];

    private static ListSchema One => (ListSchema)Child(Top, "one");

    private static ListSchema Two => (ListSchema)Child(Top, "two");

    [Theory]
    [InlineData(1, 40, false)]
    [InlineData(4, 2, false)] // none or one child held in the node, two in an array
    [InlineData(4, 2, true)] // none, one or two children: held in the node, no array
    [InlineData(5, 3, false)]
    [InlineData(5, 3, true)] // across two and three: into an array and back by a trim
    [InlineData(2, 400, true)]
    [InlineData(3, 3000, false)]
    public void Children_and_key_lookups_match_a_model_through_random_changes(int seed, int maxSize, bool pair)
    {
        var rng = new Random(seed);
        Top.ChildCountHint = pair ? 2 : 0; // what a node is made for: its kind's last instance had two children, or not
        var node = DataInner.Create(Top);
        Assert.Equal(pair, node.GetType() != typeof(DataInner));
        var model = new List<DataNode>();
        for (var step = 0; step < 20000; step++)
        {
            var roll = rng.Next(100);
            if (roll < 45 && model.Count < maxSize)
            {
                var child = NewChild(rng);
                // Keys stay unique among the children, as in a valid tree (a twin is tested separately below).
                if (child is DataInner e && model.OfType<DataInner>().Any(m => SameEntry(m, e))) continue;
                var at = rng.Next(model.Count + 1);
                node.Insert(at, child);
                model.Insert(at, child);
                Assert.Same(node, child.Parent);
            }
            else if (roll < 80 && model.Count > 0)
            {
                var victim = model[rng.Next(model.Count)];
                Assert.True(node.Remove(victim));
                model.Remove(victim);
                Assert.Null(victim.Parent);
            }
            else if (roll < 85 && model.Count > 0)
            {
                var at = rng.Next(model.Count);
                var replacement = NewChild(rng);
                if (replacement is DataInner e && model.Where((_, i) => i != at).OfType<DataInner>().Any(m => SameEntry(m, e))) continue;
                node.ReplaceAt(at, replacement);
                model[at] = replacement;
            }
            else if (roll < 88) node.TrimExcess();
            else if (roll < 89)
            {
                var copy = (DataInner)node.DeepClone();
                Assert.Equal(model.Select(Describe), copy.Children.ToArray().Select(Describe));
            }

            Assert.Equal(model.Count, node.ChildCount);
            if (step % 7 == 0) Assert.Equal(model, node.Children.ToArray());
            // Lookups: an entry that is there, and a key that is not.
            var entries = model.OfType<DataInner>().ToList();
            if (entries.Count > 0)
            {
                var e = entries[rng.Next(entries.Count)];
                var keys = e.KeyValues().Select(k => k!).ToList();
                Assert.Same(e, node.FindListEntry((ListSchema)e.Schema, keys));
            }
            var (list, probe) = RandomKeys(rng);
            var expected = model.OfType<DataInner>().FirstOrDefault(m => ReferenceEquals(m.Schema, list) && m.KeyValues().SequenceEqual(probe));
            Assert.Same(expected, node.FindListEntry(list, probe));
        }
    }

    [Fact]
    public void Children_across_chunk_boundaries_match_a_model_through_inserts_removals_and_replacements()
    {
        // Past ChildChunks.Size children a node keeps them in chunks: changes near and across the chunk edges.
        var rng = new Random(7);
        var node = new DataInner(Top);
        var model = new List<DataNode>();
        var size = 3 * ChildChunks.Size + 100;
        for (var i = 0; i < size; i++)
        {
            var e = Entry(One, $"n{i}");
            node.Add(e);
            model.Add(e);
        }
        Assert.Equal(model, node.Children.ToArray());
        var next = size;
        int Near() => rng.Next(4) switch
        {
            0 => rng.Next(model.Count + 1),
            1 => Math.Min(model.Count, ChildChunks.Size * rng.Next(1, 4) + rng.Next(-2, 3)), // at a chunk edge
            2 => 0,
            _ => model.Count,
        };
        for (var step = 0; step < 3000; step++)
        {
            var roll = rng.Next(10);
            if (roll < 4)
            {
                var at = Near();
                var e = Entry(One, $"n{next++}");
                node.Insert(at, e);
                model.Insert(at, e);
            }
            else if (roll < 8 && model.Count > 0)
            {
                var at = Math.Min(Near(), model.Count - 1);
                Assert.True(node.Remove(model[at]));
                model.RemoveAt(at);
            }
            else if (model.Count > 0)
            {
                var at = Math.Min(Near(), model.Count - 1);
                var e = Entry(One, $"n{next++}");
                node.ReplaceAt(at, e);
                model[at] = e;
            }
            Assert.Equal(model.Count, node.ChildCount);
            if (step % 100 == 0)
            {
                Assert.Equal(model, node.Children.ToArray());
                var probe = model[rng.Next(model.Count)];
                Assert.Equal(model.IndexOf(probe), node.IndexOf(probe));
                Assert.Same(probe, node.FindListEntry(One, [((DataInner)probe).KeyValues()[0]!]));
                Assert.Same(model[^1], node.Children[model.Count - 1]);
            }
        }
        node.TrimExcess();
        Assert.Equal(model, node.Children.ToArray());
        var enumerated = new List<DataNode>();
        foreach (var c in node.Children) enumerated.Add(c);
        Assert.Equal(model, enumerated);
        Assert.Equal(-1, node.IndexOf(Entry(One, "absent")));
        Assert.False(node.Remove(Entry(One, "absent")));
        Assert.Equal(model.Select(Describe), ((DataInner)node.DeepClone()).Children.ToArray().Select(Describe));
    }

    [Fact]
    public void A_large_node_emptied_and_trimmed_takes_children_again()
    {
        var node = new DataInner(Top);
        var entries = Enumerable.Range(0, 40).Select(i => Entry(One, $"e{i}")).ToList();
        foreach (var e in entries) node.Add(e);
        Assert.Same(entries[30], node.FindListEntry(One, ["e30"])); // indexed
        foreach (var e in entries) Assert.True(node.Remove(e));
        node.TrimExcess();
        Assert.Equal(0, node.ChildCount);
        var again = Enumerable.Range(0, 40).Select(i => Entry(One, $"f{i}")).ToList();
        foreach (var e in again) node.Add(e);
        Assert.Equal(again, node.Children.ToArray());
        Assert.Same(again[39], node.FindListEntry(One, ["f39"]));
        Assert.Null(node.FindListEntry(One, ["e30"]));
    }

    [Fact]
    public void A_node_with_one_child_keeps_it_through_every_operation()
    {
        // A node whose last instance had one child holds its first child without an array (a route's next-hop).
        var first = new DataInner(Top);
        first.Add(DataLeaf.Create(Child(Top, "note"), "x"));
        first.TrimExcess(); // the hint: one child
        var node = new DataInner(Top);
        var a = Entry(One, "a");
        node.Add(a);
        Assert.Equal(1, node.ChildCount);
        Assert.Same(a, node.Children[0]);
        Assert.Equal([a], node.Children.ToArray());
        Assert.Equal(0, node.IndexOf(a));
        Assert.Equal(-1, node.IndexOf(Entry(One, "z")));
        Assert.Same(a, node.FindListEntry(One, ["a"]));
        Assert.False(node.Remove(Entry(One, "a")));

        var b = Entry(One, "b");
        node.ReplaceAt(0, b);
        Assert.Null(a.Parent);
        Assert.Same(node, b.Parent);
        Assert.Equal([b], node.Children.ToArray());

        var c = Entry(One, "c");
        node.Insert(0, c); // a second child: an array again
        Assert.Equal([c, b], node.Children.ToArray());
        Assert.True(node.Remove(c));
        node.TrimExcess(); // back to one
        Assert.Equal([b], node.Children.ToArray());
        Assert.Equal(["b"], ((DataInner)node.DeepClone()).Children.ToArray().Select(e => ((DataInner)e).KeyValues()[0]));

        Assert.True(node.Remove(b));
        Assert.Null(b.Parent);
        Assert.Equal(0, node.ChildCount);
        Assert.Empty(node.Children.ToArray());
        node.Add(a);
        node.ClearChildren();
        Assert.Null(a.Parent);
        Assert.Equal(0, node.ChildCount);
    }

    [Fact]
    public void A_twin_entry_added_and_removed_leaves_the_first_found_in_small_and_indexed_nodes()
    {
        foreach (var size in new[] { 3, 50 })
        {
            var node = new DataInner(Top);
            for (var i = 0; i < size; i++) node.Add(Entry(One, $"e{i}"));
            node.FindListEntry(One, ["e0"]); // builds the index when the node is large
            var first = node.FindListEntry(One, ["e1"])!;
            var twin = Entry(One, "e1");
            node.Add(twin); // an edit being undone holds both for a moment
            Assert.Same(first, node.FindListEntry(One, ["e1"]));
            node.Remove(twin);
            Assert.Same(first, node.FindListEntry(One, ["e1"]));
            node.Remove(first);
            Assert.Null(node.FindListEntry(One, ["e1"]));
        }
    }

    [Fact]
    public void Entries_keyed_by_packed_prefixes_are_found_by_their_text_in_small_and_indexed_nodes()
    {
        foreach (var size in new[] { 3, 50 })
        {
            var node = new DataInner(Top);
            for (var i = 0; i < size; i++) node.Add(Entry(One, $"10.{i}.0.0/16"));
            Assert.IsType<PackedPrefixLeaf>(((DataInner)node.Children[0]).Children[0]);
            Assert.Same(node.Children[size - 1], node.FindListEntry(One, [$"10.{size - 1}.0.0/16"]));
            Assert.Same(node.Children[1], node.FindListEntry(One, ["10.1.0.0/16"]));
            Assert.Null(node.FindListEntry(One, ["10.1.0.0/17"]));
            Assert.Null(node.FindListEntry(One, ["10.1.0.0/1"]));
        }
    }

    private static SchemaNode Child(SchemaNode parent, string name)
    {
        foreach (var c in parent.DataChildren())
            if (c.Name == name) return c;
        throw new InvalidOperationException(name);
    }

    private static bool SameEntry(DataInner a, DataInner b) =>
        ReferenceEquals(a.Schema, b.Schema) && a.KeyValues().SequenceEqual(b.KeyValues());

    private static string Describe(DataNode n) => n is DataLeaf l ? $"{n.Name}={l.Value}" : $"{n.Name}[{string.Join(',', ((DataInner)n).KeyValues())}]";

    private static DataNode NewChild(Random rng) => rng.Next(10) switch
    {
        0 => DataLeaf.Create(Child(Top, "note"), "n" + rng.Next(5)),
        < 6 => Entry(One, "k" + rng.Next(4000)),
        _ => Entry(Two, "a" + rng.Next(60), rng.Next(50).ToString()),
    };

    private static (ListSchema, List<string>) RandomKeys(Random rng) => rng.Next(2) == 0
        ? (One, ["k" + rng.Next(4000)])
        : (Two, ["a" + rng.Next(60), rng.Next(50).ToString()]);

    private static DataInner Entry(ListSchema list, params string[] keys)
    {
        var e = new DataInner(list);
        for (var i = 0; i < keys.Length; i++) e.Add(DataLeaf.Create(list.Keys[i], keys[i]));
        return e;
    }
}
