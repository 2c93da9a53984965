using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Nacm;

/// <summary>
/// A rule's data-node path (node-instance-identifier, RFC 8341 §3.2): <c>/prefix:name[key='value']/...</c>.
/// A path matches a data node that it names and every descendant of it. Prefixes are module names (JSON
/// form) or the modules' own prefixes; "/" names all data.
/// </summary>
public sealed class NacmPath
{
    private readonly Step[] _steps;

    private NacmPath(Step[] steps) => _steps = steps;

    private sealed record Step(YangModule? Module, string Name, IReadOnlyList<(string Key, string Value)> Predicates);

    public static NacmPath Parse(string text, SchemaContext ctx)
    {
        var steps = new List<Step>();
        var i = 0;
        var s = text.Trim();
        while (i < s.Length)
        {
            if (s[i] != '/') break;
            i++;
            var start = i;
            while (i < s.Length && s[i] is not ('/' or '[')) i++;
            var qname = s[start..i].Trim();
            if (qname.Length == 0) continue;
            var colon = qname.IndexOf(':');
            var module = colon < 0 ? null : Resolve(ctx, qname[..colon]);
            var name = colon < 0 ? qname : qname[(colon + 1)..];
            var predicates = new List<(string, string)>();
            while (i < s.Length && s[i] == '[')
            {
                var end = s.IndexOf(']', i);
                if (end < 0) end = s.Length - 1;
                var body = s[(i + 1)..end];
                var eq = body.IndexOf('=');
                if (eq > 0)
                {
                    var key = body[..eq].Trim();
                    var kc = key.IndexOf(':');
                    if (kc >= 0) key = key[(kc + 1)..];
                    predicates.Add((key, body[(eq + 1)..].Trim().Trim('\'', '"')));
                }
                i = end + 1;
            }
            steps.Add(new Step(module, name, predicates));
        }
        return new NacmPath([.. steps]);
    }

    private static YangModule? Resolve(SchemaContext ctx, string prefix) =>
        ctx.GetModule(prefix) ?? ctx.Modules.FirstOrDefault(m => m.Prefix == prefix);

    /// <summary>True when <paramref name="chain"/> (a node's instance ancestry from the top, itself last) is the path's node or below it.</summary>
    public bool Covers(ReadOnlySpan<DataNode> chain)
    {
        if (_steps.Length > chain.Length) return false;
        for (var i = 0; i < _steps.Length; i++)
        {
            var step = _steps[i];
            var node = chain[i];
            if (node.Name != step.Name || (step.Module is not null && !ReferenceEquals(step.Module, node.Module))) return false;
            foreach (var (key, value) in step.Predicates)
                if (node is not DataInner inner || inner.LeafValue(key) != value) return false;
        }
        return true;
    }
}
