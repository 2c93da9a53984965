using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Printing;

/// <summary>One <c>augment</c> section of a tree diagram: the nodes one augment statement adds to another module.</summary>
internal sealed record AugmentSection(string TargetPath, IReadOnlyList<SchemaNode> Nodes);

/// <summary>
/// Finds the augment statements of a module (and its submodules) whose target belongs to another
/// module, with the compiled nodes each of them added. Augments into the module's own nodes are not
/// sections: those nodes show in place.
/// </summary>
internal static class AugmentSections
{
    public static IReadOnlyList<AugmentSection> Find(YangModule module)
    {
        var result = new List<AugmentSection>();
        var claimed = new HashSet<SchemaNode>(ReferenceEqualityComparer.Instance);
        foreach (var (augment, prefixes) in AugmentStatements(module))
        {
            var path = augment.Argument;
            if (path is null) continue;
            var target = ResolveTarget(path, module, prefixes);
            if (target is null || ReferenceEquals(TargetModule(target), module)) continue;

            var nodes = new List<SchemaNode>();
            var anyTagged = false;
            foreach (var c in target.Children)
            {
                if (c.Augment is not null) anyTagged = true;
                if (ReferenceEquals(c.Augment, augment)) nodes.Add(c);
            }

            if (!anyTagged)
            {
                // The compiler did not record augment origins: take this module's nodes not yet shown.
                foreach (var c in target.Children)
                    if (ReferenceEquals(c.Module, module) && claimed.Add(c)) nodes.Add(c);
            }
            result.Add(new AugmentSection(path, nodes));
        }
        return result;
    }

    /// <summary>Augment statements at the top of the module and of its submodules, with the prefix map of the file each is in.</summary>
    private static IEnumerable<(Statement Augment, Func<string, YangModule?> Prefixes)> AugmentStatements(YangModule module)
    {
        YangModule? Own(string p) => module.PrefixMap.GetValueOrDefault(p);
        if (module.Statement is { } stmt)
            foreach (var a in stmt.FindAll("augment")) yield return (a, Own);

        foreach (var sub in module.Submodules)
        {
            var local = SubmodulePrefixes(sub.Statement, module);
            foreach (var a in sub.Statement.FindAll("augment")) yield return (a, p => local.GetValueOrDefault(p) ?? Own(p));
        }
    }

    /// <summary>A submodule's own prefixes: its belongs-to prefix and its imports, mapped by module name.</summary>
    private static Dictionary<string, YangModule> SubmodulePrefixes(Statement submodule, YangModule main)
    {
        var map = new Dictionary<string, YangModule>(StringComparer.Ordinal);
        if (submodule.Find("belongs-to")?.ArgOf("prefix") is { } own) map[own] = main;
        foreach (var imp in submodule.FindAll("import"))
        {
            if (imp.ArgOf("prefix") is not { } p || imp.Argument is null) continue;
            foreach (var i in main.Imports)
                if (i.Module.Name == imp.Argument) map[p] = i.Module;
        }
        return map;
    }

    /// <summary>The module whose tree the target is in (its top-level ancestor's module).</summary>
    private static YangModule TargetModule(SchemaNode target)
    {
        var n = target;
        while (n.Parent is not null && n.Parent.Kind != SchemaNodeKind.Root) n = n.Parent;
        return n.Module;
    }

    /// <summary>Walks an absolute schema node id (RFC 7950 §6.5) through the compiled tree.</summary>
    internal static SchemaNode? ResolveTarget(string path, YangModule context, Func<string, YangModule?> prefixes)
    {
        SchemaNode? current = null;
        foreach (var raw in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var step = raw.Trim();
            var colon = step.IndexOf(':');
            var stepModule = colon < 0 ? context : prefixes(step[..colon]);
            var name = colon < 0 ? step : step[(colon + 1)..];
            if (stepModule is null) return null;

            IReadOnlyList<SchemaNode> candidates = current is null ? stepModule.TopLevel : StepChildren(current);
            SchemaNode? next = null;
            foreach (var c in candidates)
            {
                if (c.Name == name && (ReferenceEquals(c.Module, stepModule) || c.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output))
                {
                    next = c;
                    break;
                }
            }
            if (next is null) return null;
            current = next;
        }
        return current;
    }

    private static IReadOnlyList<SchemaNode> StepChildren(SchemaNode node)
    {
        if (node is OperationSchema op && node.Children.Count == 0)
        {
            var io = new List<SchemaNode>(2);
            if (op.Input is not null) io.Add(op.Input);
            if (op.Output is not null) io.Add(op.Output);
            return io;
        }
        return node.Children;
    }
}
