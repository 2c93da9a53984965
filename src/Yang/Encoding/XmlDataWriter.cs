using System.Xml;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>
/// Writes data trees as XML: list keys first, then the other children in schema order; the default
/// namespace changes where the module changes; RFC 6243 with-defaults modes.
/// </summary>
public static class XmlDataWriter
{
    public const string WithDefaultsNs = "urn:ietf:params:xml:ns:netconf:default:1.0";

    public static string ToString(DataInner tree, DataWriteOptions? o = null)
    {
        var sw = new StringWriter();
        Write(tree, sw, o);
        return sw.ToString();
    }

    public static void Write(DataInner tree, TextWriter w, DataWriteOptions? o = null)
    {
        o ??= new DataWriteOptions();
        var settings = new XmlWriterSettings
        {
            Indent = o.Indent,
            IndentChars = "  ",
            OmitXmlDeclaration = true,
            ConformanceLevel = ConformanceLevel.Fragment,
            NewLineHandling = NewLineHandling.Entitize,
        };
        using var x = XmlWriter.Create(w, settings);
        Write(tree, x, o);
    }

    /// <summary>Writes the tree (a root's top-level nodes, or one node) into an open writer, e.g. inside a NETCONF &lt;data&gt;.</summary>
    public static void Write(DataInner tree, XmlWriter x, DataWriteOptions? o = null)
    {
        o ??= new DataWriteOptions();
        var writer = new Writer(x, o, ContextOf(tree));
        if (tree is DataRoot)
            foreach (var c in Ordered(tree)) writer.WriteNode(c, null);
        else
            writer.WriteNode(tree, null);
    }

    /// <summary>Writes a node's children only (e.g. an rpc's output leaves directly inside &lt;rpc-reply&gt;, RFC 7950 §7.14.4).</summary>
    public static void WriteChildren(DataInner parent, XmlWriter x, DataWriteOptions? o = null)
    {
        o ??= new DataWriteOptions();
        var writer = new Writer(x, o, ContextOf(parent));
        foreach (var c in Ordered(parent)) writer.WriteNode(c, null);
    }

    internal static SchemaContext ContextOf(DataNode n)
    {
        var top = n;
        while (top.Parent is not null) top = top.Parent;
        return top is DataRoot r ? r.Context : throw new ArgumentException("the node is not in a data tree");
    }

    /// <summary>Children in output order: list keys first, then by schema position (instances keep their order).</summary>
    internal static IEnumerable<DataNode> Ordered(DataInner parent)
    {
        var children = parent.Children;
        if (children.Count < 2) return children;
        var schemaOrder = SchemaOrder(parent.Schema);
        var arr = children.ToArray();
        var index = new int[arr.Length];
        for (var i = 0; i < arr.Length; i++)
            index[i] = schemaOrder.TryGetValue(arr[i].Schema, out var p) ? p : int.MaxValue;
        var order = Enumerable.Range(0, arr.Length).ToArray();
        // Stable: equal schema positions (list/leaf-list entries) keep their instance order.
        Array.Sort(order, (a, b) => index[a] != index[b] ? index[a].CompareTo(index[b]) : a.CompareTo(b));
        var result = new DataNode[arr.Length];
        for (var i = 0; i < order.Length; i++) result[i] = arr[order[i]];
        return result;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SchemaNode, Dictionary<SchemaNode, int>> OrderCache = [];

    private static Dictionary<SchemaNode, int> SchemaOrder(SchemaNode schema) =>
        OrderCache.GetValue(schema, s =>
        {
            var d = new Dictionary<SchemaNode, int>(ReferenceEqualityComparer.Instance);
            var i = 0;
            if (s is ListSchema ls) foreach (var k in ls.Keys) d[k] = i++;
            if (s is OperationSchema op)
            {
                foreach (var c in op.Input.DataChildren()) d.TryAdd(c, i++);
                foreach (var c in op.Output.DataChildren()) d.TryAdd(c, i++);
            }
            else
            {
                foreach (var c in s.DataChildren()) d.TryAdd(c, i++);
            }
            return d;
        });

    /// <summary>True when a node is printed under the with-defaults mode.</summary>
    internal static bool Visible(DataNode n, DataWriteOptions o)
    {
        if (o.ConfigOnly && !n.Schema.Config) return false;
        if (o.Marks is { } marks && marks.Has(n)) return true;
        if (n is DataLeaf leaf)
        {
            return o.WithDefaults switch
            {
                WithDefaultsMode.Explicit => !leaf.IsDefault,
                WithDefaultsMode.Trim => !IsDefaultValue(leaf),
                _ => true,
            };
        }
        if (n is DataInner inner && n.Schema is ContainerSchema { IsPresence: false })
        {
            // A non-presence container is printed only when something inside it is.
            foreach (var c in inner.Children)
                if (Visible(c, o)) return true;
            return false;
        }
        return true;
    }

    internal static bool IsDefaultValue(DataLeaf leaf) => leaf.IsDefault || leaf.Schema switch
    {
        LeafSchema l => l.Default is not null && l.Default == leaf.Value,
        _ => false,
    };

    /// <summary>The ietf-origin namespace (RFC 8342), for the origin annotation of the operational datastore.</summary>
    public const string OriginNs = "urn:ietf:params:xml:ns:yang:ietf-origin";

    private sealed class Writer(XmlWriter x, DataWriteOptions o, SchemaContext ctx)
    {
        public void WriteNode(DataNode n, YangModule? parentModule, string? parentOrigin = null)
        {
            if (!Visible(n, o)) return;
            var module = n.Module;
            // The writer declares xmlns="..." itself wherever the namespace changes.
            x.WriteStartElement(n.Name, module.Namespace);
            if (o.Marks?.Get(n).Operation is { } op and not EditOperation.Inherit)
                x.WriteAttributeString("nc", "operation", XmlDataReader.NetconfNs, op.ToString().ToLowerInvariant());
            // RFC 8342 §5.3.4: a configuration node's origin, written where it differs from its parent's.
            var origin = o.WithOrigin && n.Schema.Config ? (n.IsDefault ? "or:default" : "or:intended") : null;
            if (origin is not null && origin != parentOrigin) x.WriteAttributeString("or", "origin", OriginNs, origin);
            switch (n)
            {
                case DataLeaf leaf:
                    if (o.WithDefaults == WithDefaultsMode.ReportAllTagged && IsDefaultValue(leaf))
                        x.WriteAttributeString("wd", "default", WithDefaultsNs, "true");
                    var text = ValueFormatter.ToXml(leaf.Type, leaf.Value, ctx, m => Declare(m));
                    x.WriteString(text);
                    break;
                case DataAny any:
                    if (any.Value.Xml is { } xml) x.WriteRaw(xml);
                    else if (any.Value.Json is { } json) x.WriteString(json);
                    break;
                case DataInner inner:
                    foreach (var c in Ordered(inner)) WriteNode(c, module, origin);
                    break;
            }
            x.WriteEndElement();
        }

        /// <summary>Binds the module's own prefix to its namespace on the current element when not yet in scope.</summary>
        private string Declare(YangModule m)
        {
            var existing = x.LookupPrefix(m.Namespace);
            if (!string.IsNullOrEmpty(existing)) return existing;
            x.WriteAttributeString("xmlns", m.Prefix, null, m.Namespace);
            return m.Prefix;
        }
    }
}
