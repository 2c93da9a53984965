using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Compilation;

internal sealed partial class Compiler
{
    /// <summary>Main modules by name: one revision of a module per context.</summary>
    private readonly Dictionary<string, ModuleSource> _mainByName = new(StringComparer.Ordinal);

    /// <summary>All sources of each module: the module file and every submodule it includes.</summary>
    private readonly Dictionary<YangModule, List<ModuleSource>> _filesOf = new(ReferenceEqualityComparer.Instance);

    /// <summary>Resolves a main module's imports (recursively) and includes; appends it to <see cref="_order"/> after its imports.</summary>
    private void Load(ModuleSource src, List<ModuleSource> stack)
    {
        if (src.ImportsResolved) return;
        if (stack.Contains(src))
        {
            var cycle = string.Join(" -> ", stack.SkipWhile(s => s != src).Select(s => s.Name).Append(src.Name));
            Error(stack[^1].Root, $"circular import: {cycle}");
            return;
        }
        if (_mainByName.TryGetValue(src.Name, out var other) && other != src)
        {
            // Two revisions of one module: keep the first, refer to it.
            Error(src.Root, $"module \"{src.Name}\" is loaded in two revisions ({other.Revision} and {src.Revision})");
            return;
        }
        _mainByName[src.Name] = src;
        stack.Add(src);

        var module = src.Module;
        module.Revision = src.Revision;
        module.FilePath = src.FilePath;
        module.Statement = src.Root;
        module.Namespace = src.Root.ArgOf("namespace") ?? "";
        module.Prefix = src.Root.ArgOf("prefix") ?? "";
        module.YangVersion = src.Root.ArgOf("yang-version") ?? "1";
        module.Organization = src.Root.ArgOf("organization");
        module.Contact = src.Root.ArgOf("contact");
        module.Description = src.Root.ArgOf("description");
        src.Owner = src;
        _sources[src.Root] = src;
        _filesOf[module] = [src];
        CheckHeader(src);
        if (module.Prefix.Length > 0) src.Prefixes[module.Prefix] = module;
        module.PrefixMap[module.Prefix] = module;

        ResolveImports(src, stack);
        ResolveIncludes(src, src, stack, []);
        src.ImportsResolved = true;
        stack.RemoveAt(stack.Count - 1);
        _order.Add(src);
    }

    private void CheckHeader(ModuleSource src)
    {
        var root = src.Root;
        if (!src.IsSubmodule)
        {
            if (root.Find("namespace") is null) Error(root, $"module \"{src.Name}\" has no namespace statement");
            if (root.Find("prefix") is null) Error(root, $"module \"{src.Name}\" has no prefix statement");
        }
        var version = root.Find("yang-version");
        if (version is not null && version.Argument is not ("1" or "1.1"))
            Error(version, $"invalid yang-version \"{version.Argument}\" (expected \"1\" or \"1.1\")");
        foreach (var rev in root.FindAll("revision"))
            if (!IsDate(rev.Argument)) Error(rev, $"invalid revision date \"{rev.Argument}\" (expected YYYY-MM-DD)");
    }

    private static bool IsDate(string? s) =>
        s is { Length: 10 } && s[4] == '-' && s[7] == '-' && DateOnly.TryParseExact(s, "yyyy-MM-dd", out _);

    private void ResolveImports(ModuleSource file, List<ModuleSource> stack)
    {
        var nearDir = file.FilePath is null ? null : Path.GetDirectoryName(file.FilePath);
        foreach (var imp in file.Root.FindAll("import"))
        {
            var name = imp.Argument ?? "";
            var prefix = imp.ArgOf("prefix");
            if (prefix is null)
            {
                Error(imp, $"import of \"{name}\" has no prefix");
                continue;
            }
            var revDate = imp.ArgOf("revision-date");
            var target = _repository.FindModule(name, revDate, nearDir);
            if (target is null || target.IsSubmodule)
            {
                Error(imp, $"imported module \"{name}\"{(revDate is null ? "" : "@" + revDate)} not found");
                continue;
            }
            if (_mainByName.TryGetValue(name, out var already) && already != target)
            {
                if (revDate is null || already.Revision == revDate) target = already;
                else
                {
                    Error(imp, $"import of \"{name}@{revDate}\" conflicts with revision {already.Revision} already in the context");
                    continue;
                }
            }
            if (stack.Contains(target))
            {
                var cycle = string.Join(" -> ", stack.SkipWhile(s => s != target).Select(s => s.Name).Append(target.Name));
                Error(imp, $"circular import: {cycle}");
                continue;
            }
            Load(target, stack);
            if (target.Module is null) continue;
            if (file.Prefixes.ContainsKey(prefix) && !ReferenceEquals(file.Prefixes[prefix], target.Module))
            {
                Error(imp, $"prefix \"{prefix}\" is already used in this module");
                continue;
            }
            file.Prefixes[prefix] = target.Module;
            if (!file.IsSubmodule)
            {
                file.Module.PrefixMap[prefix] = target.Module;
                file.Module.Imports.Add(new ModuleImport(prefix, target.Module, revDate));
            }
        }
    }

    private void ResolveIncludes(ModuleSource owner, ModuleSource file, List<ModuleSource> stack, List<ModuleSource> includeStack)
    {
        var nearDir = file.FilePath is null ? null : Path.GetDirectoryName(file.FilePath);
        foreach (var inc in file.Root.FindAll("include"))
        {
            var name = inc.Argument ?? "";
            var revDate = inc.ArgOf("revision-date");
            var sub = _repository.FindModule(name, revDate, nearDir);
            if (sub is null)
            {
                Error(inc, $"included submodule \"{name}\"{(revDate is null ? "" : "@" + revDate)} not found");
                continue;
            }
            if (!sub.IsSubmodule)
            {
                Error(inc, $"\"{name}\" is a module, not a submodule; it cannot be included");
                continue;
            }
            if (includeStack.Contains(sub) || sub == file)
            {
                Error(inc, $"circular include of submodule \"{name}\"");
                continue;
            }
            var files = _filesOf[owner.Module];
            if (files.Contains(sub)) continue; // YANG 1.1: submodules may include each other; load once.
            var belongs = sub.Root.Find("belongs-to");
            if (belongs is null || belongs.Argument != owner.Name)
            {
                Error(belongs ?? sub.Root, $"submodule \"{name}\" belongs to \"{belongs?.Argument}\", not to \"{owner.Name}\"");
                continue;
            }
            sub.Module = owner.Module;
            sub.Owner = owner;
            _sources[sub.Root] = sub;
            files.Add(sub);
            owner.Module.Submodules.Add(new SubmoduleInfo(sub.Name, sub.Revision, sub.FilePath, sub.Root));
            CheckHeader(sub);
            var bprefix = belongs.ArgOf("prefix");
            if (bprefix is null) Error(belongs, "belongs-to has no prefix");
            else sub.Prefixes[bprefix] = owner.Module;
            ResolveImports(sub, stack);
            includeStack.Add(sub);
            ResolveIncludes(owner, sub, stack, includeStack);
            includeStack.RemoveAt(includeStack.Count - 1);
            file.Includes.Add(sub);
        }
    }
}
