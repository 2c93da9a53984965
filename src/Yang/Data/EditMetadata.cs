namespace Mgmt.Yang.Data;

/// <summary>RFC 6241 §7.2 edit operations; <see cref="Inherit"/> means none was given on the node.</summary>
public enum EditOperation { Inherit, Merge, Replace, Create, Delete, Remove, None }

/// <summary>RFC 7950 §7.8.6 insert attribute values for ordered-by user lists and leaf-lists.</summary>
public enum InsertPosition { Last, First, Before, After }

/// <summary>What an edit document says about one node beyond its content.</summary>
/// <param name="Operation">operation attribute (XML nc:operation, JSON @ietf-netconf:operation).</param>
/// <param name="Insert">insert attribute, if given.</param>
/// <param name="Anchor">yang:key (list, canonical key predicate like <c>[name='x']</c>) or yang:value (leaf-list) for before/after.</param>
public readonly record struct EditMark(EditOperation Operation, InsertPosition? Insert = null, string? Anchor = null);

/// <summary>
/// Per-node edit annotations of an edit document, kept beside the tree instead of in every node so
/// that ordinary data trees pay nothing for them.
/// </summary>
public sealed class EditMetadata
{
    private readonly Dictionary<DataNode, EditMark> _marks = new(ReferenceEqualityComparer.Instance);

    public void Set(DataNode node, EditMark mark) => _marks[node] = mark;

    public EditMark Get(DataNode node) => _marks.TryGetValue(node, out var m) ? m : default;

    public bool Has(DataNode node) => _marks.ContainsKey(node);

    public int Count => _marks.Count;
}
