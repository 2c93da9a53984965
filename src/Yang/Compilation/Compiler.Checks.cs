using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Compilation;

internal sealed partial class Compiler
{
    private bool _listsChecked;

    /// <summary>Checks that need the whole tree: keys, unique, choice defaults (once for all modules).</summary>
    private void CheckModule(ModuleSource src)
    {
        if (_listsChecked) return;
        _listsChecked = true;
        foreach (var (list, s) in _pendingLists) CheckList(list, s);
        foreach (var (list, u) in _pendingUniques) AddUnique(list, u);
        foreach (var (list, text) in _deletedUniques)
        {
            var kept = new List<UniqueConstraint>();
            foreach (var u in list.Uniques) if (string.Join(" ", u.Paths) != string.Join(" ", Split(text))) kept.Add(u);
            list.Uniques = kept;
        }
        foreach (var (choice, def) in _pendingChoiceDefaults) SetChoiceDefault(choice, def);
    }

    private static string[] Split(string s) => s.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);

    private void CheckList(ListSchema list, Statement s)
    {
        var keyStmt = s.Find("key");
        if (keyStmt is null)
        {
            if (list.Config && !IsInsideGroupingScratch(list)) Error(s, $"list \"{list.Name}\" is config true but has no key");
        }
        else
        {
            var keys = new List<LeafSchema>();
            foreach (var k in Split(keyStmt.Argument ?? ""))
            {
                var (prefix, name) = SplitQName(k);
                LeafSchema? leaf = null;
                foreach (var c in list.Children)
                    if (c is LeafSchema l && l.Name == name) leaf = l;
                if (leaf is null)
                {
                    Error(keyStmt, $"key \"{k}\" of list \"{list.Name}\" does not name a leaf of the list");
                    continue;
                }
                if (keys.Contains(leaf))
                {
                    Error(keyStmt, $"key \"{k}\" is listed twice in list \"{list.Name}\"");
                    continue;
                }
                if (leaf.Type.Kind == BuiltinType.Empty && SourceOf(keyStmt).Module.YangVersion != "1.1")
                    Error(keyStmt, $"key leaf \"{k}\" cannot be of type empty in YANG 1");
                if (leaf.Definition?.Find("config") is { } cfg && cfg.Argument != (list.Config ? "true" : "false") && list.Config)
                    Error(cfg, $"key leaf \"{k}\" must have the same config as its list \"{list.Name}\"");
                if (leaf.Whens.Count > 0 && leaf.Definition?.Find("when") is { } w) Error(w, $"key leaf \"{k}\" cannot have a when condition");
                leaf.IsKey = true;
                keys.Add(leaf);
            }
            list.Keys = [.. keys];
            // RFC 7950 §7.8.2: key leaves come first in the schema order of the list's children.
            for (var i = keys.Count - 1; i >= 0; i--)
            {
                list.RemoveChild(keys[i]);
                list.InsertChild(0, keys[i]);
            }
        }
        foreach (var u in s.FindAll("unique")) AddUnique(list, u);
    }

    private static bool IsInsideGroupingScratch(SchemaNode n)
    {
        for (var p = n; p is not null; p = p.Parent)
            if (p.Name == "(grouping)") return true;
        return false;
    }

    private void AddUnique(ListSchema list, Statement u)
    {
        var leaves = new List<LeafSchema>();
        var paths = Split(u.Argument ?? "");
        foreach (var path in paths)
        {
            SchemaNode? current = list;
            foreach (var step in path.Split('/'))
            {
                var (prefix, name) = SplitQName(step);
                current = current?.FindDataChild(name) ?? FindByName(current, name);
                if (current is null) break;
            }
            if (current is LeafSchema leaf) leaves.Add(leaf);
            else
            {
                Error(u, $"unique \"{path}\" of list \"{list.Name}\" does not name a descendant leaf");
                return;
            }
        }
        list.Uniques = [.. list.Uniques, new UniqueConstraint(leaves, paths, u.Location)];
    }

    private static SchemaNode? FindByName(SchemaNode? parent, string name)
    {
        if (parent is null) return null;
        foreach (var c in parent.DataChildren())
            if (c.Name == name) return c;
        return null;
    }

    private void SetChoiceDefault(ChoiceSchema choice, Statement def)
    {
        var (_, name) = SplitQName(def.Argument ?? "");
        CaseSchema? found = null;
        foreach (var c in choice.Cases)
            if (c.Name == name) found = c;
        if (found is null)
        {
            Error(def, $"default case \"{def.Argument}\" of choice \"{choice.Name}\" does not exist");
            return;
        }
        if (choice.Mandatory) Error(def, $"choice \"{choice.Name}\" cannot be mandatory and have a default case");
        if (HasMandatory(found)) Error(def, $"the default case \"{name}\" of choice \"{choice.Name}\" contains mandatory nodes");
        choice.DefaultCase = found;
    }

    private static bool HasMandatory(SchemaNode n)
    {
        foreach (var c in n.Children)
        {
            switch (c)
            {
                case LeafSchema { Mandatory: true }:
                case ChoiceSchema { Mandatory: true }:
                case AnySchema { Mandatory: true }:
                case ListSchema { MinElements: > 0 }:
                case LeafListSchema { MinElements: > 0 }:
                    return true;
                case ContainerSchema { IsPresence: false } or CaseSchema:
                    if (HasMandatory(c)) return true;
                    break;
            }
        }
        return false;
    }

    /// <summary>Resolves every leafref path to its target, then checks the defaults that depend on types.</summary>
    private void ResolveLeafrefs()
    {
        var seen = new HashSet<YangType>(ReferenceEqualityComparer.Instance);
        foreach (var (type, node, at) in _leafrefs)
        {
            if (type.LeafrefPath is not LeafrefPath path) continue;
            if (IsInsideGroupingScratch(node) || !node.Module.Implemented) continue;
            var target = ResolveLeafrefTarget(path, node);
            if (target is null)
            {
                Error(at, $"leafref path \"{path.Text}\" of \"{node.Name}\" does not point to an existing leaf or leaf-list");
                continue;
            }
            if (target.Kind is not (SchemaNodeKind.Leaf or SchemaNodeKind.LeafList))
            {
                Error(at, $"leafref path \"{path.Text}\" points to a {target.Kind.ToString().ToLowerInvariant()}, not a leaf or leaf-list");
                continue;
            }
            // A shared typedef type serves many leaves; its first resolved target stands for all (paths are the same).
            if (seen.Add(type) || type.LeafrefTarget is null) type.LeafrefTarget = target;
        }
        foreach (var (type, _, at) in _leafrefs)
            if (type.LeafrefTarget is not null && ReachesItself(type)) Error(at, "leafref path forms a loop of leafrefs");

        foreach (var (leaf, def) in _pendingDefaults)
        {
            if (_deletedDefaults.Contains(leaf) && def.Parent?.Keyword != "deviate") continue;
            if (IsInsideGroupingScratch(leaf) || !leaf.Module.Implemented) continue;
            if (ValueParser.TryParse(leaf.Type, def.Argument ?? "", PrefixesOf(def), out var canonical, out var error))
                leaf.Default = canonical;
            else
                Error(def, $"invalid default value \"{def.Argument}\" of leaf \"{leaf.Name}\": {error}");
        }
        var lists = new Dictionary<LeafListSchema, List<string>>(ReferenceEqualityComparer.Instance);
        foreach (var (ll, def) in _pendingLeafListDefaults)
        {
            if (IsInsideGroupingScratch(ll) || !ll.Module.Implemented) continue;
            if (!lists.TryGetValue(ll, out var values)) lists[ll] = values = [];
            if (ValueParser.TryParse(ll.Type, def.Argument ?? "", PrefixesOf(def), out var canonical, out var error))
                values.Add(canonical);
            else
                Error(def, $"invalid default value \"{def.Argument}\" of leaf-list \"{ll.Name}\": {error}");
        }
        foreach (var (ll, values) in lists) ll.Defaults = values;
    }

    private static bool ReachesItself(YangType type)
    {
        var t = type;
        for (var i = 0; i < 64; i++)
        {
            var target = t.LeafrefTarget switch { LeafSchema l => l.Type, LeafListSchema ll => ll.Type, _ => null };
            if (target is null || target.Kind != BuiltinType.Leafref) return false;
            if (ReferenceEquals(target, type)) return true;
            t = target;
        }
        return true;
    }

    private SchemaNode? ResolveLeafrefTarget(LeafrefPath path, SchemaNode node)
    {
        SchemaNode? current;
        if (path.IsAbsolute)
        {
            current = null;
        }
        else
        {
            current = node;
            for (var i = 0; i < path.UpCount; i++)
            {
                current = current?.DataParent ?? (current?.Parent?.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output ? current.Parent : null);
                if (current is null && i < path.UpCount - 1) return null;
            }
        }
        foreach (var step in path.Steps)
        {
            var module = step.Module ?? node.Module;
            if (current is null)
            {
                SchemaNode? found = null;
                foreach (var n in module.TopLevel)
                    if (n.Name == step.Name && n.IsDataNode) found = n;
                current = found;
            }
            else
            {
                current = current.FindDataChild(module, step.Name) ?? UniqueByName(current, step.Name);
            }
            if (current is null) return null;
        }
        return current;
    }

    /// <summary>Fallback for paths written in a grouping of one module and used in another: match by name when unambiguous.</summary>
    private static SchemaNode? UniqueByName(SchemaNode parent, string name)
    {
        SchemaNode? found = null;
        foreach (var c in parent.DataChildren())
        {
            if (c.Name != name) continue;
            if (found is not null) return null;
            found = c;
        }
        return found;
    }

}
