using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>Rules both readers share when they add a parsed node to its parent.</summary>
internal static class NodeBuilder
{
    public static void CheckAllowed(SchemaNode schema, DataParseOptions o, DataInner parent)
    {
        if (!schema.Config && o.Content is DataContent.Config or DataContent.Edit && schema.Kind != SchemaNodeKind.Root)
            throw new DataException(new DataError(ErrorTag.InvalidValue, DataPath.Of(parent) + "/" + schema.Name, $"\"{schema.Name}\" is state data (config false) and not allowed in configuration", BadElement: schema.Name));
    }

    /// <summary>Adds a finished node, rejecting a second instance of a leaf/container or a duplicate list key / leaf-list value.</summary>
    public static void AddChecked(DataInner parent, DataNode node, DataParseOptions o)
    {
        switch (node.Schema.Kind)
        {
            case SchemaNodeKind.List:
                var ls = (ListSchema)node.Schema;
                if (ls.Keys.Length > 0)
                {
                    var entry = (DataInner)node;
                    foreach (var k in ls.Keys)
                        if (entry.Find(k) is null)
                            throw new DataException(new DataError(ErrorTag.MissingElement, node.Path, $"list entry of \"{ls.Name}\" has no key \"{k.Name}\"", BadElement: k.Name));
                    if (parent.FindSameKeys(entry) is not null)
                        throw new DataException(new DataError(ErrorTag.InvalidValue, node.Path, $"duplicate entry of list \"{ls.Name}\"", "data-not-unique"));
                }
                break;
            case SchemaNodeKind.LeafList:
                if (node.Schema.Config && parent.FindLeafListEntry((LeafListSchema)node.Schema, ((DataLeaf)node).Value) is not null)
                    throw new DataException(new DataError(ErrorTag.InvalidValue, node.Path, $"duplicate value \"{((DataLeaf)node).Value}\" of leaf-list \"{node.Name}\""));
                break;
            default:
                if (parent.Find(node.Schema) is not null)
                    throw new DataException(new DataError(ErrorTag.BadElement, DataPath.Of(parent) + "/" + node.Name, $"\"{node.Name}\" is given more than once", BadElement: node.Name));
                break;
        }
        parent.Add(node);
    }

    /// <summary>The schema nodes that may be the top of a document of this kind.</summary>
    public static SchemaNode? FindTop(SchemaContext ctx, YangModule module, string name) =>
        ctx.Root.FindDataChild(module, name) ?? FindTopInModule(module, name);

    private static SchemaNode? FindTopInModule(YangModule module, string name)
    {
        foreach (var n in module.TopLevel)
            if (n.Name == name) return n;
        return null;
    }
}
