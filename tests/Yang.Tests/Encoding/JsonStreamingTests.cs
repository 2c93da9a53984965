using System.Text;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Tests.Editing;

namespace Mgmt.Yang.Tests.Encoding;

/// <summary>
/// The JSON reader on a stream (read in chunks, tokens split anywhere) gives exactly what it gives on the whole
/// buffer, takes RFC 7952 metadata before or after its member, and does not hold the document in memory.
/// </summary>
public sealed class JsonStreamingTests
{
    private static readonly DataParseOptions Config = new(DataContent.Config);

    private static readonly DataParseOptions Edit = new(DataContent.Edit);

    private static string Doc(string name) => File.ReadAllText(Path.Combine(CorpusLocator.RepoRoot, "tests", "Yang.Tests", "Encoding", "docs", name));

    /// <summary>A stream that is not seekable and gives 1 to <c>maxRead</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int seed, int maxRead = 7) : Stream
    {
        private readonly Random _random = new(seed);
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(buffer.Length, _random.Next(1, maxRead + 1)), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static DataError ErrorOf(Action parse) => Assert.Throws<DataException>(parse).Errors[0];

    [Theory]
    [InlineData("interfaces.xml")]
    [InlineData("routing.xml")]
    [InlineData("acl.xml")]
    [InlineData("nat.xml")]
    public void A_stream_giving_a_few_bytes_per_read_gives_the_tree_of_the_whole_buffer(string name)
    {
        var ctx = RoundTripTests.Served.Value;
        var tree = XmlDataReader.Parse(ctx, Doc(name), Config);
        foreach (var indent in new[] { true, false })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(JsonDataWriter.ToString(tree, new DataWriteOptions(Indent: indent)));
            var expected = XmlDataWriter.ToString(JsonDataReader.Parse(ctx, bytes.AsMemory(), Config));
            Assert.Equal(XmlDataWriter.ToString(tree), expected);
            for (var seed = 0; seed < 5; seed++)
                Assert.Equal(expected, XmlDataWriter.ToString(JsonDataReader.Parse(ctx, new TrickleStream(bytes, seed), Config)));
        }
    }

    [Theory]
    [InlineData("\"mtu\": 1500", "\"mtu\": 70000")]
    [InlineData("\"mtu\": 1500", "\"mtu\": 15x00")]
    [InlineData("\"enabled\": true", "\"enabled\": tru")]
    [InlineData("\"name\": \"lo\"", "\"name\": \"eth0\"")]
    [InlineData("\"ietf-ip:ipv4\": {", "\"ietf-ip:ipv4\": [")]
    [InlineData("\"ietf-interfaces:interfaces\"", "\"interfaces\"")]
    public void A_stream_reports_the_errors_of_the_whole_buffer(string from, string to)
    {
        var ctx = RoundTripTests.Served.Value;
        var json = JsonDataWriter.ToString(XmlDataReader.Parse(ctx, Doc("interfaces.xml"), Config));
        Assert.Contains(from, json);
        var bytes = System.Text.Encoding.UTF8.GetBytes(json.Replace(from, to, StringComparison.Ordinal));
        var expected = ErrorOf(() => JsonDataReader.Parse(ctx, bytes.AsMemory(), Config));
        for (var seed = 0; seed < 5; seed++)
            Assert.Equal(expected, ErrorOf(() => JsonDataReader.Parse(ctx, new TrickleStream(bytes, seed), Config)));
        // Cut anywhere, the document is malformed, with the same message either way.
        for (var cut = 1; cut < bytes.Length; cut += 97)
        {
            var part = bytes[..cut];
            var e = ErrorOf(() => JsonDataReader.Parse(ctx, part.AsMemory(), Config));
            Assert.Equal(ErrorTag.MalformedMessage, e.Tag);
            Assert.StartsWith("malformed JSON at line ", e.Message, StringComparison.Ordinal);
            Assert.Equal(e, ErrorOf(() => JsonDataReader.Parse(ctx, new TrickleStream(part, cut), Config)));
        }
    }

    [Fact]
    public void Anyxml_keeps_its_json_text_as_written_when_it_spans_many_chunks()
    {
        var big = new StringBuilder("{ \"rows\" : [");
        for (var i = 0; i < 20_000; i++) big.Append(i == 0 ? "" : " , ").Append("{\"k\": \"v\\u0041 ").Append(i).Append("\", \"n\": [1, 2.5e3, true, null]}");
        big.Append("] }");
        foreach (var value in new[] { big.ToString(), "\"text\"", "-1.5e3", "[ ]" })
        {
            var json = "{\"ietf-netconf-monitoring:get-schema\": {\"data\": " + value + "}}";
            var bytes = System.Text.Encoding.UTF8.GetBytes(json);
            var options = new DataParseOptions(DataContent.RpcOutput);
            foreach (var tree in new[] { JsonDataReader.Parse(RoundTripTests.Served.Value, bytes.AsMemory(), options), JsonDataReader.Parse(RoundTripTests.Served.Value, new TrickleStream(bytes, 1, 4096), options) })
            {
                var any = (DataAny)((DataInner)tree.Children[0]).Children[0];
                Assert.Equal(value, any.Value.Json);
            }
        }
    }

    private const string MetadataBefore = """
        {"ed:top": {
          "@": {"ietf-netconf:operation": "merge"},
          "@name": {"ietf-netconf:operation": "replace"},
          "name": "n",
          "@tags": [{"ietf-netconf:operation": "delete"}, {"ietf-netconf:operation": "create", "yang:insert": "before", "yang:value": "a"}],
          "tags": ["a", "b"],
          "item": [
            {"@": {"ietf-netconf:operation": "remove"}, "id": 1},
            {"@": {"yang:insert": "after", "yang:key": "[id='1']"}, "id": 2, "label": "x"}
          ]
        }}
        """;

    private const string MetadataAfter = """
        {"ed:top": {
          "name": "n",
          "@name": {"ietf-netconf:operation": "replace"},
          "tags": ["a", "b"],
          "@tags": [{"ietf-netconf:operation": "delete"}, {"ietf-netconf:operation": "create", "yang:insert": "before", "yang:value": "a"}],
          "item": [
            {"id": 1, "@": {"ietf-netconf:operation": "remove"}},
            {"id": 2, "label": "x", "@": {"yang:insert": "after", "yang:key": "[id='1']"}}
          ],
          "@": {"ietf-netconf:operation": "merge"}
        }}
        """;

    private static IEnumerable<DataRoot> ParseBothWays(string json, DataParseOptions options)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        yield return JsonDataReader.Parse(TestSchema.Context.Value, bytes.AsMemory(), options);
        for (var seed = 0; seed < 3; seed++)
            yield return JsonDataReader.Parse(TestSchema.Context.Value, new TrickleStream(bytes, seed), options);
    }

    [Fact]
    public void Edit_metadata_before_or_after_its_member_marks_the_same_nodes()
    {
        string? expected = null;
        foreach (var json in new[] { MetadataBefore, MetadataAfter })
        {
            foreach (var tree in ParseBothWays(json, Edit))
            {
                var marks = tree.Edit!;
                var top = (DataInner)tree.Children[0];
                DataNode Child(string name, int nth = 0) => top.Children.Where(c => c.Name == name).ElementAt(nth);
                Assert.Equal(new EditMark(EditOperation.Merge), marks.Get(top));
                Assert.Equal(new EditMark(EditOperation.Replace), marks.Get(Child("name")));
                Assert.Equal(new EditMark(EditOperation.Delete), marks.Get(Child("tags")));
                Assert.Equal(new EditMark(EditOperation.Create, InsertPosition.Before, "a"), marks.Get(Child("tags", 1)));
                Assert.Equal(new EditMark(EditOperation.Remove), marks.Get(Child("item")));
                Assert.Equal(new EditMark(EditOperation.Inherit, InsertPosition.After, "[id='1']"), marks.Get(Child("item", 1)));
                Assert.Equal(6, marks.Count);
                var xml = XmlDataWriter.ToString(tree, new DataWriteOptions(Indent: false) { Marks = marks });
                expected ??= xml;
                Assert.Equal(expected, xml);
            }
        }
    }

    [Fact]
    public void Metadata_is_ignored_outside_edits()
    {
        foreach (var json in new[] { MetadataBefore, MetadataAfter.Replace("replace", "bogus", StringComparison.Ordinal) })
            foreach (var tree in ParseBothWays(json, Config))
            {
                Assert.Null(tree.Edit);
                Assert.Equal(9, Count(tree) - 1); // top, name, 2 tags, 2 items with 2 ids and a label
            }

        static int Count(DataNode n) => 1 + (n is DataInner i ? i.Children.Sum(Count) : 0);
    }

    [Theory]
    [InlineData("\"@name\": {\"ietf-netconf:operation\": \"bogus\"}, \"name\": \"n\"", "\"name\": \"n\", \"@name\": {\"ietf-netconf:operation\": \"bogus\"}")]
    [InlineData("\"@tags\": [{}, {\"yang:insert\": \"sideways\"}], \"tags\": [\"a\", \"b\"]", "\"tags\": [\"a\", \"b\"], \"@tags\": [{}, {\"yang:insert\": \"sideways\"}]")]
    [InlineData("\"item\": [{\"@\": {\"ietf-netconf:operation\": \"bogus\"}, \"id\": 1}]", "\"item\": [{\"id\": 1, \"@\": {\"ietf-netconf:operation\": \"bogus\"}}]")]
    public void A_bad_edit_attribute_is_reported_alike_before_or_after_its_member(string before, string after)
    {
        var expected = ErrorOf(() => JsonDataReader.Parse(TestSchema.Context.Value, "{\"ed:top\": {" + before + "}}", Edit));
        Assert.Equal(ErrorTag.BadAttribute, expected.Tag);
        Assert.Equal(ErrorType.Protocol, expected.Type);
        foreach (var json in new[] { before, after })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes("{\"ed:top\": {" + json + "}}");
            Assert.Equal(expected, ErrorOf(() => JsonDataReader.Parse(TestSchema.Context.Value, bytes.AsMemory(), Edit)));
            Assert.Equal(expected, ErrorOf(() => JsonDataReader.Parse(TestSchema.Context.Value, new TrickleStream(bytes, 3), Edit)));
        }
    }

    private static byte[] GenerateInterfaces(int size)
    {
        var sb = new StringBuilder("{\n  \"ietf-interfaces:interfaces\": {\n    \"interface\": [\n");
        for (var i = 0; sb.Length < size; i++)
        {
            if (i > 0) sb.Append(",\n");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $$"""
                      {
                        "name": "eth{{i}}",
                        "description": "port {{i}}: uplink to the distribution switch in rack {{i % 40}}",
                        "type": "iana-if-type:ethernetCsmacd",
                        "enabled": true,
                        "ietf-ip:ipv4": {
                          "mtu": 1500,
                          "address": [
                            {
                              "ip": "10.{{i / 65536 % 256}}.{{i / 256 % 256}}.{{i % 256}}",
                              "prefix-length": 24
                            }
                          ]
                        }
                      }
                """);
        }
        sb.Append("\n    ]\n  }\n}\n");
        return System.Text.Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Fact]
    public void A_large_document_on_a_stream_costs_its_tree_and_not_a_copy_of_itself()
    {
        // A context of its own: parses elsewhere change the schema's child-count hints, and so what a parse allocates.
        var ctx = SchemaContextBuilder.FromDirectory(Path.Combine(CorpusLocator.RepoRoot, "yang"));
        var bytes = GenerateInterfaces(5 << 20);
        JsonDataReader.Parse(ctx, bytes.AsMemory(), Config); // warm-up: schema caches, patterns, JIT

        var start = GC.GetAllocatedBytesForCurrentThread();
        var fromBuffer = JsonDataReader.Parse(ctx, bytes.AsMemory(), Config);
        var middle = GC.GetAllocatedBytesForCurrentThread();
        var fromStream = JsonDataReader.Parse(ctx, new TrickleStream(bytes, 0, 8192), Config);
        var end = GC.GetAllocatedBytesForCurrentThread();

        var entries = ((DataInner)fromStream.Children[0]).ChildCount;
        Assert.True(entries > 10_000, $"{entries} entries");
        Assert.Equal(entries, ((DataInner)fromBuffer.Children[0]).ChildCount);
        var streamBytes = end - middle;
        var bufferBytes = middle - start;
        // The tree itself costs about 2.5 times the text here; the DOM-based reader allocated over 6 times.
        Assert.True(streamBytes < 3L * bytes.Length, $"the stream parse allocated {streamBytes:N0} bytes for a {bytes.Length:N0}-byte document");
        // Beyond the tree, reading from the stream costs next to nothing: no copy of the document (that alone would be its size).
        Assert.True(streamBytes - bufferBytes < bytes.Length / 10, $"stream {streamBytes:N0} bytes, buffer {bufferBytes:N0} bytes");
    }

    [Fact]
    public void A_seekable_stream_is_read_from_its_position_to_its_end()
    {
        var json = "xxxx{\"ietf-interfaces:interfaces\": {}}"u8.ToArray();
        using var stream = new MemoryStream(json);
        stream.Position = 4;
        var tree = JsonDataReader.Parse(RoundTripTests.Served.Value, stream, Config);
        Assert.Equal(SchemaNodeKind.Container, tree.Children[0].Schema.Kind);
        Assert.Equal(json.Length, stream.Position);
    }
}
