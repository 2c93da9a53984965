using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Compilation;

internal sealed partial class Compiler
{
    /// <summary>Applies the deviation statements of implemented modules (RFC 7950 §7.20.3).</summary>
    private void ApplyDeviations()
    {
        foreach (var src in _order)
        {
            if (!src.Module.Implemented) continue;
            foreach (var file in _filesOf[src.Module])
            {
                foreach (var dev in file.Root.FindAll("deviation"))
                {
                    var target = ResolveAbsoluteSchemaNodeId(dev, dev.Argument ?? "", out var why, implement: true);
                    if (target is null)
                    {
                        Error(dev, $"deviation target \"{dev.Argument}\" not found{(why is null ? "" : ": " + why)}");
                        continue;
                    }
                    if (!ReferenceEquals(target.Module, src.Module) && !target.Module.DeviatedBy.Contains(src.Module))
                        target.Module.DeviatedBy.Add(src.Module);
                    foreach (var d in dev.FindAll("deviate")) ApplyDeviate(d, target);
                }
            }
        }
    }

    private void ApplyDeviate(Statement d, SchemaNode target)
    {
        switch (d.Argument)
        {
            case "not-supported":
                if (target.Parent is not null) target.Parent.RemoveChild(target);
                else target.Module.TopLevel.Remove(target);
                if (target.Parent is { Kind: SchemaNodeKind.Case } c && c.Children.Count == 0 && c.Parent is not null) c.Parent.RemoveChild(c);
                break;
            case "add":
                foreach (var p in d.Children) if (!p.IsExtension) DeviateAdd(p, target);
                break;
            case "replace":
                foreach (var p in d.Children) if (!p.IsExtension) DeviateReplace(p, target);
                break;
            case "delete":
                foreach (var p in d.Children) if (!p.IsExtension) DeviateDelete(p, target);
                break;
            default:
                Error(d, $"invalid deviate \"{d.Argument}\" (expected not-supported, add, replace or delete)");
                break;
        }
    }

    private void DeviateAdd(Statement p, SchemaNode target)
    {
        switch (p.Keyword)
        {
            case "units":
                if (target is LeafSchema { Units: not null } or LeafListSchema { Units: not null } && UnitsWritten(target))
                    Error(p, $"deviate add: \"{target.Name}\" already has units");
                SetUnits(target, p.Argument);
                break;
            case "must":
                target.Musts = [.. target.Musts, .. CompileMusts(p.Parent!)];
                break;
            case "unique":
                if (target is ListSchema list) _pendingUniques.Add((list, p));
                else Error(p, "deviate add: unique applies only to lists");
                break;
            case "default":
                switch (target)
                {
                    case LeafSchema l:
                        if (l.Definition?.Find("default") is not null) Error(p, $"deviate add: leaf \"{l.Name}\" already has a default");
                        _pendingDefaults.Add((l, p));
                        break;
                    case LeafListSchema ll: _pendingLeafListDefaults.Add((ll, p)); break;
                    case ChoiceSchema ch: _pendingChoiceDefaults.Add((ch, p)); break;
                    default: Error(p, $"deviate add: default is not valid for {target.Kind} \"{target.Name}\""); break;
                }
                break;
            case "config" or "mandatory" or "min-elements" or "max-elements":
                SetProperty(p, target, "add");
                break;
            case "type":
                Error(p, "deviate add cannot add a type (use deviate replace)");
                break;
        }
    }

    private static bool UnitsWritten(SchemaNode n) => n.Definition?.Find("units") is not null;

    private static void SetUnits(SchemaNode target, string? units)
    {
        if (target is LeafSchema l) l.Units = units;
        else if (target is LeafListSchema ll) ll.Units = units;
    }

    private void DeviateReplace(Statement p, SchemaNode target)
    {
        switch (p.Keyword)
        {
            case "type":
                var t = CompileType(p, target);
                if (target is LeafSchema l) { l.Type = t; if (l.Definition?.Find("default") is null) l.Default = t.Default; }
                else if (target is LeafListSchema ll) ll.Type = t;
                else Error(p, $"deviate replace: type is not valid for {target.Kind} \"{target.Name}\"");
                break;
            case "units":
                SetUnits(target, p.Argument);
                break;
            case "default":
                switch (target)
                {
                    case LeafSchema l2: _pendingDefaults.Add((l2, p)); break;
                    case ChoiceSchema ch: _pendingChoiceDefaults.Add((ch, p)); break;
                    default: Error(p, $"deviate replace: default is not valid for {target.Kind} \"{target.Name}\""); break;
                }
                break;
            case "config" or "mandatory" or "min-elements" or "max-elements":
                SetProperty(p, target, "replace");
                break;
        }
    }

    private void DeviateDelete(Statement p, SchemaNode target)
    {
        switch (p.Keyword)
        {
            case "units":
                SetUnits(target, null);
                break;
            case "must":
                var kept = new List<MustConstraint>();
                var removed = false;
                foreach (var m in target.Musts)
                {
                    if (!removed && m.Text == p.Argument) { removed = true; continue; }
                    kept.Add(m);
                }
                if (!removed) Error(p, $"deviate delete: must \"{p.Argument}\" not found on \"{target.Name}\"");
                target.Musts = kept;
                break;
            case "default":
                if (target is LeafSchema l) { _deletedDefaults.Add(l); l.Default = null; }
                else if (target is LeafListSchema ll) ll.Defaults = [];
                else if (target is ChoiceSchema ch) ch.DefaultCase = null;
                break;
            case "unique":
                if (target is ListSchema list) _deletedUniques.Add((list, p.Argument ?? ""));
                break;
        }
    }

    private readonly HashSet<LeafSchema> _deletedDefaults = new(ReferenceEqualityComparer.Instance);
    private readonly List<(ListSchema, string)> _deletedUniques = [];
    private readonly List<(ListSchema, Statement)> _pendingUniques = [];

    private void SetProperty(Statement p, SchemaNode target, string how)
    {
        switch (p.Keyword)
        {
            case "config":
                if (p.Argument == "false") SetConfigFalse(target);
                else target.Config = true;
                break;
            case "mandatory":
                var m = p.Argument == "true";
                if (target is LeafSchema l) l.Mandatory = m;
                else if (target is ChoiceSchema c) c.Mandatory = m;
                else if (target is AnySchema a) a.Mandatory = m;
                else Error(p, $"deviate {how}: mandatory is not valid for {target.Kind} \"{target.Name}\"");
                break;
            case "min-elements" or "max-elements":
                var holder = p.Parent!;
                ReadElementCounts(holder, out var min, out var max);
                if (target is ListSchema list)
                {
                    if (p.Keyword == "min-elements") list.MinElements = min; else list.MaxElements = max;
                }
                else if (target is LeafListSchema ll)
                {
                    if (p.Keyword == "min-elements") ll.MinElements = min; else ll.MaxElements = max;
                }
                else Error(p, $"deviate {how}: {p.Keyword} is not valid for {target.Kind} \"{target.Name}\"");
                break;
        }
    }
}
