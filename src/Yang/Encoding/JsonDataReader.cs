using System.Text.Json;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>
/// Reads RFC 7951 JSON into a <see cref="DataRoot"/>: member names are <c>module:name</c> at the top and
/// wherever the module changes; 64-bit integers and decimal64 are strings; empty is <c>[null]</c>;
/// metadata objects (<c>"@"</c>, <c>"@name"</c>, RFC 7952) carry edit operations.
/// </summary>
public static class JsonDataReader
{
    public static DataRoot Parse(SchemaContext ctx, string json, DataParseOptions? o = null) =>
        Parse(ctx, System.Text.Encoding.UTF8.GetBytes(json), o);

    public static DataRoot Parse(SchemaContext ctx, Stream s, DataParseOptions? o = null)
    {
        // The DOM needs the whole document; its buffer is used in place (no second copy).
        var size = s.CanSeek ? s.Length - s.Position : 0;
        if (size > Array.MaxLength)
            throw new DataException(new DataError(ErrorTag.TooBig, null, "the JSON document is too large", Type: ErrorType.Rpc));
        using var ms = new MemoryStream((int)Math.Max(0, size));
        s.CopyTo(ms);
        return Parse(ctx, ms.GetBuffer().AsMemory(0, (int)ms.Length), o);
    }

    public static DataRoot Parse(SchemaContext ctx, ReadOnlyMemory<byte> utf8, DataParseOptions? o = null)
    {
        o ??= new DataParseOptions();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = o.MaxDepth, AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new DataException(new DataError(ErrorTag.MalformedMessage, null, $"malformed JSON at line {e.LineNumber + 1}: {e.Message}", Type: ErrorType.Rpc));
        }
        using (doc)
        {
            var root = new DataRoot(ctx);
            if (o.Content == DataContent.Edit) root.Edit = new EditMetadata();
            var top = doc.RootElement;
            if (top.ValueKind != JsonValueKind.Object)
                throw new DataException(new DataError(ErrorTag.MalformedMessage, null, "a JSON instance document must be an object"));
            // A wrapper such as {"ietf-netconf:config": {...}} or {"ietf-restconf:data": {...}} holds the top-level nodes.
            if (top.EnumerateObject().Count() == 1 && top.EnumerateObject().First() is var only
                && only.Value.ValueKind == JsonValueKind.Object && IsWrapperName(ctx, only.Name))
                top = only.Value;
            new Reader(ctx, o, root).ReadMembers(top, root, ctx.Root, null, 1);
            return root;
        }
    }

    private static bool IsWrapperName(SchemaContext ctx, string name)
    {
        var colon = name.IndexOf(':');
        var local = colon < 0 ? name : name[(colon + 1)..];
        if (colon > 0 && ctx.GetModule(name[..colon]) is { } m && NodeBuilder.FindTop(ctx, m, local) is not null) return false;
        return local is "config" or "data" or "input" or "output";
    }

    private sealed class Reader(SchemaContext ctx, DataParseOptions o, DataRoot root)
    {
        private readonly ValueFormatter.ModuleNames _moduleNames = new(ctx);

        public void ReadMembers(JsonElement obj, DataInner parent, SchemaNode parentSchema, YangModule? parentModule, int depth)
        {
            if (depth > o.MaxDepth)
                throw new DataException(new DataError(ErrorTag.MalformedMessage, DataPath.Of(parent), $"objects nested deeper than {o.MaxDepth}"));
            var childSchemaParent = parentSchema is OperationSchema op ? (o.Content == DataContent.RpcOutput ? op.Output : op.Input) : parentSchema;
            // Metadata ("@name" members) only matters in edits; elsewhere it is skipped unread.
            var edit = o.Content == DataContent.Edit;
            foreach (var member in obj.EnumerateObject())
            {
                var memberName = member.Name;
                if (memberName.StartsWith('@')) continue; // metadata, read with its node
                var (module, name) = Split(memberName, parentModule, parent);
                SchemaNode? schema = parentSchema.Kind == SchemaNodeKind.Root
                    ? NodeBuilder.FindTop(ctx, module, name)
                    : childSchemaParent.FindDataChild(module, name);
                if (schema is null)
                {
                    if (!o.Strict) continue;
                    throw new DataException(new DataError(ErrorTag.UnknownElement, DataPath.Of(parent) + "/" + memberName,
                        $"unknown member \"{memberName}\"", BadElement: name));
                }
                NodeBuilder.CheckAllowed(schema, o, parent);
                var meta = edit && obj.TryGetProperty("@" + memberName, out var m) ? m : default;
                ReadValue(member.Value, parent, schema, meta, depth);
            }
        }

        private (YangModule Module, string Name) Split(string memberName, YangModule? parentModule, DataInner parent)
        {
            var colon = memberName.IndexOf(':');
            if (colon < 0)
            {
                if (parentModule is null)
                    throw new DataException(new DataError(ErrorTag.UnknownElement, "/" + memberName,
                        $"top-level member \"{memberName}\" must be qualified with its module name", BadElement: memberName));
                return (parentModule, memberName);
            }
            var moduleName = memberName[..colon];
            var module = ctx.GetModule(moduleName)
                ?? throw new DataException(new DataError(ErrorTag.UnknownNamespace, DataPath.Of(parent) + "/" + memberName,
                    $"unknown module \"{moduleName}\"", BadElement: memberName));
            return (module, memberName[(colon + 1)..]);
        }

        private void ReadValue(JsonElement value, DataInner parent, SchemaNode schema, JsonElement meta, int depth)
        {
            // Built only when an error needs it: computing paths per value would dominate parsing.
            var path = new LazyPath(parent, schema);
            switch (schema.Kind)
            {
                case SchemaNodeKind.Leaf:
                    Add(parent, ReadLeaf(value, schema, ((LeafSchema)schema).Type, path), meta);
                    break;
                case SchemaNodeKind.LeafList:
                    if (value.ValueKind != JsonValueKind.Array) throw Bad(path, schema, "a leaf-list must be a JSON array");
                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        var itemMeta = meta.ValueKind == JsonValueKind.Array && i < meta.GetArrayLength() ? meta[i] : default;
                        Add(parent, ReadLeaf(item, schema, ((LeafListSchema)schema).Type, path), itemMeta);
                        i++;
                    }
                    break;
                case SchemaNodeKind.List:
                    if (value.ValueKind != JsonValueKind.Array) throw Bad(path, schema, "a list must be a JSON array of objects");
                    foreach (var entry in value.EnumerateArray())
                    {
                        if (entry.ValueKind != JsonValueKind.Object) throw Bad(path, schema, "a list entry must be a JSON object");
                        var e = new DataInner(schema) { Parent = parent };
                        ReadMembers(entry, e, schema, schema.Module, depth + 1);
                        e.TrimExcess();
                        Add(parent, e, o.Content == DataContent.Edit && entry.TryGetProperty("@", out var em) ? em : default);
                    }
                    break;
                case SchemaNodeKind.AnyData or SchemaNodeKind.AnyXml:
                    Add(parent, new DataAny(schema, new AnyValue(null, value.GetRawText())), meta);
                    break;
                default:
                    if (value.ValueKind != JsonValueKind.Object) throw Bad(path, schema, $"\"{schema.Name}\" must be a JSON object");
                    var inner = new DataInner(schema) { Parent = parent };
                    ReadMembers(value, inner, schema, schema.Module, depth + 1);
                    inner.TrimExcess();
                    Add(parent, inner, o.Content == DataContent.Edit && value.TryGetProperty("@", out var im) ? im : meta);
                    break;
            }
        }

        private void Add(DataInner parent, DataNode node, JsonElement meta)
        {
            if (o.Content == DataContent.Edit && meta.ValueKind == JsonValueKind.Object) root.Edit!.Set(node, ReadMark(meta, node));
            NodeBuilder.AddChecked(parent, node, o);
        }

        private static EditMark ReadMark(JsonElement meta, DataNode node)
        {
            var op = EditOperation.Inherit;
            InsertPosition? insert = null;
            string? anchor = null;
            foreach (var p in meta.EnumerateObject())
            {
                var v = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                switch (p.Name)
                {
                    case "ietf-netconf:operation":
                        op = v switch
                        {
                            "merge" => EditOperation.Merge, "replace" => EditOperation.Replace, "create" => EditOperation.Create,
                            "delete" => EditOperation.Delete, "remove" => EditOperation.Remove, "none" => EditOperation.None,
                            _ => throw new DataException(new DataError(ErrorTag.BadAttribute, node.Path, $"invalid operation \"{v}\"", Type: ErrorType.Protocol)),
                        };
                        break;
                    case "yang:insert":
                        insert = v switch
                        {
                            "first" => InsertPosition.First, "last" => InsertPosition.Last,
                            "before" => InsertPosition.Before, "after" => InsertPosition.After,
                            _ => throw new DataException(new DataError(ErrorTag.BadAttribute, node.Path, $"invalid insert \"{v}\"", Type: ErrorType.Protocol)),
                        };
                        break;
                    case "yang:key" or "yang:value":
                        anchor = v;
                        break;
                }
            }
            return new EditMark(op, insert, anchor);
        }

        private DataLeaf ReadLeaf(JsonElement v, SchemaNode schema, YangType type, LazyPath path)
        {
            string text;
            switch (v.ValueKind)
            {
                case JsonValueKind.String:
                    text = v.GetString()!;
                    if (!AcceptsString(type)) throw Bad(path, schema, $"a value of type {type.Name} must not be a JSON string");
                    break;
                case JsonValueKind.Number:
                    text = v.GetRawText();
                    if (!AcceptsNumber(type)) throw Bad(path, schema, $"a value of type {type.Name} must be a JSON string, not a number");
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    text = v.ValueKind == JsonValueKind.True ? "true" : "false";
                    if (!AcceptsKind(type, BuiltinType.Boolean)) throw Bad(path, schema, $"a value of type {type.Name} must not be a JSON boolean");
                    break;
                case JsonValueKind.Array when v.GetArrayLength() == 1 && v[0].ValueKind == JsonValueKind.Null:
                    text = "";
                    if (!AcceptsKind(type, BuiltinType.Empty)) throw Bad(path, schema, "[null] is only valid for type empty");
                    break;
                default:
                    throw Bad(path, schema, $"invalid JSON value for \"{schema.Name}\"");
            }
            if (!ValueParser.TryParse(type, text, new DefaultModule(_moduleNames, schema.Module), out var canonical, out var error))
                throw new DataException(new DataError(ErrorTag.InvalidValue, path.ToString(), $"invalid value \"{text}\" of \"{schema.Name}\": {error}", BadElement: schema.Name));
            return new DataLeaf(schema, canonical);
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

    private readonly record struct LazyPath(DataInner Parent, SchemaNode Schema)
    {
        public override string ToString() => DataPath.Of(Parent) + "/" + Schema.Name;
    }

    /// <summary>JSON prefixes are module names; an unprefixed identity belongs to the leaf's module (RFC 7951 §6.8).</summary>
    private sealed class DefaultModule(ValueFormatter.ModuleNames names, YangModule module) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) => string.IsNullOrEmpty(prefix) ? module : names.Resolve(prefix);
    }
}
