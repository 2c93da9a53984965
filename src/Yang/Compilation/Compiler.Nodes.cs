using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Compilation;

internal sealed partial class Compiler
{
    /// <summary>Where a node is being compiled: the namespace it joins and what it sits inside.</summary>
    private readonly record struct NodeScope(YangModule Namespace, bool ParentConfig, bool InOperation, bool InGrouping, Statement? Augment);

    private readonly List<Statement> _groupingStack = [];

    private static readonly HashSet<string> DataDefKeywords =
        ["container", "leaf", "leaf-list", "list", "choice", "anydata", "anyxml", "uses"];

    private void CompileDataTree(ModuleSource src)
    {
        var module = src.Module;
        var scope = new NodeScope(module, true, false, false, null);
        foreach (var file in _filesOf[module])
        {
            foreach (var s in file.Root.Children)
            {
                if (s.IsExtension) continue;
                if (DataDefKeywords.Contains(s.Keyword) || s.Keyword is "rpc" or "notification")
                    CompileStatement(s, null, scope, module.TopLevel);
                else if (s.Keyword == "grouping")
                    CheckGroupingDefinition(s);
            }
        }
        CheckDuplicates(module.TopLevel, src.Root);
    }

    /// <summary>Groupings that are never used must still be valid; compile them once into a scratch parent.</summary>
    private void CheckGroupingDefinition(Statement grouping)
    {
        // Checked at the end, and only when no uses expanded it (an expansion already checked it).
        _groupingsToCheck.Add(grouping);
    }

    private readonly List<Statement> _groupingsToCheck = [];
    private readonly HashSet<Statement> _groupingsUsed = new(ReferenceEqualityComparer.Instance);

    /// <summary>Compiles each never-used grouping of an implemented module once, so its errors are found (like libyang).</summary>
    private void CheckUnusedGroupings()
    {
        for (var i = 0; i < _groupingsToCheck.Count; i++)
        {
            var g = _groupingsToCheck[i];
            if (!_groupingsUsed.Contains(g)) CheckUnusedGrouping(g);
        }
    }

    private void CheckUnusedGrouping(Statement grouping)
    {
        if (_groupingStack.Contains(grouping) || !SourceOf(grouping).Module.Implemented) return;
        _groupingsUsed.Add(grouping);
        _groupingStack.Add(grouping);
        var scratch = new ContainerSchema("(grouping)", SourceOf(grouping).Module);
        var before = _leafrefs.Count;
        foreach (var c in grouping.Children)
            if (!c.IsExtension && (DataDefKeywords.Contains(c.Keyword) || c.Keyword is "action" or "notification"))
                CompileStatement(c, scratch, new NodeScope(scratch.Module, true, false, true, null), null);
        // Leafrefs inside an unused grouping cannot be resolved against a real tree.
        _leafrefs.RemoveRange(before, _leafrefs.Count - before);
        _groupingStack.RemoveAt(_groupingStack.Count - 1);
    }

    /// <summary>Compiles one statement into <paramref name="parent"/> (or into <paramref name="topLevel"/> when parent is null).</summary>
    private void CompileStatement(Statement s, SchemaNode? parent, NodeScope scope, List<SchemaNode>? topLevel)
    {
        if (s.Keyword == "uses")
        {
            ExpandUses(s, parent, scope, topLevel);
            return;
        }
        if (!IfFeaturesHold(s)) return;
        var node = CreateNode(s, parent, scope);
        if (node is null) return;
        if (parent is not null) parent.AddChild(node);
        else topLevel?.Add(node);
        FinishNode(node, s, parent, scope);
    }

    private SchemaNode? CreateNode(Statement s, SchemaNode? parent, NodeScope scope)
    {
        var name = s.Argument ?? "";
        var ns = scope.Namespace;
        SchemaNode? node = s.Keyword switch
        {
            "container" => new ContainerSchema(name, ns) { Presence = s.ArgOf("presence") },
            "leaf" => new LeafSchema(name, ns),
            "leaf-list" => new LeafListSchema(name, ns),
            "list" => new ListSchema(name, ns),
            "choice" => new ChoiceSchema(name, ns),
            "case" => new CaseSchema(name, ns),
            "anydata" => new AnySchema(SchemaNodeKind.AnyData, name, ns),
            "anyxml" => new AnySchema(SchemaNodeKind.AnyXml, name, ns),
            "rpc" => new OperationSchema(SchemaNodeKind.Rpc, name, ns),
            "action" => new OperationSchema(SchemaNodeKind.Action, name, ns),
            "notification" => new NotificationSchema(name, ns),
            _ => null,
        };
        if (node is null) return null;
        if (s.Keyword is "rpc" && parent is not null) Error(s, "rpc is only allowed at the top level of a module");
        if (s.Keyword is "action" or "notification" && parent is not null && !scope.InGrouping)
        {
            for (var p = parent; p is not null; p = p.Parent)
                if (p.Kind is SchemaNodeKind.Rpc or SchemaNodeKind.Action or SchemaNodeKind.Notification)
                {
                    Error(s, $"{s.Keyword} \"{name}\" cannot be nested inside an rpc, action or notification");
                    break;
                }
        }
        if (s.Keyword is "action" && parent is null) Error(s, "action is not allowed at the top level (use rpc)");
        if (s.Keyword is "action" or "anydata" || (s.Keyword == "notification" && parent is not null))
            if (SourceOf(s).Module.YangVersion != "1.1") Error(s, $"{s.Keyword} {(parent is null ? "" : "inside a data node ")}requires YANG 1.1");
        if (!IsIdentifier(name)) Error(s, $"invalid identifier \"{name}\"");
        node.Location = s.Location;
        node.Definition = s;
        node.Description = s.ArgOf("description");
        node.Reference = s.ArgOf("reference");
        node.Status = ParseStatus(s);
        return node;
    }

    private static bool IsIdentifier(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiLetter(s[0]) || s[0] == '_')) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) return false;
        return !s.StartsWith("xml", StringComparison.OrdinalIgnoreCase) || true;
    }

    /// <summary>Properties, constraints and children of a node just added to the tree.</summary>
    private void FinishNode(SchemaNode node, Statement s, SchemaNode? parent, NodeScope scope)
    {
        // config (RFC 7950 §7.21.1)
        var inOperation = scope.InOperation || node.Kind is SchemaNodeKind.Rpc or SchemaNodeKind.Action or SchemaNodeKind.Notification;
        var configStmt = s.Find("config");
        if (inOperation)
        {
            node.Config = false;
        }
        else if (configStmt is not null)
        {
            if (configStmt.Argument is not ("true" or "false")) Error(configStmt, $"invalid config value \"{configStmt.Argument}\"");
            var value = configStmt.Argument != "false";
            if (value && !scope.ParentConfig && !scope.InGrouping) Error(configStmt, $"\"{node.Name}\" cannot be config true inside a config false node");
            node.Config = value && scope.ParentConfig;
        }
        else
        {
            node.Config = scope.ParentConfig;
        }

        node.Whens = CompileWhens(s, node.Whens);
        node.Musts = CompileMusts(s);
        node.Extensions = CompileExtensions(s);

        var childScope = scope with { ParentConfig = node.Config, InOperation = inOperation };
        switch (node)
        {
            case LeafSchema leaf:
                CompileLeaf(leaf, s);
                break;
            case LeafListSchema ll:
                CompileLeafList(ll, s);
                break;
            case ListSchema list:
                CompileChildren(s, list, childScope);
                CompileListHeader(list, s);
                break;
            case ContainerSchema c:
                if (c.Presence is not null && s.Find("presence") is { } p && p.Argument is null) Error(p, "presence needs an argument");
                CompileChildren(s, c, childScope);
                break;
            case ChoiceSchema choice:
                CompileChoice(choice, s, childScope);
                break;
            case CaseSchema cs:
                CompileChildren(s, cs, childScope);
                break;
            case AnySchema any:
                any.Mandatory = ParseMandatory(s);
                break;
            case OperationSchema op:
                CompileOperation(op, s, childScope);
                break;
            case NotificationSchema n:
                CompileChildren(s, n, childScope);
                break;
        }
        if (node.IsInner || node.Kind == SchemaNodeKind.Case) CheckDuplicates(node.Children, s);
    }

    private bool ParseMandatory(Statement s)
    {
        var m = s.Find("mandatory");
        if (m is null) return false;
        if (m.Argument is not ("true" or "false")) Error(m, $"invalid mandatory value \"{m.Argument}\"");
        return m.Argument == "true";
    }

    private void CompileChildren(Statement s, SchemaNode parent, NodeScope scope)
    {
        foreach (var c in s.Children)
        {
            if (c.IsExtension) continue;
            if (DataDefKeywords.Contains(c.Keyword) || c.Keyword is "action" or "notification")
                CompileStatement(c, parent, scope, null);
            else if (c.Keyword == "grouping")
                CheckGroupingDefinition(c);
            else if (c.Keyword == "typedef")
                CheckNestedTypedef(c);
            else if (c.Keyword == "rpc")
                Error(c, $"rpc \"{c.Argument}\" is only allowed at the top level of a module");
        }
    }

    private void CheckNestedTypedef(Statement td)
    {
        var name = td.Argument ?? "";
        if (BuiltinNames.ContainsKey(name)) Error(td, $"typedef \"{name}\" uses the name of a built-in type");
        // A nested typedef may not shadow one of an enclosing scope (RFC 7950 §6.2.1).
        for (var a = td.Parent?.Parent; a is not null; a = a.Parent)
            foreach (var c in a.Children)
                if (!ReferenceEquals(c, td) && !c.IsExtension && c.Keyword == "typedef" && c.Argument == name && a.Parent is not null)
                    Error(td, $"typedef \"{name}\" shadows a typedef of an enclosing scope");
        CompileTypedef(td);
    }

    private void CompileLeaf(LeafSchema leaf, Statement s)
    {
        var typeStmt = s.Find("type");
        if (typeStmt is null)
        {
            Error(s, $"leaf \"{leaf.Name}\" has no type");
            leaf.Type = PlainBuiltins[BuiltinType.String];
        }
        else
        {
            leaf.Type = CompileType(typeStmt, leaf);
        }
        leaf.Units = s.ArgOf("units") ?? leaf.Type.Units;
        leaf.Mandatory = ParseMandatory(s);
        var def = s.Find("default");
        if (def is not null)
        {
            if (leaf.Mandatory) Error(def, $"leaf \"{leaf.Name}\" cannot be mandatory and have a default");
            _pendingDefaults.Add((leaf, def));
        }
        else
        {
            leaf.Default = leaf.Type.Default;
        }
    }

    private void CompileLeafList(LeafListSchema ll, Statement s)
    {
        var typeStmt = s.Find("type");
        if (typeStmt is null)
        {
            Error(s, $"leaf-list \"{ll.Name}\" has no type");
            ll.Type = PlainBuiltins[BuiltinType.String];
        }
        else
        {
            ll.Type = CompileType(typeStmt, ll);
        }
        ll.Units = s.ArgOf("units") ?? ll.Type.Units;
        ReadElementCounts(s, out var min, out var max);
        ll.MinElements = min;
        ll.MaxElements = max;
        ll.OrderedByUser = ReadOrderedBy(s);
        foreach (var def in s.FindAll("default"))
        {
            if (SourceOf(def).Module.YangVersion != "1.1") Error(def, "a leaf-list default requires YANG 1.1");
            _pendingLeafListDefaults.Add((ll, def));
        }
        if (ll.Type.Default is not null && s.Find("default") is null && min == 0) ll.Defaults = [ll.Type.Default];
    }

    private readonly List<(LeafSchema, Statement)> _pendingDefaults = [];
    private readonly List<(LeafListSchema, Statement)> _pendingLeafListDefaults = [];

    private void ReadElementCounts(Statement s, out uint min, out uint max)
    {
        min = 0;
        max = uint.MaxValue;
        var minS = s.Find("min-elements");
        if (minS is not null && !uint.TryParse(minS.Argument, System.Globalization.NumberStyles.None, null, out min))
            Error(minS, $"invalid min-elements \"{minS.Argument}\"");
        var maxS = s.Find("max-elements");
        if (maxS is not null && maxS.Argument != "unbounded")
        {
            if (!uint.TryParse(maxS.Argument, System.Globalization.NumberStyles.None, null, out max) || max == 0)
            {
                Error(maxS, $"invalid max-elements \"{maxS.Argument}\"");
                max = uint.MaxValue;
            }
        }
        if (min > max) Error(minS ?? s, $"min-elements {min} is greater than max-elements {max}");
    }

    private bool ReadOrderedBy(Statement s)
    {
        var o = s.Find("ordered-by");
        if (o is null) return false;
        if (o.Argument is not ("user" or "system")) Error(o, $"invalid ordered-by \"{o.Argument}\"");
        return o.Argument == "user";
    }

    private void CompileListHeader(ListSchema list, Statement s)
    {
        ReadElementCounts(s, out var min, out var max);
        list.MinElements = min;
        list.MaxElements = max;
        list.OrderedByUser = ReadOrderedBy(s);
        _pendingLists.Add((list, s));
    }

    private readonly List<(ListSchema, Statement)> _pendingLists = [];

    private void CompileChoice(ChoiceSchema choice, Statement s, NodeScope scope)
    {
        choice.Mandatory = ParseMandatory(s);
        foreach (var c in s.Children)
        {
            if (c.IsExtension) continue;
            if (c.Keyword == "case")
            {
                CompileStatement(c, choice, scope, null);
            }
            else if (c.Keyword is "container" or "leaf" or "leaf-list" or "list" or "anydata" or "anyxml" or "choice")
            {
                // Shorthand case (RFC 7950 §7.9.2): an implicit case named after the node.
                if (!IfFeaturesHold(c)) continue;
                var cs = new CaseSchema(c.Argument ?? "", scope.Namespace)
                {
                    IsShorthand = true, Location = c.Location, Definition = c,
                    Config = scope.ParentConfig, Status = ParseStatus(c),
                };
                choice.AddChild(cs);
                CompileStatement(c, cs, scope, null);
            }
            else if (c.Keyword == "uses")
            {
                Error(c, "uses is not allowed directly inside a choice (put it in a case)");
            }
        }
        var def = s.Find("default");
        if (def is not null) _pendingChoiceDefaults.Add((choice, def));
    }

    private readonly List<(ChoiceSchema, Statement)> _pendingChoiceDefaults = [];

    private void CompileOperation(OperationSchema op, Statement s, NodeScope scope)
    {
        var input = new OperationIoSchema(SchemaNodeKind.Input, scope.Namespace) { Config = false, Location = s.Location };
        var output = new OperationIoSchema(SchemaNodeKind.Output, scope.Namespace) { Config = false, Location = s.Location };
        op.AddChild(input);
        op.AddChild(output);
        op.Input = input;
        op.Output = output;
        foreach (var c in s.Children)
        {
            if (c.IsExtension) continue;
            if (c.Keyword == "input" || c.Keyword == "output")
            {
                var io = c.Keyword == "input" ? input : output;
                io.Definition = c;
                io.Location = c.Location;
                io.Musts = CompileMusts(c);
                CompileChildren(c, io, scope);
                CheckDuplicates(io.Children, c);
            }
            else if (c.Keyword == "grouping") CheckGroupingDefinition(c);
            else if (c.Keyword == "typedef") CheckNestedTypedef(c);
        }
    }

    private void ExpandUses(Statement uses, SchemaNode? parent, NodeScope scope, List<SchemaNode>? topLevel)
    {
        if (!IfFeaturesHold(uses)) return;
        var (prefix, name) = SplitQName(uses.Argument ?? "");
        if (prefix is not null && ModuleForPrefix(uses, prefix) is null)
        {
            Error(uses, $"unknown prefix \"{prefix}\" in uses \"{uses.Argument}\"");
            return;
        }
        var grouping = FindGroupingStatement(uses, prefix, name);
        if (grouping is null)
        {
            Error(uses, $"grouping \"{uses.Argument}\" not found");
            return;
        }
        if (_groupingStack.Contains(grouping))
        {
            Error(uses, $"grouping \"{grouping.Argument}\" uses itself (circular grouping)");
            return;
        }
        _groupingStack.Add(grouping);
        _groupingsUsed.Add(grouping);
        var before = parent is null ? topLevel!.Count : parent.Children.Count;
        var usesWhen = CompileWhens(uses, [], contextIsParent: true);
        foreach (var c in grouping.Children)
        {
            if (c.IsExtension) continue;
            if (DataDefKeywords.Contains(c.Keyword) || c.Keyword is "action" or "notification")
                CompileStatement(c, parent, scope, topLevel);
            else if (c.Keyword == "grouping") CheckGroupingDefinition(c);
            else if (c.Keyword == "typedef") CheckNestedTypedef(c);
        }
        _groupingStack.RemoveAt(_groupingStack.Count - 1);

        var added = new List<SchemaNode>();
        if (parent is null) added.AddRange(topLevel!.Skip(before));
        else for (var i = before; i < parent.Children.Count; i++) added.Add(parent.Children[i]);
        foreach (var n in added)
        {
            if (usesWhen.Count > 0) n.Whens = [.. usesWhen, .. n.Whens];
            if (n.Status == SchemaStatus.Current) n.Status = ParseStatus(uses);
        }

        // uses-augments first: refines may name the nodes they add.
        foreach (var aug in uses.FindAll("augment")) ApplyUsesAugment(aug, added, scope);
        foreach (var refine in uses.FindAll("refine")) ApplyRefine(refine, added, scope);
    }


    private Statement? FindGroupingStatement(Statement from, string? prefix, string name)
    {
        var own = SourceOf(from).Module;
        var module = ModuleForPrefix(from, prefix);
        if (module is null) return null;
        if (ReferenceEquals(module, own))
        {
            for (var a = from.Parent; a is not null; a = a.Parent)
            {
                if (a.Parent is null) break;
                foreach (var c in a.Children)
                    if (!c.IsExtension && c.Keyword == "grouping" && c.Argument == name) return c;
            }
        }
        return TopLevelDefinition(module, "grouping", name);
    }

    /// <summary>Finds a descendant schema node id (<c>a/b:c</c>) among <paramref name="roots"/> (the nodes a uses added).</summary>
    private SchemaNode? FindDescendant(Statement at, string path, IReadOnlyList<SchemaNode> roots)
    {
        var parts = path.Trim().Split('/', StringSplitOptions.RemoveEmptyEntries);
        IReadOnlyList<SchemaNode> level = roots;
        SchemaNode? found = null;
        foreach (var part in parts)
        {
            var (prefix, name) = SplitQName(part.Trim());
            var module = ModuleForPrefix(at, prefix);
            if (module is null) return null;
            found = null;
            foreach (var n in level)
            {
                if (n.Name == name && (ReferenceEquals(n.Module, module) || prefix is null || n.Module.Name == module.Name || IsSameNamespaceForGrouping(n, module)))
                {
                    found = n;
                    break;
                }
            }
            if (found is null) return null;
            level = found.Children;
        }
        return found;
    }

    /// <summary>Nodes expanded from a grouping take the using module's namespace, while refine paths use the grouping module's prefixes.</summary>
    private static bool IsSameNamespaceForGrouping(SchemaNode n, YangModule module) => false;

    private void ApplyRefine(Statement refine, List<SchemaNode> roots, NodeScope scope)
    {
        if (!IfFeaturesHold(refine)) return;
        var target = FindDescendant(refine, refine.Argument ?? "", roots);
        if (target is null)
        {
            Error(refine, $"refine target \"{refine.Argument}\" not found in the grouping");
            return;
        }
        foreach (var c in refine.Children)
        {
            if (c.IsExtension) continue;
            switch (c.Keyword)
            {
                case "description": target.Description = c.Argument; break;
                case "reference": target.Reference = c.Argument; break;
                case "config":
                    var value = c.Argument != "false";
                    target.Config = value && (target.Parent?.Config ?? true);
                    if (!value) SetConfigFalse(target);
                    break;
                case "default":
                    switch (target)
                    {
                        case LeafSchema l: _pendingDefaults.Add((l, c)); break;
                        case LeafListSchema ll: _pendingLeafListDefaults.Add((ll, c)); ll.Defaults = []; break;
                        case ChoiceSchema ch: _pendingChoiceDefaults.Add((ch, c)); break;
                        default: Error(c, $"default cannot be refined on {target.Kind} \"{target.Name}\""); break;
                    }
                    break;
                case "mandatory":
                    var m = c.Argument == "true";
                    switch (target)
                    {
                        case LeafSchema l: l.Mandatory = m; break;
                        case ChoiceSchema ch: ch.Mandatory = m; break;
                        case AnySchema a: a.Mandatory = m; break;
                        default: Error(c, $"mandatory cannot be refined on {target.Kind} \"{target.Name}\""); break;
                    }
                    break;
                case "presence":
                    if (target is ContainerSchema cont) cont.Presence = c.Argument;
                    else Error(c, $"presence cannot be refined on {target.Kind} \"{target.Name}\"");
                    break;
                case "min-elements" or "max-elements":
                    ReadElementCounts(refine, out var min, out var max);
                    if (target is ListSchema list)
                    {
                        if (refine.Find("min-elements") is not null) list.MinElements = min;
                        if (refine.Find("max-elements") is not null) list.MaxElements = max;
                    }
                    else if (target is LeafListSchema lls)
                    {
                        if (refine.Find("min-elements") is not null) lls.MinElements = min;
                        if (refine.Find("max-elements") is not null) lls.MaxElements = max;
                    }
                    else Error(c, $"{c.Keyword} cannot be refined on {target.Kind} \"{target.Name}\"");
                    break;
                case "must":
                    target.Musts = [.. target.Musts, .. CompileMusts(refine)];
                    break;
                case "if-feature":
                    if (!EvaluateIfFeature(c)) target.Parent?.RemoveChild(target);
                    break;
                case "units":
                    if (target is LeafSchema lu) lu.Units = c.Argument;
                    else if (target is LeafListSchema llu) llu.Units = c.Argument;
                    break;
            }
        }
    }

    private static void SetConfigFalse(SchemaNode n)
    {
        n.Config = false;
        foreach (var c in n.Children) SetConfigFalse(c);
    }

    private IReadOnlyList<WhenCondition> CompileWhens(Statement s, IReadOnlyList<WhenCondition> existing, bool contextIsParent = false)
    {
        if (s.Find("when") is null) return existing; // most nodes: no list of their own
        var list = new List<WhenCondition>(existing);
        foreach (var w in s.FindAll("when"))
        {
            if (!CheckXPathSyntax(w)) continue;
            var isParentContext = contextIsParent || s.Keyword is "choice" or "case" or "augment" or "uses";
            list.Add(new WhenCondition(new UnparsedXPath(w.Argument ?? "", PrefixesOf(w)), w.Argument ?? "", isParentContext, w.Location, w.ArgOf("description")));
        }
        return list;
    }

    private IReadOnlyList<MustConstraint> CompileMusts(Statement s)
    {
        List<MustConstraint>? list = null;
        foreach (var m in s.FindAll("must"))
        {
            if (!CheckXPathSyntax(m)) continue;
            (list ??= []).Add(new MustConstraint(new UnparsedXPath(m.Argument ?? "", PrefixesOf(m)), m.Argument ?? "",
                m.ArgOf("error-message"), m.ArgOf("error-app-tag"), m.Location, m.ArgOf("description")));
        }
        return (IReadOnlyList<MustConstraint>?)list ?? Array.Empty<MustConstraint>();
    }

    /// <summary>Parses a when/must expression once at compile time: syntax, function arity and prefixes are checked here.</summary>
    private bool CheckXPathSyntax(Statement s)
    {
        var text = s.Argument ?? "";
        try
        {
            XPathParser.Parse(text, new CompileTimePrefixes(this, s));
            return true;
        }
        catch (XPathSyntaxException e)
        {
            Error(s, $"invalid XPath \"{text}\": {e.Message}");
            return false;
        }
    }

    /// <summary>Prefixes of the statement's file; unprefixed names stay unbound (their namespace is the context node's).</summary>
    private sealed class CompileTimePrefixes(Compiler compiler, Statement at) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) => string.IsNullOrEmpty(prefix) ? null : compiler.ModuleForPrefix(at, prefix);
    }

    private IReadOnlyList<ExtensionInstance> CompileExtensions(Statement s)
    {
        List<ExtensionInstance>? list = null;
        foreach (var c in s.Children)
        {
            if (!c.IsExtension) continue;
            // Unknown prefixes and undefined extensions are reported by CheckExtensionUsages.
            var module = ModuleForPrefix(c, c.Prefix);
            if (module is not null && module.ExtensionDefinitions.TryGetValue(c.Keyword, out var def))
                (list ??= []).Add(new ExtensionInstance(def, c.Argument, c));
        }
        return (IReadOnlyList<ExtensionInstance>?)list ?? Array.Empty<ExtensionInstance>();
    }

    /// <summary>Sibling data nodes (through choice/case) may not share a name in one namespace; nor may sibling cases.</summary>
    private void CheckDuplicates(List<SchemaNode> children, Statement at) => CheckDuplicates(new ListView<SchemaNode>(children), at);

    // Called for every inner node of every module: the siblings are gathered into a list kept for the next call,
    // and a few are compared pairwise (a set per node was most of what compiling made and threw away).
    private readonly List<SchemaNode> _siblings = [];
    private readonly HashSet<(YangModule, string)> _siblingNames = [];
    private const int ComparedPairwise = 32;

    private void CheckDuplicates(ListView<SchemaNode> children, Statement at)
    {
        if (children.Count < 2) return;
        var siblings = _siblings;
        siblings.Clear();
        Gather(children, siblings);
        if (siblings.Count <= ComparedPairwise)
        {
            for (var i = 1; i < siblings.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (ReferenceEquals(siblings[i].Module, siblings[j].Module) && siblings[i].Name == siblings[j].Name)
                    {
                        Duplicate(siblings[i]);
                        break;
                    }
                }
            }
        }
        else
        {
            _siblingNames.Clear();
            foreach (var c in siblings)
                if (!_siblingNames.Add((c.Module, c.Name))) Duplicate(c);
        }
        siblings.Clear();

        void Duplicate(SchemaNode c) => Error(c.Location, $"duplicate identifier \"{c.Name}\": a sibling node of that name already exists");

        // The data siblings in document order: through cases (transparent), choices with their own name too.
        static void Gather(ListView<SchemaNode> children, List<SchemaNode> into)
        {
            foreach (var c in children)
            {
                if (c.Kind == SchemaNodeKind.Case)
                {
                    Gather(c.Children, into);
                    continue;
                }
                if (c.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output) continue;
                into.Add(c);
                if (c.Kind == SchemaNodeKind.Choice) Gather(c.Children, into);
            }
        }
    }
}
