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

    /// <summary>
    /// Adds a finished node, rejecting a second instance of a leaf/container or a list entry without its keys; a
    /// duplicate list key or leaf-list value is found when the parent is complete (<see cref="Complete"/>).
    /// </summary>
    public static void AddChecked(DataInner parent, DataNode node, DataParseOptions o)
    {
        switch (node.Schema.Kind)
        {
            case SchemaNodeKind.List:
                var ls = (ListSchema)node.Schema;
                foreach (var k in ls.Keys)
                    if (((DataInner)node).Find(k) is null)
                        throw new DataException(new DataError(ErrorTag.MissingElement, node.Path, $"list entry of \"{ls.Name}\" has no key \"{k.Name}\"", BadElement: k.Name));
                break;
            case SchemaNodeKind.LeafList:
                break;
            default:
                if (parent.Find(node.Schema) is not null)
                    throw new DataException(new DataError(ErrorTag.BadElement, DataPath.Of(parent) + "/" + node.Name, $"\"{node.Name}\" is given more than once", BadElement: node.Name));
                break;
        }
        parent.Add(node);
    }

    /// <summary>
    /// Finishes a node whose content has been read: rejects the first list entry with the keys of an earlier one
    /// and the first repeated value of a configuration leaf-list, then drops spare capacity.
    /// </summary>
    public static void Complete(DataInner node)
    {
        switch (DuplicateEntries.Find(node))
        {
            case DataLeaf value:
                throw new DataException(new DataError(ErrorTag.InvalidValue, value.Path, $"duplicate value \"{value.Value}\" of leaf-list \"{value.Name}\""));
            case { } entry:
                throw new DataException(new DataError(ErrorTag.InvalidValue, entry.Path, $"duplicate entry of list \"{entry.Name}\"", "data-not-unique"));
        }
        node.TrimExcess();
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
