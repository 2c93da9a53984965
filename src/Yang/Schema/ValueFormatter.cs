using System.Text;

namespace Mgmt.Yang.Schema;

/// <summary>Canonical (RFC 7951 form) values → XML text, where module names become XML prefixes.</summary>
public static class ValueFormatter
{
    /// <summary>
    /// identityref <c>module:name</c> → <c>prefix:name</c>; instance-identifier: every node name gets the
    /// prefix of its module. <paramref name="declare"/> returns the XML prefix bound to a module.
    /// </summary>
    public static string ToXml(YangType type, string canonical, SchemaContext ctx, Func<YangModule, string> declare)
    {
        switch (type.Kind)
        {
            case BuiltinType.Identityref:
                return Qualified(canonical, ctx, declare) ?? canonical;
            case BuiltinType.InstanceIdentifier:
                return InstanceIdentifierToXml(canonical, ctx, declare);
            case BuiltinType.Union:
                // The member that produced the value decides; identityrefs and instance-identifiers are recognizable.
                foreach (var m in type.UnionMembers)
                {
                    if (ValueParser.TryParse(m, canonical, new ModuleNames(ctx), out _, out _))
                        return ToXml(m, canonical, ctx, declare);
                }
                return canonical;
            case BuiltinType.Leafref:
                var target = type.LeafrefTarget switch { LeafSchema l => l.Type, LeafListSchema ll => ll.Type, _ => null };
                return target is null ? canonical : ToXml(target, canonical, ctx, declare);
            default:
                return canonical;
        }
    }

    private static string? Qualified(string moduleQualified, SchemaContext ctx, Func<YangModule, string> declare)
    {
        var colon = moduleQualified.IndexOf(':');
        if (colon < 0) return null;
        var module = ctx.GetModule(moduleQualified[..colon]);
        return module is null ? null : declare(module) + ":" + moduleQualified[(colon + 1)..];
    }

    private static string InstanceIdentifierToXml(string canonical, SchemaContext ctx, Func<YangModule, string> declare)
    {
        var sb = new StringBuilder(canonical.Length + 16);
        YangModule? current = null;
        var i = 0;
        var afterSlashOrBracket = false;
        while (i < canonical.Length)
        {
            var c = canonical[i];
            if (c is '\'' or '"')
            {
                var close = canonical.IndexOf(c, i + 1);
                if (close < 0) close = canonical.Length - 1;
                sb.Append(canonical, i, close - i + 1);
                i = close + 1;
                afterSlashOrBracket = false;
                continue;
            }
            if ((char.IsAsciiLetter(c) || c == '_') && afterSlashOrBracket)
            {
                var start = i;
                while (i < canonical.Length && (char.IsAsciiLetterOrDigit(canonical[i]) || canonical[i] is '_' or '-' or '.')) i++;
                var word = canonical[start..i];
                string local;
                if (i < canonical.Length && canonical[i] == ':')
                {
                    current = ctx.GetModule(word) ?? current;
                    i++;
                    var ls = i;
                    while (i < canonical.Length && (char.IsAsciiLetterOrDigit(canonical[i]) || canonical[i] is '_' or '-' or '.')) i++;
                    local = canonical[ls..i];
                }
                else local = word;
                sb.Append(current is null ? "" : declare(current) + ":").Append(local);
                afterSlashOrBracket = false;
                continue;
            }
            afterSlashOrBracket = c is '/' or '[';
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }

    /// <summary>Resolves prefixes that are module names (RFC 7951 form).</summary>
    public sealed class ModuleNames(SchemaContext ctx) : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) => prefix is null ? null : ctx.GetModule(prefix);
    }
}
