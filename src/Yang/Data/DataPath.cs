using System.Text;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>Prints instance paths like <c>/ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4</c> (RFC 7951 §6.11 style).</summary>
public static class DataPath
{
    public static string Of(DataNode node)
    {
        var chain = new List<DataNode>();
        for (DataNode? n = node; n is not null && n is not DataRoot; n = n.Parent) chain.Add(n);
        if (chain.Count == 0) return "/";
        var sb = new StringBuilder();
        YangModule? prev = null;
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            var n = chain[i];
            sb.Append('/');
            if (!ReferenceEquals(prev, n.Module)) sb.Append(n.Module.Name).Append(':');
            sb.Append(n.Name);
            prev = n.Module;
            if (n is DataInner e && n.Schema is ListSchema ls)
            {
                foreach (var k in ls.Keys)
                {
                    var v = (e.Find(k) as DataLeaf)?.Value;
                    if (v is null) continue;
                    sb.Append('[').Append(k.Name).Append('=');
                    AppendQuoted(sb, v);
                    sb.Append(']');
                }
            }
            else if (n is DataLeaf l && n.Schema.Kind == SchemaNodeKind.LeafList)
            {
                sb.Append("[.=");
                AppendQuoted(sb, l.Value);
                sb.Append(']');
            }
        }
        return sb.ToString();
    }

    private static void AppendQuoted(StringBuilder sb, string v)
    {
        var q = v.Contains('\'') ? '"' : '\'';
        sb.Append(q).Append(v).Append(q);
    }
}
