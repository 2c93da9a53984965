using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Compilation;

internal sealed partial class Compiler
{
    private readonly Dictionary<Feature, Statement> _featureStatements = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Identity, Statement> _identityStatements = new(ReferenceEqualityComparer.Instance);

    /// <summary>Features, identities and extensions of a module and all its submodules.</summary>
    private void DefineModule(ModuleSource src)
    {
        var module = src.Module;
        foreach (var file in _filesOf[module])
        {
            foreach (var s in file.Root.Children)
            {
                if (s.IsExtension) continue;
                switch (s.Keyword)
                {
                    case "feature":
                        var f = new Feature(s.Argument ?? "", module) { Description = s.ArgOf("description"), Location = s.Location };
                        if (!module.Features.TryAdd(f.Name, f)) Error(s, $"duplicate feature \"{f.Name}\"");
                        else _featureStatements[f] = s;
                        break;
                    case "identity":
                        var id = new Identity(s.Argument ?? "", module)
                        {
                            Description = s.ArgOf("description"),
                            Location = s.Location,
                            Status = ParseStatus(s),
                        };
                        if (!module.Identities.TryAdd(id.Name, id)) Error(s, $"duplicate identity \"{id.Name}\"");
                        else _identityStatements[id] = s;
                        break;
                    case "extension":
                        var ext = new ExtensionDefinition(s.Argument ?? "", module);
                        var arg = s.Find("argument");
                        if (arg is not null)
                        {
                            ext.ArgumentName = arg.Argument;
                            ext.YinElement = arg.ArgOf("yin-element") == "true";
                        }
                        if (!module.ExtensionDefinitions.TryAdd(ext.Name, ext)) Error(s, $"duplicate extension \"{ext.Name}\"");
                        break;
                }
            }
        }
    }

    /// <summary>Every extension statement anywhere in an implemented module must name a defined extension.</summary>
    private void CheckExtensionUsages(ModuleSource src)
    {
        if (!src.Module.Implemented) return;
        foreach (var file in _filesOf[src.Module]) CheckExtensionUsages(file.Root);
    }

    private void CheckExtensionUsages(Statement s)
    {
        foreach (var c in s.Children)
        {
            if (c.IsExtension)
            {
                var module = ModuleForPrefix(c, c.Prefix);
                if (module is null) Error(c, $"unknown prefix \"{c.Prefix}\" of extension statement \"{c.RawKeyword}\"");
                else if (!module.ExtensionDefinitions.ContainsKey(c.Keyword))
                    Error(c, $"extension \"{c.RawKeyword}\" is not defined in module {module.Name}");
                continue; // the content of an extension statement is the extension's business
            }
            if (c.Children.Count > 0) CheckExtensionUsages(c);
        }
    }

    private void ResolveIdentityBases(ModuleSource src)
    {
        foreach (var (id, stmt) in IdentitiesOf(src.Module))
        {
            foreach (var b in stmt.FindAll("base"))
            {
                var baseId = ResolveIdentity(b, b.Argument ?? "");
                if (baseId is null)
                {
                    Error(b, $"base identity \"{b.Argument}\" not found");
                    continue;
                }
                if (ReferenceEquals(baseId, id) || baseId.IsDerivedFrom(id))
                {
                    Error(b, $"identity \"{id.Name}\" is derived from itself (circular base)");
                    continue;
                }
                id.Bases.Add(baseId);
                baseId.Derived.Add(id);
            }
        }
    }

    private IEnumerable<(Identity, Statement)> IdentitiesOf(YangModule module)
    {
        foreach (var id in module.Identities.Values)
            if (_identityStatements.TryGetValue(id, out var s)) yield return (id, s);
    }

    /// <summary>Looks up <c>[prefix:]name</c> as an identity, prefixes as written in <paramref name="at"/>'s file.</summary>
    private Identity? ResolveIdentity(Statement at, string qname)
    {
        var (prefix, name) = SplitQName(qname);
        var module = ModuleForPrefix(at, prefix);
        return module?.Identities.GetValueOrDefault(name);
    }

    private void ResolveFeatures(ModuleSource src)
    {
        foreach (var f in src.Module.Features.Values)
        {
            if ((!_allFeatures && !_enabledFeatures.Contains((f.Module.Name, f.Name))) || DisabledFeatures.Contains((f.Module.Name, f.Name))) f.Enabled = false;
        }
        // A feature's own if-feature statements may disable it (evaluated after every module's selection).
        foreach (var f in src.Module.Features.Values)
            if (_featureStatements.TryGetValue(f, out var s) && !IfFeaturesHold(s)) f.Enabled = false;
    }

    /// <summary>True when every if-feature substatement of <paramref name="s"/> evaluates to true (RFC 7950 §7.20.2).</summary>
    private bool IfFeaturesHold(Statement s)
    {
        foreach (var c in s.Children)
        {
            if (c.IsExtension || c.Keyword != "if-feature") continue;
            if (!EvaluateIfFeature(c)) return false;
        }
        return true;
    }

    private bool EvaluateIfFeature(Statement stmt)
    {
        var text = stmt.Argument ?? "";
        var tokens = TokenizeIfFeature(text);
        var pos = 0;
        try
        {
            var v = ParseOr(tokens, ref pos, stmt);
            if (pos != tokens.Count) throw new FormatException($"unexpected \"{tokens[pos]}\"");
            return v;
        }
        catch (FormatException e)
        {
            Error(stmt, $"invalid if-feature expression \"{text}\": {e.Message}");
            return true;
        }
    }

    private static List<string> TokenizeIfFeature(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')')) i++;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    private bool ParseOr(List<string> t, ref int pos, Statement at)
    {
        var v = ParseAnd(t, ref pos, at);
        while (pos < t.Count && t[pos] == "or")
        {
            pos++;
            var r = ParseAnd(t, ref pos, at);
            v = v || r;
        }
        return v;
    }

    private bool ParseAnd(List<string> t, ref int pos, Statement at)
    {
        var v = ParseFactor(t, ref pos, at);
        while (pos < t.Count && t[pos] == "and")
        {
            pos++;
            var r = ParseFactor(t, ref pos, at);
            v = v && r;
        }
        return v;
    }

    private bool ParseFactor(List<string> t, ref int pos, Statement at)
    {
        if (pos >= t.Count) throw new FormatException("unexpected end of expression");
        var tok = t[pos++];
        if (tok == "not") return !ParseFactor(t, ref pos, at);
        if (tok == "(")
        {
            var v = ParseOr(t, ref pos, at);
            if (pos >= t.Count || t[pos] != ")") throw new FormatException("missing \")\"");
            pos++;
            return v;
        }
        if (tok is ")" or "and" or "or") throw new FormatException($"unexpected \"{tok}\"");
        var (prefix, name) = SplitQName(tok);
        var module = ModuleForPrefix(at, prefix);
        if (module is null) throw new FormatException($"unknown prefix \"{prefix}\"");
        if (!module.Features.TryGetValue(name, out var f)) throw new FormatException($"feature \"{tok}\" not found");
        return f.Enabled;
    }

    private static SchemaStatus ParseStatus(Statement s) => s.ArgOf("status") switch
    {
        "deprecated" => SchemaStatus.Deprecated,
        "obsolete" => SchemaStatus.Obsolete,
        _ => SchemaStatus.Current,
    };
}
