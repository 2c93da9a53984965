using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>
/// Reads RFC 7951 JSON into a <see cref="DataRoot"/>: member names are <c>module:name</c> at the top and
/// wherever the module changes; 64-bit integers and decimal64 are strings; empty is <c>[null]</c>;
/// metadata objects (<c>"@"</c>, <c>"@name"</c>, RFC 7952) carry edit operations.
/// </summary>
/// <remarks>
/// The document is read token by token with a <see cref="Utf8JsonReader"/> straight into the tree (no DOM);
/// a stream is read in pooled chunks, so only the tree and one chunk are in memory. Malformed JSON anywhere
/// in the document is reported in preference to a data error found before it, as when the whole text was
/// parsed first: after a data error the rest of the document is still checked for well-formedness.
/// </remarks>
public static class JsonDataReader
{
    private const int ChunkSize = 64 * 1024;

    public static DataRoot Parse(SchemaContext ctx, string json, DataParseOptions? o = null) =>
        Parse(ctx, System.Text.Encoding.UTF8.GetBytes(json), o);

    public static DataRoot Parse(SchemaContext ctx, Stream s, DataParseOptions? o = null)
    {
        // The limit of the earlier reader, which held the whole document in one array, is kept as it was.
        var size = s.CanSeek ? s.Length - s.Position : 0;
        if (size > Array.MaxLength) throw TooBig();
        o ??= new DataParseOptions();
        using var input = new ChunkedInput(s);
        var r = input.Begin(ReaderOptions(o));
        return new Reader(ctx, o, default, input).Run(ref r);
    }

    public static DataRoot Parse(SchemaContext ctx, ReadOnlyMemory<byte> utf8, DataParseOptions? o = null)
    {
        o ??= new DataParseOptions();
        var r = new Utf8JsonReader(utf8.Span, isFinalBlock: true, new JsonReaderState(ReaderOptions(o)));
        return new Reader(ctx, o, utf8, null).Run(ref r);
    }

    private static JsonReaderOptions ReaderOptions(DataParseOptions o) =>
        new() { MaxDepth = o.MaxDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    private static DataException TooBig() =>
        new(new DataError(ErrorTag.TooBig, null, "the JSON document is too large", Type: ErrorType.Rpc));

    private static bool IsWrapperName(SchemaContext ctx, string name)
    {
        var colon = name.IndexOf(':');
        var local = colon < 0 ? name : name[(colon + 1)..];
        if (colon > 0 && ctx.GetModule(name[..colon]) is { } m && NodeBuilder.FindTop(ctx, m, local) is not null) return false;
        return local is "config" or "data" or "input" or "output";
    }

    private sealed class Reader
    {
        // Distinct member names kept per parse; a document with more (unknown members, not strict) allocates the rest.
        private const int MaxCachedNames = 4096;
        private const int MaxCachedValues = 256;
        private const int MaxCachedValueLength = 64;
        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        private readonly SchemaContext _ctx;
        private readonly DataParseOptions _o;
        private readonly ReadOnlyMemory<byte> _utf8;
        private readonly ChunkedInput? _input;
        private readonly DataRoot _root;
        private readonly bool _edit;
        private readonly ValueFormatter.ModuleNames _moduleNames;
        private readonly Dictionary<string, MemberName> _names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, MemberName>.AlternateLookup<ReadOnlySpan<char>> _nameLookup;
        private readonly Dictionary<YangModule, DefaultModule> _resolvers = new(ReferenceEqualityComparer.Instance);
        private DefaultModule? _lastResolver;
        private readonly Dictionary<SchemaNode, ValueCache> _valueCaches = new(ReferenceEqualityComparer.Instance);
        private readonly ValueInterner _values = new();

        // Edit documents: nodes added in the objects being read, whose "@name" metadata may still follow.
        private readonly List<PendingMark> _pending = [];

        public Reader(SchemaContext ctx, DataParseOptions o, ReadOnlyMemory<byte> utf8, ChunkedInput? input)
        {
            _ctx = ctx;
            _o = o;
            _utf8 = utf8;
            _input = input;
            _edit = o.Content == DataContent.Edit;
            _root = new DataRoot(ctx);
            if (_edit) _root.Edit = new EditMetadata();
            _moduleNames = new ValueFormatter.ModuleNames(ctx);
            _nameLookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public DataRoot Run(ref Utf8JsonReader r)
        {
            try
            {
                try
                {
                    ReadDocument(ref r);
                    NodeBuilder.Complete(_root);
                }
                catch (DataException)
                {
                    CheckRest(ref r);
                    throw;
                }
                catch (InvalidOperationException)
                {
                    // Text that is not UTF-8 in a name or value, found when it is decoded.
                    CheckRest(ref r);
                    throw;
                }
            }
            catch (JsonException e)
            {
                if (_input is not null) e = _input.ReadAgainToTheEnd(e);
                throw new DataException(new DataError(ErrorTag.MalformedMessage, null, $"malformed JSON at line {e.LineNumber + 1}: {e.Message}", Type: ErrorType.Rpc));
            }
            return _root;
        }

        /// <summary>Reads the document to its end; a JSON syntax error there is reported instead of the error at hand.</summary>
        private void CheckRest(ref Utf8JsonReader r)
        {
            while (Next(ref r)) { }
        }

        private void ReadDocument(ref Utf8JsonReader r)
        {
            if (!Next(ref r) || r.TokenType != JsonTokenType.StartObject)
                throw new DataException(new DataError(ErrorTag.MalformedMessage, null, "a JSON instance document must be an object"));
            CheckDepth(_root, 1);
            Next(ref r);
            if (r.TokenType == JsonTokenType.PropertyName)
            {
                var first = ReadName(ref r);
                if (first.IsMeta || !IsWrapperName(_ctx, first.Text))
                    ReadMembers(ref r, _root, _ctx.Root, null, 1, first, firstValueRead: false);
                else
                {
                    // A wrapper such as {"ietf-netconf:config": {...}} or {"ietf-restconf:data": {...}} holds the
                    // top-level nodes when it is the only member and an object.
                    Next(ref r);
                    if (r.TokenType != JsonTokenType.StartObject)
                        ReadMembers(ref r, _root, _ctx.Root, null, 1, first, firstValueRead: true);
                    else
                    {
                        ReadMembers(ref r, _root, _ctx.Root, null, 1);
                        Next(ref r);
                        if (r.TokenType == JsonTokenType.PropertyName)
                        {
                            // Not the only member, so not a wrapper: the object's members are the top-level nodes,
                            // and the first of them is refused or (not strict) skipped.
                            Resolve(first, null, _root, _ctx.Root, _ctx.Root);
                            _root.ClearChildren();
                            if (_edit) _root.Edit = new EditMetadata();
                            ReadMembers(ref r, _root, _ctx.Root, null, 1, ReadName(ref r), firstValueRead: false);
                        }
                    }
                }
            }
            // The rest may only be white space: this reads the input to its end.
            while (Next(ref r)) { }
        }

        /// <summary>
        /// Reads the members of an object up to its end (the reader is on its start, or on the name of
        /// <paramref name="first"/>, or on that member's value); returns its own <c>"@"</c> metadata in edits.
        /// </summary>
        private Meta? ReadMembers(ref Utf8JsonReader r, DataInner parent, SchemaNode parentSchema, YangModule? parentModule, int depth,
            MemberName? first = null, bool firstValueRead = false)
        {
            CheckDepth(parent, depth);
            var childSchemaParent = parentSchema is OperationSchema op ? (_o.Content == DataContent.RpcOutput ? op.Output : op.Input) : parentSchema;
            var frame = new Frame { PendingStart = _pending.Count };
            if (first is not null)
                ReadMember(ref r, first, firstValueRead, parent, parentSchema, childSchemaParent, parentModule, depth, ref frame);
            while (Next(ref r) && r.TokenType == JsonTokenType.PropertyName)
                ReadMember(ref r, ReadName(ref r), false, parent, parentSchema, childSchemaParent, parentModule, depth, ref frame);
            if (_edit) ApplyPending(ref frame);
            return frame.Own;
        }

        private void CheckDepth(DataInner parent, int depth)
        {
            if (depth > _o.MaxDepth)
                throw new DataException(new DataError(ErrorTag.MalformedMessage, DataPath.Of(parent), $"objects nested deeper than {_o.MaxDepth}"));
        }

        private void ReadMember(ref Utf8JsonReader r, MemberName name, bool valueRead, DataInner parent, SchemaNode parentSchema,
            SchemaNode childSchemaParent, YangModule? parentModule, int depth, ref Frame frame)
        {
            if (name.IsMeta)
            {
                if (!valueRead) Next(ref r);
                // Metadata only matters in edits; elsewhere it is skipped unread.
                if (!_edit) SkipValue(ref r);
                else if (name.Text.Length == 1) frame.Own = ReadMeta(ref r); // duplicates: the last one counts
                else (frame.Metas ??= new Dictionary<string, Meta>(StringComparer.Ordinal))[name.MetaTarget] = ReadMeta(ref r);
                return;
            }
            var schema = Resolve(name, parentModule, parent, parentSchema, childSchemaParent);
            if (!valueRead) Next(ref r);
            if (schema is null)
            {
                SkipValue(ref r);
                return;
            }
            NodeBuilder.CheckAllowed(schema, _o, parent);
            ReadValue(ref r, parent, schema, name.Text, depth);
        }

        /// <summary>The schema node of a member, or null when it is unknown and skipped (not strict).</summary>
        private SchemaNode? Resolve(MemberName name, YangModule? parentModule, DataInner parent, SchemaNode parentSchema, SchemaNode childSchemaParent)
        {
            SchemaNode? schema;
            if (name.LastScope is not null && ReferenceEquals(name.LastScope, childSchemaParent) && ReferenceEquals(name.LastParentModule, parentModule))
                schema = name.LastSchema;
            else
            {
                YangModule module;
                if (name.ModuleName is null)
                {
                    module = parentModule ?? throw new DataException(new DataError(ErrorTag.UnknownElement, "/" + name.Text,
                        $"top-level member \"{name.Text}\" must be qualified with its module name", BadElement: name.Text));
                }
                else
                {
                    if (!name.ModuleLooked)
                    {
                        name.Module = _ctx.GetModule(name.ModuleName);
                        name.ModuleLooked = true;
                    }
                    module = name.Module ?? throw new DataException(new DataError(ErrorTag.UnknownNamespace, DataPath.Of(parent) + "/" + name.Text,
                        $"unknown module \"{name.ModuleName}\"", BadElement: name.Text));
                }
                schema = parentSchema.Kind == SchemaNodeKind.Root
                    ? NodeBuilder.FindTop(_ctx, module, name.Local)
                    : childSchemaParent.FindDataChild(module, name.Local);
                name.LastScope = childSchemaParent;
                name.LastParentModule = parentModule;
                name.LastSchema = schema;
            }
            if (schema is null)
            {
                if (!_o.Strict) return null;
                throw new DataException(new DataError(ErrorTag.UnknownElement, DataPath.Of(parent) + "/" + name.Text,
                    $"unknown member \"{name.Text}\"", BadElement: name.Local));
            }
            return schema;
        }

        /// <summary>Reads the value the reader is on (its first token).</summary>
        private void ReadValue(ref Utf8JsonReader r, DataInner parent, SchemaNode schema, string member, int depth)
        {
            // Built only when an error needs it: computing paths per value would dominate parsing.
            var path = new LazyPath(parent, schema);
            switch (schema.Kind)
            {
                case SchemaNodeKind.Leaf:
                    AddWithSiblingMeta(parent, ReadLeaf(ref r, schema, ((LeafSchema)schema).Type, path), member, -1);
                    break;
                case SchemaNodeKind.LeafList:
                    if (r.TokenType != JsonTokenType.StartArray) throw Bad(path, schema, "a leaf-list must be a JSON array");
                    var itemType = ((LeafListSchema)schema).Type;
                    for (var i = 0; Next(ref r) && r.TokenType != JsonTokenType.EndArray; i++)
                        AddWithSiblingMeta(parent, ReadLeaf(ref r, schema, itemType, path), member, i);
                    break;
                case SchemaNodeKind.List:
                    if (r.TokenType != JsonTokenType.StartArray) throw Bad(path, schema, "a list must be a JSON array of objects");
                    while (Next(ref r) && r.TokenType != JsonTokenType.EndArray)
                    {
                        if (r.TokenType != JsonTokenType.StartObject) throw Bad(path, schema, "a list entry must be a JSON object");
                        var e = DataInner.Create(schema);
                        e.Parent = parent;
                        var own = ReadMembers(ref r, e, schema, schema.Module, depth + 1);
                        NodeBuilder.Complete(e);
                        Add(parent, e, own);
                    }
                    break;
                case SchemaNodeKind.AnyData or SchemaNodeKind.AnyXml:
                    AddWithSiblingMeta(parent, new DataAny(schema, new AnyValue(null, ReadRawValue(ref r))), member, -1);
                    break;
                default:
                    if (r.TokenType != JsonTokenType.StartObject) throw Bad(path, schema, $"\"{schema.Name}\" must be a JSON object");
                    var inner = DataInner.Create(schema);
                    inner.Parent = parent;
                    var im = ReadMembers(ref r, inner, schema, schema.Module, depth + 1);
                    NodeBuilder.Complete(inner);
                    // Its own "@" metadata counts before an "@name" beside it.
                    if (im is not null) Add(parent, inner, im);
                    else AddWithSiblingMeta(parent, inner, member, -1);
                    break;
            }
        }

        /// <summary>Adds a node with the metadata found inside it (a list entry's or container's <c>"@"</c>).</summary>
        private void Add(DataInner parent, DataNode node, Meta? meta)
        {
            if (meta is { Kind: JsonTokenType.StartObject }) _root.Edit!.Set(node, ReadMark(meta, node, added: false));
            NodeBuilder.AddChecked(parent, node, _o);
        }

        /// <summary>
        /// Adds a node whose <c>"@member"</c> metadata may come before or after it: the mark is read at the end of the
        /// object, so a bad attribute there is reported after other errors in the rest of that object.
        /// </summary>
        private void AddWithSiblingMeta(DataInner parent, DataNode node, string member, int index)
        {
            if (_edit) _pending.Add(new PendingMark(member, node, index));
            NodeBuilder.AddChecked(parent, node, _o);
        }

        private void ApplyPending(ref Frame frame)
        {
            if (frame.Metas is { } metas)
            {
                for (var i = frame.PendingStart; i < _pending.Count; i++)
                {
                    var p = _pending[i];
                    if (!metas.TryGetValue(p.Member, out var meta)) continue;
                    // A leaf-list's metadata is an array with one object per entry, by position.
                    var mark = p.Index < 0 ? meta
                        : meta.Kind == JsonTokenType.StartArray && p.Index < meta.Items!.Length ? meta.Items[p.Index] : null;
                    if (mark is { Kind: JsonTokenType.StartObject }) _root.Edit!.Set(p.Node, ReadMark(mark, p.Node, added: true));
                }
            }
            CollectionsMarshal.SetCount(_pending, frame.PendingStart);
        }

        /// <summary>Reads a metadata value (the reader is on its first token), keeping only what edits use.</summary>
        private Meta ReadMeta(ref Utf8JsonReader r)
        {
            switch (r.TokenType)
            {
                case JsonTokenType.StartObject:
                    return new Meta(JsonTokenType.StartObject, ReadMarkProperties(ref r), null);
                case JsonTokenType.StartArray:
                    var items = new List<Meta?>();
                    while (Next(ref r) && r.TokenType != JsonTokenType.EndArray)
                    {
                        if (r.TokenType == JsonTokenType.StartObject) items.Add(new Meta(JsonTokenType.StartObject, ReadMarkProperties(ref r), null));
                        else
                        {
                            SkipValue(ref r);
                            items.Add(null);
                        }
                    }
                    return new Meta(JsonTokenType.StartArray, null, [.. items]);
                default:
                    return new Meta(r.TokenType, null, null);
            }
        }

        private List<MarkPart> ReadMarkProperties(ref Utf8JsonReader r)
        {
            var props = new List<MarkPart>(2);
            while (Next(ref r) && r.TokenType == JsonTokenType.PropertyName)
            {
                var name = r.ValueTextEquals("ietf-netconf:operation"u8) ? MarkProperty.Operation
                    : r.ValueTextEquals("yang:insert"u8) ? MarkProperty.Insert
                    : r.ValueTextEquals("yang:key"u8) || r.ValueTextEquals("yang:value"u8) ? MarkProperty.Anchor
                    : MarkProperty.Other;
                var nameError = DecodeError(ref r);
                Next(ref r);
                string? v = null;
                Exception? error = null;
                if (r.TokenType != JsonTokenType.String) SkipValue(ref r);
                else if ((error = DecodeError(ref r)) is null && name != MarkProperty.Other) v = r.GetString();
                // Text that is not UTF-8 fails when the mark is read, as it did when every member was decoded then.
                if ((error ??= nameError) is not null) props.Add(new MarkPart(MarkProperty.Other, null, error));
                else if (name != MarkProperty.Other) props.Add(new MarkPart(name, v, null));
            }
            return props;
        }

        /// <summary>Why the name or string the reader is on cannot be decoded to a string, or null.</summary>
        private static InvalidOperationException? DecodeError(ref Utf8JsonReader r)
        {
            if (!r.ValueIsEscaped)
                return Utf8.IsValid(r.ValueSpan) ? null : new InvalidOperationException("Cannot transcode invalid UTF-8 JSON text to UTF-16 string.");
            try
            {
                r.GetString();
                return null;
            }
            catch (InvalidOperationException e)
            {
                return e;
            }
        }

        /// <param name="added">The node is in its parent already: an error names it as it was before (leaves by themselves).</param>
        private static EditMark ReadMark(Meta meta, DataNode node, bool added)
        {
            var op = EditOperation.Inherit;
            InsertPosition? insert = null;
            string? anchor = null;
            foreach (var (name, v, error) in meta.Properties!)
            {
                if (error is not null) ExceptionDispatchInfo.Throw(error);
                switch (name)
                {
                    case MarkProperty.Operation:
                        op = v switch
                        {
                            "merge" => EditOperation.Merge, "replace" => EditOperation.Replace, "create" => EditOperation.Create,
                            "delete" => EditOperation.Delete, "remove" => EditOperation.Remove, "none" => EditOperation.None,
                            _ => throw new DataException(new DataError(ErrorTag.BadAttribute, MarkPath(node, added), $"invalid operation \"{v}\"", Type: ErrorType.Protocol)),
                        };
                        break;
                    case MarkProperty.Insert:
                        insert = v switch
                        {
                            "first" => InsertPosition.First, "last" => InsertPosition.Last,
                            "before" => InsertPosition.Before, "after" => InsertPosition.After,
                            _ => throw new DataException(new DataError(ErrorTag.BadAttribute, MarkPath(node, added), $"invalid insert \"{v}\"", Type: ErrorType.Protocol)),
                        };
                        break;
                    case MarkProperty.Anchor:
                        anchor = v;
                        break;
                }
            }
            return new EditMark(op, insert, anchor);
        }

        // Marks used to be read before the node was added: a leaf or anydata node had no parent in its path yet.
        private static string MarkPath(DataNode node, bool added) => added && node is not DataInner ? node.DeepClone().Path : node.Path;

        private DataLeaf ReadLeaf(ref Utf8JsonReader r, SchemaNode schema, YangType type, LazyPath path)
        {
            string text;
            ValueCache? cache = null;
            switch (r.TokenType)
            {
                case JsonTokenType.String:
                    if (TryCachedValue(ref r, schema, type, out cache, out var cachedString))
                    {
                        if (!AcceptsString(type)) throw Bad(path, schema, $"a value of type {type.Name} must not be a JSON string");
                        return DataLeaf.Create(schema, cachedString);
                    }
                    if (!AcceptsString(type)) throw Bad(path, schema, $"a value of type {type.Name} must not be a JSON string");
                    text = ReadString(ref r, schema, type, out var packed);
                    if (packed is not null) return packed;
                    break;
                case JsonTokenType.Number:
                    if (TryCachedValue(ref r, schema, type, out cache, out var cachedNumber))
                    {
                        if (!AcceptsNumber(type)) throw Bad(path, schema, $"a value of type {type.Name} must be a JSON string, not a number");
                        return DataLeaf.Create(schema, cachedNumber);
                    }
                    text = System.Text.Encoding.UTF8.GetString(r.ValueSpan); // never escaped, always ASCII
                    if (!AcceptsNumber(type)) throw Bad(path, schema, $"a value of type {type.Name} must be a JSON string, not a number");
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    text = r.TokenType == JsonTokenType.True ? "true" : "false";
                    if (!AcceptsKind(type, BuiltinType.Boolean)) throw Bad(path, schema, $"a value of type {type.Name} must not be a JSON boolean");
                    break;
                case JsonTokenType.StartArray:
                    if (!Next(ref r) || r.TokenType != JsonTokenType.Null || !Next(ref r) || r.TokenType != JsonTokenType.EndArray)
                        throw Bad(path, schema, $"invalid JSON value for \"{schema.Name}\"");
                    text = "";
                    if (!AcceptsKind(type, BuiltinType.Empty)) throw Bad(path, schema, "[null] is only valid for type empty");
                    break;
                default:
                    throw Bad(path, schema, $"invalid JSON value for \"{schema.Name}\"");
            }
            if (_o.CanonicalValues)
            {
                if (cache is not null && cache.Count < MaxCachedValues) cache.TryAdd(text, text);
                return DataLeaf.Create(schema, _values.Intern(text));
            }
            if (!ValueParser.TryParse(type, text, Resolver(schema.Module), out var canonical, out var error))
                throw new DataException(new DataError(ErrorTag.InvalidValue, path.ToString(), $"invalid value \"{text}\" of \"{schema.Name}\": {error}", BadElement: schema.Name));
            if (cache is not null && cache.Count < MaxCachedValues) cache.TryAdd(text, canonical);
            return DataLeaf.Create(schema, _values.Intern(canonical));
        }

        /// <summary>
        /// Values of types whose canonical form is a shared string (identities, enums, integers) repeat across list
        /// entries: the canonical value of a text already parsed for this schema node is reused, without a string for the text.
        /// </summary>
        [SkipLocalsInit]
        private bool TryCachedValue(ref Utf8JsonReader r, SchemaNode schema, YangType type, out ValueCache? cache, [NotNullWhen(true)] out string? canonical)
        {
            cache = null;
            canonical = null;
            if (type.Kind is not (BuiltinType.Identityref or BuiltinType.Enumeration or BuiltinType.Int8 or BuiltinType.Int16 or BuiltinType.Int32
                or BuiltinType.Int64 or BuiltinType.Uint8 or BuiltinType.Uint16 or BuiltinType.Uint32 or BuiltinType.Uint64))
                return false;
            var utf8 = r.ValueSpan;
            if (r.ValueIsEscaped || utf8.Length > MaxCachedValueLength) return false;
            Span<char> chars = stackalloc char[MaxCachedValueLength];
            // Text that is not UTF-8 takes the ordinary way, which reports it.
            if (Utf8.ToUtf16(utf8, chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done) return false;
            if (!_valueCaches.TryGetValue(schema, out cache)) _valueCaches.Add(schema, cache = new ValueCache());
            return cache.Lookup.TryGetValue(chars[..written], out canonical);
        }

        // A string value: one seen before (ValueInterner) without a string made for it (a next hop repeated on every
        // route), else a new one; escaped, long or invalid text takes GetString (which reports invalid UTF-8). An IPv4
        // or IPv6 prefix valid as written (a route's key) comes back as a packed leaf instead, with no string at all.
        private string ReadString(ref Utf8JsonReader r, SchemaNode schema, YangType type, out DataLeaf? packed)
        {
            packed = null;
            if (r.ValueIsEscaped || r.HasValueSequence || r.ValueSpan.Length > MaxInternedLength) return r.GetString()!;
            Span<char> chars = stackalloc char[MaxInternedLength];
            if (Utf8.ToUtf16(r.ValueSpan, chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done) return r.GetString()!;
            packed = DataLeaf.TryCreatePacked(schema, type, chars[..written]);
            return packed is null ? _values.Intern(chars[..written]) : "";
        }

        private const int MaxInternedLength = 64;

        private DefaultModule Resolver(YangModule module)
        {
            if (_lastResolver is { } last && ReferenceEquals(last.Module, module)) return last;
            if (!_resolvers.TryGetValue(module, out var resolver)) _resolvers.Add(module, resolver = new DefaultModule(_moduleNames, module));
            return _lastResolver = resolver;
        }

        /// <summary>The JSON text of the value the reader is on, as written (anydata / anyxml).</summary>
        private string ReadRawValue(ref Utf8JsonReader r)
        {
            var start = (_input?.Start ?? 0) + (int)r.TokenStartIndex;
            if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (_input is null) r.Skip();
                else
                {
                    // The chunks keep the value's bytes while it is read.
                    _input.Pin = start;
                    try
                    {
                        SkipContainer(ref r);
                    }
                    finally
                    {
                        start = _input.Pin;
                        _input.Pin = -1;
                    }
                }
            }
            var end = (_input?.Start ?? 0) + (int)r.BytesConsumed;
            var bytes = _input is null ? _utf8.Span : _input.Buffer;
            try
            {
                return StrictUtf8.GetString(bytes[start..end]);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidOperationException("Cannot transcode invalid UTF-8 JSON text to UTF-16 string.", e);
            }
        }

        /// <summary>Skips the value the reader is on (its first token).</summary>
        private void SkipValue(ref Utf8JsonReader r)
        {
            if (r.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
            if (_input is null) r.Skip();
            else SkipContainer(ref r);
        }

        private void SkipContainer(ref Utf8JsonReader r)
        {
            var depth = r.CurrentDepth;
            while (Next(ref r) && r.CurrentDepth > depth) { }
        }

        /// <summary>A member name, looked up in the names seen before so that each distinct name is decoded to a string once.</summary>
        [SkipLocalsInit]
        private MemberName ReadName(ref Utf8JsonReader r)
        {
            // Readers here always read one contiguous span; unescaped, a name has at most as many chars as bytes.
            var length = r.ValueSpan.Length;
            char[]? rented = null;
            Span<char> chars = length <= 128 ? stackalloc char[128] : (rented = ArrayPool<char>.Shared.Rent(length));
            try
            {
                var text = chars[..r.CopyString(chars)];
                if (_nameLookup.TryGetValue(text, out var name)) return name;
                name = new MemberName(text.ToString());
                if (_names.Count < MaxCachedNames) _names.Add(name.Text, name);
                return name;
            }
            finally
            {
                if (rented is not null) ArrayPool<char>.Shared.Return(rented);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Next(ref Utf8JsonReader r) => r.Read() || (_input is not null && NextChunk(ref r));

        private bool NextChunk(ref Utf8JsonReader r)
        {
            while (!r.IsFinalBlock)
            {
                _input!.Refill(ref r);
                if (r.Read()) return true;
            }
            return false;
        }

        private static bool AcceptsNumber(YangType t) => t.Kind switch
        {
            BuiltinType.Int8 or BuiltinType.Int16 or BuiltinType.Int32 or BuiltinType.Uint8 or BuiltinType.Uint16 or BuiltinType.Uint32 => true,
            BuiltinType.Union => t.UnionMembers.Any(AcceptsNumber),
            BuiltinType.Leafref => t.LeafrefTarget is LeafSchema { Type: var lt } ? AcceptsNumber(lt) : t.LeafrefTarget is LeafListSchema { Type: var llt } && AcceptsNumber(llt),
            _ => false,
        };

        private static bool AcceptsString(YangType t) => t.Kind switch
        {
            BuiltinType.Int8 or BuiltinType.Int16 or BuiltinType.Int32 or BuiltinType.Uint8 or BuiltinType.Uint16 or BuiltinType.Uint32
                or BuiltinType.Boolean or BuiltinType.Empty => false,
            BuiltinType.Union => t.UnionMembers.Any(AcceptsString),
            BuiltinType.Leafref => t.LeafrefTarget is LeafSchema { Type: var lt } ? AcceptsString(lt) : t.LeafrefTarget is not LeafListSchema { Type: var llt } || AcceptsString(llt),
            _ => true,
        };

        private static bool AcceptsKind(YangType t, BuiltinType kind) => t.Kind == kind
            || (t.Kind == BuiltinType.Union && t.UnionMembers.Any(m => AcceptsKind(m, kind)))
            || (t.Kind == BuiltinType.Leafref && t.LeafrefTarget switch { LeafSchema l => AcceptsKind(l.Type, kind), LeafListSchema ll => AcceptsKind(ll.Type, kind), _ => false });

        private static DataException Bad(LazyPath path, SchemaNode schema, string message) =>
            new(new DataError(ErrorTag.InvalidValue, path.ToString(), message, BadElement: schema.Name));
    }

    /// <summary>Canonical values by their text, for one schema node.</summary>
    private sealed class ValueCache : Dictionary<string, string>
    {
        public ValueCache() : base(StringComparer.Ordinal)
        {
            Lookup = GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public AlternateLookup<ReadOnlySpan<char>> Lookup { get; }
    }

    /// <summary>What one object being read has collected: its own metadata, its members' metadata, where its added nodes start.</summary>
    private struct Frame
    {
        public int PendingStart;
        public Meta? Own;
        public Dictionary<string, Meta>? Metas;
    }

    private readonly record struct PendingMark(string Member, DataNode Node, int Index);

    private enum MarkProperty { Other, Operation, Insert, Anchor }

    /// <summary>
    /// A metadata value: an object (<see cref="Properties"/>, the edit attributes in order), an array of them
    /// (<see cref="Items"/>, null where an item is not an object), or another JSON value (ignored).
    /// </summary>
    private sealed record Meta(JsonTokenType Kind, List<MarkPart>? Properties, Meta?[]? Items);

    /// <summary>An edit attribute of a metadata object, or (<see cref="Error"/>) a member whose text could not be decoded.</summary>
    private readonly record struct MarkPart(MarkProperty Name, string? Value, Exception? Error);

    /// <summary>A distinct member name of the document, split once, with the schema node it named last.</summary>
    private sealed class MemberName
    {
        public MemberName(string text)
        {
            Text = text;
            IsMeta = text.StartsWith('@');
            var colon = text.IndexOf(':');
            ModuleName = colon < 0 ? null : text[..colon];
            Local = colon < 0 ? text : text[(colon + 1)..];
            MetaTarget = IsMeta ? text[1..] : "";
        }

        public string Text { get; }

        public bool IsMeta { get; }

        /// <summary>For <c>"@name"</c>: the member it annotates.</summary>
        public string MetaTarget { get; }

        public string? ModuleName { get; }

        public string Local { get; }

        public YangModule? Module { get; set; }

        public bool ModuleLooked { get; set; }

        public SchemaNode? LastScope { get; set; }

        public YangModule? LastParentModule { get; set; }

        public SchemaNode? LastSchema { get; set; }
    }

    /// <summary>
    /// A stream read in pooled chunks: the reader is rebuilt over the unread rest of a chunk plus what the stream
    /// gives next, carrying its <see cref="JsonReaderState"/>; a token longer than the buffer grows it.
    /// </summary>
    private sealed class ChunkedInput(Stream stream) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        private int _end;
        private bool _final;
        private JsonReaderState _startState;

        public byte[] Buffer => _buffer;

        /// <summary>Where the current reader's span begins in <see cref="Buffer"/>.</summary>
        public int Start { get; private set; }

        /// <summary>A position in <see cref="Buffer"/> from which bytes are kept (moved with them), or -1.</summary>
        public int Pin { get; set; } = -1;

        public Utf8JsonReader Begin(JsonReaderOptions options)
        {
            Fill();
            _startState = new JsonReaderState(options);
            return new Utf8JsonReader(_buffer.AsSpan(0, _end), _final, _startState);
        }

        /// <summary>Keeps the bytes the reader has not consumed (and any pinned ones), reads more, and rebuilds the reader.</summary>
        public void Refill(ref Utf8JsonReader r)
        {
            var consumed = Start + (int)r.BytesConsumed;
            var keep = Pin >= 0 ? Math.Min(Pin, consumed) : consumed;
            var kept = _end - keep;
            if (kept == _buffer.Length)
            {
                if (!TryGrow()) throw TooBig();
            }
            MoveToFront(keep);
            Start = consumed - keep;
            if (Pin >= 0) Pin -= keep;
            Fill();
            _startState = r.CurrentState;
            r = new Utf8JsonReader(_buffer.AsSpan(Start, _end - Start), _final, _startState);
        }

        /// <summary>
        /// The reader's error for the whole rest of the document: a reader on a chunk quotes only that chunk in some
        /// messages, so the current reader's input is read again, with all the stream has left, as the final block.
        /// </summary>
        public JsonException ReadAgainToTheEnd(JsonException e)
        {
            MoveToFront(Start);
            Start = 0;
            while (!_final)
            {
                if (_end == _buffer.Length && !TryGrow()) return e;
                Fill();
            }
            var r = new Utf8JsonReader(_buffer.AsSpan(0, _end), isFinalBlock: true, _startState);
            try
            {
                while (r.Read()) { }
            }
            catch (JsonException again)
            {
                return again;
            }
            return e;
        }

        private void MoveToFront(int from)
        {
            if (from > 0) _buffer.AsSpan(from, _end - from).CopyTo(_buffer);
            _end -= from;
        }

        private bool TryGrow()
        {
            if (_buffer.Length >= Array.MaxLength) return false;
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * _buffer.Length, Array.MaxLength));
            _buffer.AsSpan(0, _end).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            _buffer = bigger;
            return true;
        }

        private void Fill()
        {
            var n = stream.Read(_buffer.AsSpan(_end));
            if (n == 0) _final = true;
            else _end += n;
        }

        public void Dispose()
        {
            // Configuration may hold secrets: the pool gets the buffer back cleared.
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            _buffer = [];
        }
    }

    private readonly record struct LazyPath(DataInner Parent, SchemaNode Schema)
    {
        public override string ToString() => DataPath.Of(Parent) + "/" + Schema.Name;
    }

    /// <summary>JSON prefixes are module names; an unprefixed identity belongs to the leaf's module (RFC 7951 §6.8).</summary>
    private sealed class DefaultModule(ValueFormatter.ModuleNames names, YangModule module) : IPrefixResolver
    {
        public YangModule Module => module;

        public YangModule? Resolve(string? prefix) => string.IsNullOrEmpty(prefix) ? module : names.Resolve(prefix);
    }
}
