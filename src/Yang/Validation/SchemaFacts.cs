using System.Runtime.CompilerServices;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Validation;

/// <summary>
/// Facts about schema subtrees that validation asks for every instance, computed once per schema node:
/// whether an absent non-presence container holds mandatory nodes or defaults below it.
/// </summary>
internal static class SchemaFacts
{
    private static readonly ConditionalWeakTable<SchemaNode, StrongBox<bool>> Mandatory = [];
    private static readonly ConditionalWeakTable<SchemaNode, StrongBox<bool>> Defaults = [];

    public static bool HasMandatoryBelow(SchemaNode s) => Mandatory.GetValue(s, n => new StrongBox<bool>(ComputeMandatory(n))).Value;

    public static bool HoldsDefaults(SchemaNode s) => Defaults.GetValue(s, n => new StrongBox<bool>(ComputeDefaults(n))).Value;

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
                case ContainerSchema { IsPresence: false } or ChoiceSchema or CaseSchema when HasMandatoryBelow(c):
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
