using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Validation;

/// <summary>
/// Schema defaults in a data tree (RFC 7950 §7.6.1, §7.7.2, §7.9.3): missing leaves with a default and
/// leaf-lists with defaults are added (marked <see cref="DataNode.IsDefault"/>), inside non-presence
/// containers created for them and only in the active case of a choice (or its default case).
/// <para>
/// A configuration (<c>configOnly</c>) does not store the defaults of leaves no constraint can read
/// (<see cref="ValidationDependencies.Unobserved"/>, e.g. <c>enabled</c> of every interface): they would cost an
/// object per list entry and change no verdict. Readers that report defaults (with-defaults report-all, the
/// operational datastore) complete their copy with <see cref="AddAll"/>.
/// </para>
/// </summary>
public static class DataDefaults
{
    /// <param name="tree">The tree to complete.</param>
    /// <param name="configOnly">A configuration: no state (config false) node is added, even one whose type has a default, and unobserved leaves are not stored.</param>
    /// <param name="added">Told of every node added to a node that was already there (for an undo log).</param>
    /// <param name="output">An rpc/action document is a reply: defaults of its output.</param>
    public static void Add(DataRoot tree, bool configOnly = false, Action<DataInner, DataNode>? added = null, bool output = false)
    {
        // An rpc/action request or reply: defaults inside its input or output only, none at the top of the data tree.
        if (tree.ChildCount == 1 && tree.Children[0] is DataInner { Schema: OperationSchema op } operation)
            AddInto(operation, output ? op.Output : op.Input, new Scope(false, null), added);
        else
            AddInto(tree, tree.Schema, For(tree.Context, configOnly), added);
    }

    /// <summary>Every default of a configuration, the unobserved ones too: what a reader reporting defaults shows.</summary>
    public static void AddAll(DataRoot tree, bool configOnly = true) => AddInto(tree, tree.Schema, new Scope(configOnly, null), null);

    /// <summary>What a tree of <paramref name="context"/> stores: for a configuration, not the unobserved defaults.</summary>
    internal static Scope For(SchemaContext context, bool configOnly) =>
        new(configOnly, configOnly ? ValidationDependencies.Of(context) : null);

    /// <param name="ConfigOnly">No config false node is added.</param>
    /// <param name="Elide">When set, leaves it finds unobserved get no stored default.</param>
    internal readonly record struct Scope(bool ConfigOnly, ValidationDependencies? Elide);

    /// <summary>Removes every node that only exists because of a default.</summary>
    public static void Remove(DataInner tree)
    {
        for (var i = tree.ChildCount - 1; i >= 0; i--)
        {
            var c = tree.Children[i];
            if (c.IsDefault) tree.Remove(c);
            else if (c is DataInner inner)
            {
                Remove(inner);
                if (!inner.HasChildren && inner.Schema is ContainerSchema { IsPresence: false }) tree.Remove(inner);
            }
        }
    }

    /// <summary>Defaults inside <paramref name="node"/> and below; <paramref name="added"/> hears of every node added directly to an existing one.</summary>
    internal static void AddInto(DataInner node, SchemaNode schema, Scope scope, Action<DataInner, DataNode>? added = null)
    {
        if (!SchemaFacts.DefaultsBelow(schema)) return;
        foreach (var c in SchemaFacts.Of(schema).DefaultChildren) AddChild(node, c, scope, added);
        foreach (var c in node.Children)
            if (c is DataInner inner && inner.Schema.Kind is SchemaNodeKind.Container or SchemaNodeKind.List) AddInto(inner, inner.Schema, scope, added);
    }

    /// <summary>Defaults of one schema child (leaf, leaf-list, container or choice) of <paramref name="node"/>.</summary>
    internal static void AddChild(DataInner node, SchemaNode c, Scope scope, Action<DataInner, DataNode>? added = null)
    {
        if (scope.ConfigOnly && !c.Config) return;
        switch (c)
        {
            case LeafSchema { Default: { } def } leaf when scope.Elide?.Unobserved(leaf) != true && node.Find(leaf) is null:
                Add(node, DataLeaf.Default(leaf, def), added);
                break;
            case LeafListSchema { Defaults.Count: > 0 } ll when node.Find(ll) is null:
                foreach (var d in ll.Defaults) Add(node, DataLeaf.Default(ll, d), added);
                break;
            case ContainerSchema { IsPresence: false } cont when node.Find(cont) is null && SchemaFacts.HoldsDefaults(cont):
                var created = DataInner.Create(cont);
                foreach (var cc in cont.Children) AddChild(created, cc, scope);
                if (created.HasChildren) Add(node, created, added);
                break;
            case ChoiceSchema choice:
                var active = ActiveCase(node, choice) ?? choice.DefaultCase;
                if (active is not null)
                    foreach (var cc in active.Children) AddChild(node, cc, scope, added);
                break;
        }
    }

    private static void Add(DataInner node, DataNode child, Action<DataInner, DataNode>? added)
    {
        node.Add(child);
        added?.Invoke(node, child);
    }

    private static CaseSchema? ActiveCase(DataInner node, ChoiceSchema choice)
    {
        foreach (var child in choice.Children)
            if (child is CaseSchema cs)
                foreach (var d in cs.DataChildren())
                    if (node.Find(d) is not null) return cs;
        return null;
    }

}
