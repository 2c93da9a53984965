using System.Xml.Linq;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// RFC 6241 §6 subtree filtering: returns a copy of the parts of a data tree that a filter selects.
/// Filter elements are namespace selections (an element in the NETCONF base namespace or none matches a
/// node of that name in any module), containment nodes (elements with child elements), selection nodes
/// (empty elements: the whole subtree) and content match nodes (elements with text: an instance is kept
/// only when all its content matches hold, and then wholly when nothing else is asked of it). An empty
/// filter selects nothing. List entries in the output always carry their keys.
/// </summary>
public static class SubtreeFilter
{
    public static DataRoot Apply(DataRoot source, XElement filter)
    {
        var result = new DataRoot(source.Context);
        var nodes = filter.Elements().ToList();
        if (nodes.Count > 0) FilterChildren(source, nodes, result);
        return result;
    }

    /// <summary>
    /// Applies the sibling filter nodes to one instance. True when the instance is selected: all its content
    /// matches hold (if it has any), or otherwise something below it was selected.
    /// </summary>
    private static bool FilterChildren(DataInner source, List<XElement> filters, DataInner target)
    {
        var contentMatches = filters.Where(IsContentMatch).ToList();
        foreach (var cm in contentMatches)
            if (!source.Children.Any(c => c is DataLeaf l && Matches(cm, c) && l.Value == ValueOf(cm, l))) return false;
        if (!HasOnlyPlainAttributes(filters)) return false;

        var selected = contentMatches.Count > 0;
        var others = filters.Where(f => !IsContentMatch(f)).ToList();
        if (others.Count == 0 && contentMatches.Count > 0)
        {
            // Only content matches: the whole instance.
            foreach (var c in source.Children) target.Add(c.DeepClone());
            return true;
        }
        foreach (var c in source.Children)
        {
            var named = contentMatches.Exists(cm => Matches(cm, c)) || others.Exists(f => Matches(f, c) && !f.HasElements);
            if (named || IsKeyOf(c, source))
            {
                // Keys always come along; a key the filter names (selection or content match) also selects the entry.
                target.Add(c.DeepClone());
                if (named) selected = true;
                continue;
            }
            foreach (var f in others)
            {
                if (!Matches(f, c)) continue;
                if (!f.HasElements || c is not DataInner inner)
                {
                    // A selection node (or a containment node that reached a leaf): everything below.
                    target.Add(c.DeepClone());
                    selected = true;
                }
                else
                {
                    var copy = DataInner.Create(c.Schema);
                    if (FilterChildren(inner, f.Elements().ToList(), copy))
                    {
                        target.Add(copy);
                        selected = true;
                    }
                }
                break;
            }
        }
        return selected;
    }

    private static bool IsKeyOf(DataNode child, DataInner parent) =>
        parent.Schema is ListSchema ls && Array.IndexOf(ls.Keys, child.Schema) >= 0;

    private static bool IsContentMatch(XElement f) => !f.HasElements && !string.IsNullOrWhiteSpace(f.Value);

    private static bool HasOnlyPlainAttributes(List<XElement> filters) =>
        filters.All(f => f.Attributes().All(a => a.IsNamespaceDeclaration));

    /// <summary>Element name and namespace against a data node (no namespace or the NETCONF namespace: any module).</summary>
    private static bool Matches(XElement f, DataNode node)
    {
        if (f.Name.LocalName != node.Name) return false;
        var ns = f.Name.NamespaceName;
        return ns.Length == 0 || ns == NetconfNames.BaseNs || ns == node.Module.Namespace;
    }

    /// <summary>The content match text in canonical form where the type allows (e.g. an identityref with the filter's prefix).</summary>
    private static string ValueOf(XElement f, DataLeaf leaf)
    {
        var text = f.Value.Trim();
        return ValueParser.TryParse(leaf.Type, text, new ElementPrefixes(f, XmlContextOf(leaf)), out var canonical, out _) ? canonical : text;
    }

    private static SchemaContext XmlContextOf(DataNode n)
    {
        var top = n;
        while (top.Parent is not null) top = top.Parent;
        return ((DataRoot)top).Context;
    }

    private sealed class ElementPrefixes(XElement e, SchemaContext ctx) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix)
        {
            var ns = prefix is null ? e.GetDefaultNamespace() : e.GetNamespaceOfPrefix(prefix);
            return ns is null ? null : ctx.GetModuleByNamespace(ns.NamespaceName);
        }
    }
}
