using System.Xml;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>
/// Reads XML instance data (RFC 7950 §7 encoding: element names are node names, namespaces are module
/// namespaces) into a <see cref="DataRoot"/>. Accepts a bare top-level element, a fragment of several, or
/// a wrapper such as <c>&lt;config&gt;</c>/<c>&lt;data&gt;</c> in any namespace. DTDs are refused.
/// </summary>
public static class XmlDataReader
{
    public const string NetconfNs = "urn:ietf:params:xml:ns:netconf:base:1.0";
    public const string YangNs = "urn:ietf:params:xml:ns:yang:1";

    public static DataRoot Parse(SchemaContext ctx, string xml, DataParseOptions? o = null) =>
        Parse(ctx, new StringReader(xml), o);

    public static DataRoot Parse(SchemaContext ctx, Stream s, DataParseOptions? o = null) =>
        Parse(ctx, new StreamReader(s), o);

    public static DataRoot Parse(SchemaContext ctx, TextReader text, DataParseOptions? o = null)
    {
        o ??= new DataParseOptions();
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            ConformanceLevel = ConformanceLevel.Fragment,
            NameTable = new NameTable(),
        };
        var root = new DataRoot(ctx);
        if (o.Content == DataContent.Edit) root.Edit = new EditMetadata();
        try
        {
            using var reader = XmlReader.Create(text, settings);
            var state = new State(ctx, reader, o, root);
            state.ReadDocument();
            NodeBuilder.Complete(root);
        }
        catch (XmlException e)
        {
            throw new DataException(new DataError(ErrorTag.MalformedMessage, null, $"malformed XML at line {e.LineNumber}, column {e.LinePosition}: {e.Message}", Type: ErrorType.Rpc));
        }
        return root;
    }

    private sealed class State(SchemaContext ctx, XmlReader reader, DataParseOptions o, DataRoot root) : IPrefixResolver
    {
        public void ReadDocument()
        {
            var sawElement = false;
            reader.Read();
            while (!reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.Element)
                {
                    sawElement = true;
                    if (IsWrapper())
                    {
                        if (reader.IsEmptyElement) { reader.Read(); continue; }
                        ReadContent(null, null, 0);
                    }
                    else
                    {
                        ReadTop();
                    }
                }
                else
                {
                    CheckText();
                    reader.Read();
                }
            }
            if (!sawElement && o.Strict && o.Content is DataContent.RpcInput or DataContent.RpcOutput or DataContent.Notification)
                throw new DataException(new DataError(ErrorTag.MissingElement, null, "the document holds no element"));
        }

        /// <summary>
        /// Reads the content of the (non-empty) element under the cursor: each child element as a child of
        /// <paramref name="inner"/> (bound to <paramref name="childSchema"/>), or as a top-level node when
        /// <paramref name="inner"/> is null (a wrapper). Leaves the cursor after the end tag.
        /// </summary>
        private void ReadContent(DataInner? inner, SchemaNode? childSchema, int depth)
        {
            var owner = inner?.Schema.Name;
            var d = reader.Depth;
            reader.Read();
            while (!reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == d)
                {
                    reader.Read();
                    return;
                }
                if (reader.NodeType == XmlNodeType.Element)
                {
                    if (inner is null) ReadTop();
                    else ReadChild(inner, childSchema!, depth);
                    continue;
                }
                if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA && !string.IsNullOrWhiteSpace(reader.Value))
                {
                    if (owner is null) CheckText();
                    else throw new DataException(new DataError(ErrorTag.BadElement, inner is null ? null : DataPath.Of(inner), $"\"{owner}\" cannot hold text", BadElement: owner));
                }
                reader.Read();
            }
        }

        private void CheckText()
        {
            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA && !string.IsNullOrWhiteSpace(reader.Value))
                throw new DataException(new DataError(ErrorTag.MalformedMessage, null, "unexpected text outside any element"));
        }

        /// <summary>A wrapper element (config, data, ...) is one whose name is no top-level node of its namespace.</summary>
        private bool IsWrapper()
        {
            var module = ctx.GetModuleByNamespace(reader.NamespaceURI);
            if (module is not null && NodeBuilder.FindTop(ctx, module, reader.LocalName) is not null) return false;
            return reader.LocalName is "config" or "data" or "input" or "output";
        }

        private void ReadTop()
        {
            var module = ctx.GetModuleByNamespace(reader.NamespaceURI);
            if (module is null)
            {
                if (!o.Strict) { reader.Skip(); return; }
                throw new DataException(new DataError(ErrorTag.UnknownNamespace, "/" + reader.LocalName,
                    $"unknown namespace \"{reader.NamespaceURI}\" of element \"{reader.LocalName}\"", Type: ErrorType.Protocol, BadElement: reader.LocalName));
            }
            var schema = NodeBuilder.FindTop(ctx, module, reader.LocalName);
            if (schema is null || (schema.Kind is SchemaNodeKind.Rpc or SchemaNodeKind.Notification) != o.Content is DataContent.RpcInput or DataContent.RpcOutput or DataContent.Notification)
            {
                if (!o.Strict) { reader.Skip(); return; }
                throw new DataException(new DataError(ErrorTag.UnknownElement, $"/{module.Name}:{reader.LocalName}",
                    $"unknown element \"{reader.LocalName}\" in module {module.Name}", Type: ErrorType.Application, BadElement: reader.LocalName));
            }
            ReadNode(root, schema, 1);
        }

        /// <summary>Reads the element under the cursor (bound to <paramref name="schema"/>) and adds it to <paramref name="parent"/>.</summary>
        private void ReadNode(DataInner parent, SchemaNode schema, int depth)
        {
            if (depth > o.MaxDepth)
                throw new DataException(new DataError(ErrorTag.MalformedMessage, DataPath.Of(parent), $"elements nested deeper than {o.MaxDepth}"));
            NodeBuilder.CheckAllowed(schema, o, parent);
            var mark = o.Content == DataContent.Edit ? ReadEditAttributes(parent, schema) : default;
            DataNode node;
            switch (schema.Kind)
            {
                case SchemaNodeKind.Leaf or SchemaNodeKind.LeafList:
                    // A leaf is deleted by its name alone (<mtu nc:operation="delete"/>): there is no value to check.
                    node = schema.Kind == SchemaNodeKind.Leaf && mark.Operation is EditOperation.Delete or EditOperation.Remove && reader.IsEmptyElement
                        ? SkipEmptyLeaf(schema)
                        : ReadLeaf(parent, schema);
                    break;
                case SchemaNodeKind.AnyData or SchemaNodeKind.AnyXml:
                    if (reader.IsEmptyElement)
                    {
                        node = new DataAny(schema, new AnyValue("", null));
                        reader.Read();
                    }
                    else
                    {
                        node = new DataAny(schema, new AnyValue(reader.ReadInnerXml(), null));
                    }
                    break;
                default:
                    // Linked to its parent early (not yet a child) so that error paths are complete.
                    var inner = DataInner.Create(schema);
                    inner.Parent = parent;
                    // Children are looked up in the input/output of an rpc or action.
                    var childSchema = schema is OperationSchema op ? (o.Content == DataContent.RpcOutput ? op.Output : op.Input) : schema;
                    if (reader.IsEmptyElement) reader.Read();
                    else ReadContent(inner, childSchema, depth);
                    NodeBuilder.Complete(inner);
                    node = inner;
                    break;
            }
            if (mark.Operation != EditOperation.Inherit || mark.Insert is not null) root.Edit!.Set(node, mark);
            NodeBuilder.AddChecked(parent, node, o);
        }

        private void ReadChild(DataInner parent, SchemaNode parentSchema, int depth)
        {
            var ns = reader.NamespaceURI;
            YangModule? module;
            // Namespace strings are atomized by the reader's name table: a reference check hits almost always.
            if (ReferenceEquals(ns, _lastNs)) module = _lastModule;
            else
            {
                module = ns.Length == 0 ? null : ctx.GetModuleByNamespace(ns);
                _lastNs = ns;
                _lastModule = module;
            }
            var schema = module is null ? null : parentSchema.FindDataChild(module, reader.LocalName);
            if (schema is null)
            {
                if (!o.Strict) { reader.Skip(); return; }
                var tag = module is null ? ErrorTag.UnknownNamespace : ErrorTag.UnknownElement;
                throw new DataException(new DataError(tag, DataPath.Of(parent) + "/" + (module is null ? "" : module.Name + ":") + reader.LocalName,
                    module is null ? $"unknown namespace \"{ns}\" of element \"{reader.LocalName}\"" : $"unknown element \"{reader.LocalName}\" under \"{parentSchema.Name}\"",
                    BadElement: reader.LocalName));
            }
            ReadNode(parent, schema, depth + 1);
        }

        private readonly ValueInterner _values = new();
        private string? _lastNs;
        private YangModule? _lastModule;

        private DataLeaf ReadLeaf(DataInner parent, SchemaNode schema)
        {
            var type = schema is LeafSchema l ? l.Type : ((LeafListSchema)schema).Type;
            string text;
            if (reader.IsEmptyElement)
            {
                text = "";
                reader.Read();
            }
            else
            {
                // Resolve value prefixes against the leaf element's namespace scope before reading on.
                // Namespaces declared on the leaf itself go out of scope once its content is read.
                _scopeSnapshot = reader.HasAttributes ? CaptureScope() : null;
                var chars = ReadLeafText();
                if (DataLeaf.TryCreatePacked(schema, type, chars) is { } packed)
                {
                    _scopeSnapshot = null;
                    return packed;
                }
                text = _values.Intern(chars);
            }
            if (!ValueParser.TryParse(type, text, _scopeSnapshot ?? (IPrefixResolver)this, out var canonical, out var error))
            {
                _scopeSnapshot = null;
                throw new DataException(new DataError(ErrorTag.InvalidValue, DataPath.Of(parent) + "/" + schema.Name, $"invalid value \"{Truncate(text)}\" of \"{schema.Name}\": {error}", BadElement: schema.Name));
            }
            _scopeSnapshot = null;
            return DataLeaf.Create(schema, _values.Intern(canonical));
        }

        private char[] _text = new char[256];

        // A leaf element's text (its text, CDATA and white-space nodes, joined), the reader left after its end tag:
        // ReadElementContentAsString without a string per value (the caller interns from the buffer).
        private ReadOnlySpan<char> ReadLeafText()
        {
            var name = reader.LocalName;
            reader.Read();
            var length = 0;
            while (true)
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                        if (reader.CanReadValueChunk)
                        {
                            int n;
                            while ((n = reader.ReadValueChunk(_text, length, _text.Length - length)) > 0)
                                if ((length += n) == _text.Length) Array.Resize(ref _text, _text.Length * 2);
                        }
                        else
                        {
                            var value = reader.Value;
                            if (length + value.Length > _text.Length) Array.Resize(ref _text, Math.Max(_text.Length * 2, length + value.Length));
                            value.CopyTo(_text.AsSpan(length));
                            length += value.Length;
                        }
                        reader.Read();
                        break;
                    case XmlNodeType.Comment or XmlNodeType.ProcessingInstruction:
                        reader.Read();
                        break;
                    case XmlNodeType.EndElement:
                        reader.Read();
                        return _text.AsSpan(0, length);
                    default:
                        throw new XmlException($"leaf element \"{name}\" has element content", null, ((IXmlLineInfo)reader).LineNumber, ((IXmlLineInfo)reader).LinePosition);
                }
            }
        }

        private DataLeaf SkipEmptyLeaf(SchemaNode schema)
        {
            reader.Read();
            return DataLeaf.Create(schema, "");
        }

        private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

        private ScopeSnapshot? _scopeSnapshot;

        private ScopeSnapshot CaptureScope()
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (reader is IXmlNamespaceResolver r)
                foreach (var (prefix, ns) in r.GetNamespacesInScope(XmlNamespaceScope.All)) map[prefix] = ns;
            return new ScopeSnapshot(ctx, map);
        }

        /// <summary>Prefix resolution at the current element (used when the leaf declared no namespaces itself).</summary>
        public YangModule? Resolve(string? prefix)
        {
            var ns = reader.LookupNamespace(prefix ?? "");
            return ns is null ? null : ctx.GetModuleByNamespace(ns);
        }

        private EditMark ReadEditAttributes(DataInner parent, SchemaNode schema)
        {
            var op = EditOperation.Inherit;
            InsertPosition? insert = null;
            string? anchor = null;
            var opText = reader.GetAttribute("operation", NetconfNs);
            if (opText is not null)
            {
                op = opText switch
                {
                    "merge" => EditOperation.Merge,
                    "replace" => EditOperation.Replace,
                    "create" => EditOperation.Create,
                    "delete" => EditOperation.Delete,
                    "remove" => EditOperation.Remove,
                    "none" => EditOperation.None,
                    _ => throw new DataException(new DataError(ErrorTag.BadAttribute, DataPath.Of(parent) + "/" + schema.Name,
                        $"invalid operation \"{opText}\"", Type: ErrorType.Protocol, BadElement: schema.Name)),
                };
            }
            var insertText = reader.GetAttribute("insert", YangNs);
            if (insertText is not null)
            {
                insert = insertText switch
                {
                    "first" => InsertPosition.First,
                    "last" => InsertPosition.Last,
                    "before" => InsertPosition.Before,
                    "after" => InsertPosition.After,
                    _ => throw new DataException(new DataError(ErrorTag.BadAttribute, DataPath.Of(parent) + "/" + schema.Name,
                        $"invalid insert \"{insertText}\"", Type: ErrorType.Protocol, BadElement: schema.Name)),
                };
                anchor = reader.GetAttribute(schema.Kind == SchemaNodeKind.List ? "key" : "value", YangNs);
                if (insert is InsertPosition.Before or InsertPosition.After && anchor is null)
                    throw new DataException(new DataError(ErrorTag.MissingAttribute, DataPath.Of(parent) + "/" + schema.Name,
                        $"insert=\"{insertText}\" needs a {(schema.Kind == SchemaNodeKind.List ? "key" : "value")} attribute", Type: ErrorType.Protocol, BadElement: schema.Name));
            }
            return new EditMark(op, insert, anchor);
        }
    }

    private sealed class ScopeSnapshot(SchemaContext ctx, Dictionary<string, string> map) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) =>
            map.TryGetValue(prefix ?? "", out var ns) ? ctx.GetModuleByNamespace(ns) : null;
    }
}
