using System.Xml.Linq;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// The :xpath capability (RFC 6241 §8.9): <c>&lt;filter type="xpath" select="..."/&gt;</c>. The expression's
/// prefixes are the namespace declarations in scope at the filter element; it must select nodes. The reply
/// holds every selected node with its subtree, inside copies of its ancestors (list entries with their keys).
/// </summary>
public static class XPathFilter
{
    public static DataRoot Apply(DataRoot source, XElement filter)
    {
        var select = filter.Attribute("select")?.Value
            ?? throw RpcErrors.Protocol(ErrorTag.MissingAttribute, "an xpath filter needs a select attribute", "filter");
        XPathExpr expr;
        try
        {
            expr = XPathParser.Parse(select, new FilterPrefixes(filter, source.Context));
        }
        catch (XPathSyntaxException e)
        {
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"invalid XPath \"{select}\": {e.Message}", "filter");
        }
        XPathValue value;
        try
        {
            value = XPathEvaluator.Evaluate(expr, source, source, new FilterPrefixes(filter, source.Context));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"the XPath \"{select}\" cannot be evaluated: {e.Message}", "filter");
        }
        if (value.Kind != XPathValueKind.NodeSet)
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"the XPath \"{select}\" does not select nodes", "filter");

        var result = new DataRoot(source.Context);
        var copies = new Dictionary<DataNode, DataInner>(ReferenceEqualityComparer.Instance) { [source] = result };
        foreach (var node in value.Nodes)
        {
            if (node is DataRoot) return source.DeepClone();
            var parent = CopyOfParent(node.Parent!, copies);
            if (parent is null) continue; // already inside a selected subtree
            if (node is DataInner inner && copies.TryGetValue(inner, out var existing))
            {
                // The entry was created as an ancestor of an earlier selection: now it is wanted whole.
                parent.Remove(existing);
            }
            parent.Add(node.DeepClone());
            // Copied whole: later selections inside it add nothing.
            if (node is DataInner) copies[node] = Whole;
        }
        return result;
    }

    /// <summary>The copy of <paramref name="parent"/> in the result, created with its ancestors (and keys) as needed; null when it was copied whole.</summary>
    private static DataInner? CopyOfParent(DataInner parent, Dictionary<DataNode, DataInner> copies)
    {
        if (copies.TryGetValue(parent, out var copy)) return ReferenceEquals(copy, Whole) ? null : copy;
        var grand = CopyOfParent(parent.Parent!, copies);
        if (grand is null) return null;
        copy = DataInner.Create(parent.Schema);
        if (parent.Schema is ListSchema ls)
            foreach (var k in ls.Keys)
                if (parent.Find(k) is DataLeaf key) copy.Add(key.DeepClone());
        grand.Add(copy);
        copies[parent] = copy;
        return copy;
    }

    /// <summary>Stands for "copied whole" in the map of copies.</summary>
    private static readonly DataInner Whole = new(new RootSchemaNode(new YangModule("-")));

    private sealed class FilterPrefixes(XElement filter, SchemaContext ctx) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix)
        {
            if (string.IsNullOrEmpty(prefix)) return null;
            var ns = filter.GetNamespaceOfPrefix(prefix);
            return ns is null ? ctx.GetModule(prefix) : ctx.GetModuleByNamespace(ns.NamespaceName);
        }
    }
}
