using System.Text;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Printing;

/// <summary>
/// Tree lines and child order for compiled nodes: the <c>module:</c>, <c>rpcs:</c> and
/// <c>notifications:</c> sections, with groupings expanded and other modules' augments in place.
/// </summary>
internal static class CompiledTreeLines
{
    public static TreeNodeLine For(SchemaNode node, YangModule printed)
    {
        var prefix = ReferenceEquals(node.Module, printed) || node.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output
            ? null
            : node.Module.Prefix;
        var name = prefix is null ? node.Name : prefix + ":" + node.Name;
        var alignLength = prefix is null ? node.Name.Length : prefix.Length + node.Name.Length;
        if (node.Kind is SchemaNodeKind.Choice or SchemaNodeKind.Case)
        {
            name = "(" + name + ")";
            alignLength += 2;
        }

        return new TreeNodeLine
        {
            Status = TreeNodeLine.StatusChar(EffectiveStatus(node)),
            Flags = FlagsOf(node),
            Name = name,
            AlignLength = alignLength,
            Opts = OptsOf(node),
            Type = TypeOf(node),
            Keys = node is ListSchema { Keys.Length: > 0 } list ? KeysOf(list) : null,
            Features = node is CaseSchema { IsShorthand: true } ? null : TreeNodeLine.WrittenFeatures(node.Definition),
            IsCase = node.Kind == SchemaNodeKind.Case,
        };
    }

    /// <summary>
    /// The children a diagram shows, in libyang's compiled order: key leaves first (in key order), then
    /// the other data nodes, then actions, then notifications. An rpc/action shows its input and output
    /// only when they have children.
    /// </summary>
    public static List<SchemaNode> Children(SchemaNode parent)
    {
        var result = new List<SchemaNode>(parent.Children.Count);
        if (parent is ListSchema list)
            foreach (var k in list.Keys) result.Add(k);

        IReadOnlyList<SchemaNode> children = parent.Children;
        if (parent is OperationSchema op && children.Count == 0)
            children = [op.Input, op.Output];

        foreach (var c in children)
        {
            if (c is null || c is LeafSchema { IsKey: true } && parent is ListSchema && result.Contains(c)) continue;
            if (c.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output && c.Children.Count == 0) continue;
            if (c.Kind is not (SchemaNodeKind.Action or SchemaNodeKind.Notification)) result.Add(c);
        }
        foreach (var c in children)
            if (c?.Kind == SchemaNodeKind.Action) result.Add(c);
        foreach (var c in children)
            if (c?.Kind == SchemaNodeKind.Notification) result.Add(c);
        return result;
    }

    private static string OptsOf(SchemaNode node) => node switch
    {
        LeafSchema leaf => leaf.Mandatory || leaf.IsKey ? "" : "?",
        LeafListSchema or ListSchema => "*",
        ContainerSchema c => c.IsPresence ? "!" : "",
        ChoiceSchema ch => ch.Mandatory ? "" : "?",
        AnySchema any => any.Mandatory ? "" : "?",
        _ => "",
    };

    private static string FlagsOf(SchemaNode node)
    {
        switch (node.Kind)
        {
            case SchemaNodeKind.Rpc:
            case SchemaNodeKind.Action:
                return "-x";
            case SchemaNodeKind.Notification:
                return "-n";
            case SchemaNodeKind.Case:
                return ":";
            case SchemaNodeKind.Input:
                return "-w";
            case SchemaNodeKind.Output:
                return "ro";
        }

        for (var p = node.Parent; p is not null; p = p.Parent)
        {
            switch (p.Kind)
            {
                case SchemaNodeKind.Notification:
                    return "--";
                case SchemaNodeKind.Input:
                    return "-w";
                case SchemaNodeKind.Output:
                    return "ro";
            }
        }
        return node.Config ? "rw" : "ro";
    }

    /// <summary>Status as libyang compiles it: a node without its own status takes its parent's.</summary>
    private static string? EffectiveStatus(SchemaNode node)
    {
        var status = SchemaStatus.Current;
        for (var n = node; n is not null && n.Kind != SchemaNodeKind.Root; n = n.Parent)
            if (n.Status > status) status = n.Status;
        return status switch
        {
            SchemaStatus.Deprecated => "deprecated",
            SchemaStatus.Obsolete => "obsolete",
            _ => null,
        };
    }

    private static string? TypeOf(SchemaNode node) => node switch
    {
        LeafSchema leaf => TreeNodeLine.WrittenType(node.Definition) ?? TypeName(leaf.Type, node.Module),
        LeafListSchema leafList => TreeNodeLine.WrittenType(node.Definition) ?? TypeName(leafList.Type, node.Module),
        AnySchema => node.Kind == SchemaNodeKind.AnyData ? "anydata" : "anyxml",
        _ => null,
    };

    /// <summary>Fallback when the node has no defining statement: the name rebuilt from the compiled type.</summary>
    private static string TypeName(YangType? type, YangModule module)
    {
        if (type is null) return "";
        if (type.Kind == BuiltinType.Leafref && type.IsBuiltin && type.LeafrefPathText is { } p) return "-> " + p;
        if (type.TypedefModule is null || ReferenceEquals(type.TypedefModule, module)) return type.Name;
        foreach (var (prefix, m) in module.PrefixMap)
            if (ReferenceEquals(m, type.TypedefModule)) return prefix + ":" + type.Name;
        return type.TypedefModule.Prefix + ":" + type.Name;
    }

    /// <summary>The key argument as written (yanglint keeps its spacing and line breaks).</summary>
    private static string KeysOf(ListSchema list)
    {
        if (list.Definition?.ArgOf("key") is { } written) return "[" + written + "]";
        var sb = new StringBuilder("[");
        for (var i = 0; i < list.Keys.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(list.Keys[i].Name);
        }
        return sb.Append(']').ToString();
    }
}
