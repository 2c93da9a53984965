using System.Text;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Printing;

/// <summary>
/// The parts of one node line of an RFC 8340 tree diagram:
/// <c>&lt;status&gt;--&lt;flags&gt; &lt;name&gt;&lt;opts&gt; &lt;type|keys&gt; &lt;if-features&gt;</c>.
/// </summary>
internal sealed class TreeNodeLine
{
    private TreeNodeLine(SchemaNode node, string name, int alignLength, string opts)
    {
        Node = node;
        Name = name;
        AlignLength = alignLength;
        Opts = opts;
    }

    public SchemaNode Node { get; }

    /// <summary><c>+</c> current, <c>x</c> deprecated, <c>o</c> obsolete.</summary>
    public char Status { get; private init; }

    /// <summary><c>rw</c>, <c>ro</c>, <c>-w</c>, <c>-x</c>, <c>-n</c>, <c>--</c>, or <c>:</c> for a case.</summary>
    public string Flags { get; private init; } = "";

    /// <summary>The name as printed: <c>prefix:</c> when the node is from another module, <c>(choice)</c>, <c>:(case)</c> without the colon.</summary>
    public string Name { get; }

    /// <summary>
    /// Length used to align types among siblings. The ':' between prefix and name is not counted,
    /// which shifts the type of a node from another module one column right (as yanglint does).
    /// </summary>
    public int AlignLength { get; }

    /// <summary><c>?</c>, <c>*</c>, <c>!</c> or empty.</summary>
    public string Opts { get; }

    /// <summary>The type column of a leaf, leaf-list, anydata or anyxml; null for other nodes.</summary>
    public string? Type { get; private init; }

    /// <summary><c>[k1 k2]</c> for a keyed list, else null.</summary>
    public string? Keys { get; private init; }

    /// <summary><c>{f1,f2}?</c> from the node's own if-feature statements, else null.</summary>
    public string? Features { get; private init; }

    /// <summary>Lists are left out when siblings' types are aligned.</summary>
    public bool TakesPartInAlignment => Node.Kind != SchemaNodeKind.List;

    public static TreeNodeLine For(SchemaNode node, YangModule printed)
    {
        var prefix = ReferenceEquals(node.Module, printed) || node.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output
            ? null
            : node.Module.Prefix;
        var bare = prefix is null ? node.Name : prefix + ":" + node.Name;
        var alignLength = prefix is null ? node.Name.Length : prefix.Length + node.Name.Length;
        string name;
        switch (node.Kind)
        {
            case SchemaNodeKind.Choice:
                name = "(" + bare + ")";
                alignLength += 2;
                break;
            case SchemaNodeKind.Case:
                name = "(" + bare + ")";
                alignLength += 2;
                break;
            default:
                name = bare;
                break;
        }

        return new TreeNodeLine(node, name, alignLength, OptsOf(node))
        {
            Status = StatusChar(EffectiveStatus(node)),
            Flags = FlagsOf(node),
            Type = TypeOf(node),
            Keys = node is ListSchema { Keys.Count: > 0 } list ? KeysOf(list) : null,
            Features = node is CaseSchema { IsShorthand: true } ? null : FeaturesOf(node.Definition),
        };
    }

    /// <summary>Text up to and including the opts: <c>+--rw name?</c>.</summary>
    public string Head
    {
        get
        {
            var sb = new StringBuilder(8 + Name.Length);
            sb.Append(Status).Append("--").Append(Flags);
            if (Node.Kind != SchemaNodeKind.Case) sb.Append(' ');
            return sb.Append(Name).Append(Opts).ToString();
        }
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
                case SchemaNodeKind.Rpc:
                case SchemaNodeKind.Action:
                    break;
            }
        }
        return node.Config ? "rw" : "ro";
    }

    /// <summary>
    /// Status as yanglint shows it: a node without its own status statement takes its parent's, and a
    /// status on the augment that added a node applies to that node.
    /// </summary>
    private static SchemaStatus EffectiveStatus(SchemaNode node)
    {
        var status = SchemaStatus.Current;
        for (var n = node; n is not null && n.Kind != SchemaNodeKind.Root; n = n.Parent)
        {
            if (n.Status > status) status = n.Status;
            if (n.Augment?.ArgOf("status") is { } s && ParseStatus(s) > status) status = ParseStatus(s);
        }
        return status;
    }

    private static SchemaStatus ParseStatus(string s) => s switch
    {
        "deprecated" => SchemaStatus.Deprecated,
        "obsolete" => SchemaStatus.Obsolete,
        _ => SchemaStatus.Current,
    };

    private static char StatusChar(SchemaStatus s) => s switch
    {
        SchemaStatus.Deprecated => 'x',
        SchemaStatus.Obsolete => 'o',
        _ => '+',
    };

    private static string? TypeOf(SchemaNode node)
    {
        switch (node)
        {
            case LeafSchema leaf:
                return TypeText(node.Definition, leaf.Type, node.Module);
            case LeafListSchema leafList:
                return TypeText(node.Definition, leafList.Type, node.Module);
            case AnySchema:
                return node.Kind == SchemaNodeKind.AnyData ? "anydata" : "anyxml";
            default:
                return null;
        }
    }

    /// <summary>The type as written in the defining statement; a leafref prints as <c>-> path</c>.</summary>
    private static string TypeText(Statement? definition, YangType? type, YangModule module)
    {
        var typeStmt = definition?.Find("type");
        if (typeStmt?.Argument is { } written)
        {
            if (written == "leafref" && typeStmt.ArgOf("path") is { } path) return "-> " + path;
            return written;
        }

        // No statement to read (built without one): rebuild the name from the compiled type.
        if (type is null) return "";
        if (type.Kind == BuiltinType.Leafref && type.IsBuiltin && type.LeafrefPathText is { } p) return "-> " + p;
        var named = type;
        while (named.BaseType is not null && named.TypedefModule is null) named = named.BaseType;
        if (named.TypedefModule is null || ReferenceEquals(named.TypedefModule, module)) return named.Name;
        foreach (var (prefix, m) in module.PrefixMap)
            if (ReferenceEquals(m, named.TypedefModule)) return prefix + ":" + named.Name;
        return named.TypedefModule.Prefix + ":" + named.Name;
    }

    private static string KeysOf(ListSchema list)
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < list.Keys.Count; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(list.Keys[i].Name);
        }
        return sb.Append(']').ToString();
    }

    private static string? FeaturesOf(Statement? definition)
    {
        if (definition is null) return null;
        StringBuilder? sb = null;
        foreach (var f in definition.FindAll("if-feature"))
        {
            if (sb is null) sb = new StringBuilder("{");
            else sb.Append(',');
            sb.Append(f.Argument);
        }
        return sb?.Append("}?").ToString();
    }
}
