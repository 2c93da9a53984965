using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Compilation;

internal sealed partial class Compiler
{
    /// <summary>
    /// Applies top-level augments of implemented modules and every uses-augment. An augment may target a
    /// node another augment adds, so passes repeat until nothing more applies; what is left is an error.
    /// </summary>
    private void ApplyAugments()
    {
        _pendingAugments.Clear();
        foreach (var src in _order)
            if (src.Module.Implemented) QueueAugments(src.Module);
        var scannedLeafrefs = 0;
        while (true)
        {
            var progress = false;
            // Modules named by leafref paths of implemented nodes become implemented (YANG 1.1, libyang's REF_IMPLEMENTED).
            for (; scannedLeafrefs < _leafrefs.Count; scannedLeafrefs++)
            {
                var (type, node, _) = _leafrefs[scannedLeafrefs];
                if (!node.Module.Implemented || type.LeafrefPath is not LeafrefPath path) continue;
                foreach (var step in path.Steps)
                    if (step.Module is { Implemented: false } m) { Implement(m); progress = true; }
            }
            for (var i = 0; i < _pendingAugments.Count; i++)
            {
                var (stmt, module) = _pendingAugments[i];
                var target = ResolveAbsoluteSchemaNodeId(stmt, stmt.Argument ?? "", out _, implement: true);
                if (target is null) continue;
                _pendingAugments.RemoveAt(i--);
                progress = true;
                ApplyAugment(stmt, target, module);
            }
            if (!progress) break;
        }
        foreach (var (stmt, _) in _pendingAugments)
        {
            ResolveAbsoluteSchemaNodeId(stmt, stmt.Argument ?? "", out var why, implement: false);
            Error(stmt, $"augment target \"{stmt.Argument}\" not found{(why is null ? "" : ": " + why)}");
        }
    }

    private readonly List<(Statement Stmt, YangModule Module)> _pendingAugments = [];
    private readonly HashSet<YangModule> _augmentsQueued = new(ReferenceEqualityComparer.Instance);

    private void QueueAugments(YangModule module)
    {
        if (!_augmentsQueued.Add(module)) return;
        foreach (var file in _filesOf[module])
            foreach (var a in file.Root.FindAll("augment")) _pendingAugments.Add((a, module));
    }

    /// <summary>Makes a module implemented during compilation: its augments (and deviations) then apply too.</summary>
    private void Implement(YangModule module)
    {
        if (module.Implemented) return;
        module.Implemented = true;
        QueueAugments(module);
    }

    private void ApplyUsesAugment(Statement aug, List<SchemaNode> roots, NodeScope scope)
    {
        var target = FindDescendant(aug, aug.Argument ?? "", roots);
        if (target is null)
        {
            Error(aug, $"augment target \"{aug.Argument}\" not found in the grouping");
            return;
        }
        ApplyAugmentContent(aug, target, scope.Namespace, scope.InGrouping);
    }

    private void ApplyAugment(Statement aug, SchemaNode target, YangModule augmenting)
    {
        if (!ReferenceEquals(target.Module, augmenting) && !target.Module.AugmentedBy.Contains(augmenting))
            target.Module.AugmentedBy.Add(augmenting);
        ApplyAugmentContent(aug, target, augmenting, false);
    }

    private void ApplyAugmentContent(Statement aug, SchemaNode target, YangModule ns, bool inGrouping)
    {
        if (!IfFeaturesHold(aug)) return;
        if (target.Kind is SchemaNodeKind.Leaf or SchemaNodeKind.LeafList or SchemaNodeKind.AnyData or SchemaNodeKind.AnyXml)
        {
            Error(aug, $"augment target \"{aug.Argument}\" is a {target.Kind.ToString().ToLowerInvariant()}, which cannot have children");
            return;
        }
        if (target.Kind is SchemaNodeKind.Rpc or SchemaNodeKind.Action)
        {
            Error(aug, $"augment target \"{aug.Argument}\" is an operation: augment its input or output");
            return;
        }
        var inOperation = false;
        for (var p = target; p is not null; p = p.Parent)
            if (p.Kind is SchemaNodeKind.Rpc or SchemaNodeKind.Action or SchemaNodeKind.Notification) inOperation = true;
        var scope = new NodeScope(ns, target.Config, inOperation, inGrouping, aug);
        var before = target.Children.Count;
        if (target.Kind == SchemaNodeKind.Choice)
        {
            var choice = (ChoiceSchema)target;
            foreach (var c in aug.Children)
            {
                if (c.IsExtension) continue;
                if (c.Keyword == "case") CompileStatement(c, choice, scope, null);
                else if (c.Keyword is "container" or "leaf" or "leaf-list" or "list" or "anydata" or "anyxml" or "choice")
                {
                    if (!IfFeaturesHold(c)) continue;
                    var cs = new CaseSchema(c.Argument ?? "", ns) { IsShorthand = true, Location = c.Location, Definition = c, Config = target.Config };
                    choice.AddChild(cs);
                    CompileStatement(c, cs, scope, null);
                }
                else if (c.Keyword == "uses") Error(c, "uses is not allowed directly inside an augment of a choice");
            }
        }
        else
        {
            foreach (var c in aug.Children)
            {
                if (c.IsExtension) continue;
                if (c.Keyword == "case")
                {
                    Error(c, "case is only allowed in an augment whose target is a choice");
                    continue;
                }
                if (DataDefKeywords.Contains(c.Keyword) || c.Keyword is "action" or "notification")
                    CompileStatement(c, target, scope, null);
            }
        }
        var whens = CompileWhens(aug, [], contextIsParent: true);
        for (var i = before; i < target.Children.Count; i++)
        {
            var n = target.Children[i];
            if (whens.Count > 0) n.Whens = [.. whens, .. n.Whens];
        }
        var owner = target.Kind is SchemaNodeKind.Choice ? target.DataParent : target;
        CheckDuplicates(owner?.Children ?? target.Children, aug);
    }

    /// <summary>Resolves <c>/p:a/p:b</c> (schema node ids name choice, case, input and output explicitly).</summary>
    private SchemaNode? ResolveAbsoluteSchemaNodeId(Statement at, string path, out string? why, bool implement = false)
    {
        why = null;
        var text = path.Trim();
        if (!text.StartsWith('/'))
        {
            why = "the target must be an absolute schema node identifier";
            return null;
        }
        SchemaNode? current = null;
        foreach (var raw in text.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var (prefix, name) = SplitQName(raw.Trim());
            var module = ModuleForPrefix(at, prefix);
            if (module is null)
            {
                why = $"unknown prefix \"{prefix}\"";
                return null;
            }
            if (implement && !module.Implemented) Implement(module);
            IReadOnlyList<SchemaNode> level = current is null ? module.TopLevel : current.Children;
            SchemaNode? next = null;
            foreach (var n in level)
            {
                if (n.Name == name && ReferenceEquals(n.Module, module) || (n.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output && n.Name == name))
                {
                    next = n;
                    break;
                }
            }
            if (next is null) return null;
            current = next;
        }
        return current;
    }
}
