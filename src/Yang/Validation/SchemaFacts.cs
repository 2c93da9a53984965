using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Validation;

/// <summary>
/// Facts about schema subtrees that validation and defaults ask for every instance, computed once per schema
/// node and kept on it: whether an absent non-presence container holds mandatory nodes or defaults below it,
/// which children can receive a default, and whether any default exists further down at all (so that adding
/// defaults skips the subtrees of a large tree that can have none).
/// </summary>
internal sealed class SchemaFacts
{
    private SchemaFacts(SchemaNode s)
    {
        var defaults = new List<SchemaNode>();
        foreach (var c in s.Children)
            if (c is LeafSchema { Default: not null } or LeafListSchema { Defaults.Count: > 0 }
                || (c is ContainerSchema { IsPresence: false } && HoldsDefaults(c))
                || (c is ChoiceSchema && c.Children.Any(HoldsDefaults)))
                defaults.Add(c);
        DefaultChildren = [.. defaults];
    }

    /// <summary>Children (leaf, leaf-list, non-presence container, choice) that may get a default in an instance.</summary>
    public SchemaNode[] DefaultChildren { get; }

    /// <summary>True when an instance of the node, or of a container or list anywhere below it, can get a default.</summary>
    public bool DefaultsInside { get; private set; }

    private bool _insideComputed;

    public static SchemaFacts Of(SchemaNode s)
    {
        if (s.ValidationFacts is SchemaFacts f) return f;
        f = new SchemaFacts(s);
        s.ValidationFacts = f;
        return f;
    }

    public static bool DefaultsBelow(SchemaNode s)
    {
        var f = Of(s);
        if (!f._insideComputed)
        {
            var inside = f.DefaultChildren.Length > 0;
            foreach (var d in s.DataChildren())
                if (!inside && d.Kind is SchemaNodeKind.Container or SchemaNodeKind.List && DefaultsBelow(d)) inside = true;
            f.DefaultsInside = inside;
            f._insideComputed = true;
        }
        return f.DefaultsInside;
    }

    private bool? _mandatory;
    private bool? _holds;

    public static bool HasMandatoryBelow(SchemaNode s)
    {
        var f = Of(s);
        return f._mandatory ??= ComputeMandatory(s);
    }

    public static bool HoldsDefaults(SchemaNode s)
    {
        var f = Of(s);
        return f._holds ??= ComputeDefaults(s);
    }

    private static bool ComputeMandatory(SchemaNode s)
    {
        foreach (var c in s.Children)
        {
            switch (c)
            {
                case LeafSchema { Mandatory: true }:
                case ChoiceSchema { Mandatory: true }:
                case AnySchema { Mandatory: true }:
                case ListSchema { MinElements: > 0 }:
                case LeafListSchema { MinElements: > 0 }:
                    return true;
                // A choice that is not mandatory requires nothing while none of its cases has data (and its
                // default case may not hold mandatory nodes, RFC 7950 §7.9.3): only its own mandatory counts.
                case ContainerSchema { IsPresence: false } when HasMandatoryBelow(c):
                    return true;
            }
        }
        return false;
    }

    private static bool ComputeDefaults(SchemaNode s)
    {
        foreach (var c in s.Children)
        {
            switch (c)
            {
                case LeafSchema { Default: not null }:
                case LeafListSchema { Defaults.Count: > 0 }:
                    return true;
                case ContainerSchema { IsPresence: false } when HoldsDefaults(c):
                    return true;
                case ChoiceSchema { DefaultCase: { } dc } when HoldsDefaults(dc):
                    return true;
            }
        }
        return false;
    }
}
