using System.Xml;
using System.Xml.Linq;
using Mgmt.Datastore;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// The NMDA operations (RFC 8526): &lt;get-data&gt; from any datastore with subtree or XPath filter,
/// config-filter, origin filters, max-depth, with-origin and with-defaults; &lt;edit-data&gt; of running or candidate.
/// Every node of the applied configuration has origin intended, or default where a default made it; state nodes carry none.
/// </summary>
internal sealed partial class NetconfSession
{
    public const string NmdaNs = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda";
    private const string DatastoresNs = "urn:ietf:params:xml:ns:yang:ietf-datastores";
    private const string OriginNs = "urn:ietf:params:xml:ns:yang:ietf-origin";

    private Action<XmlWriter> GetData(XElement op)
    {
        XNamespace ns = NmdaNs;
        var datastore = NmdaDatastore(op);
        var subtree = op.Element(ns + "subtree-filter");
        var xpath = op.Element(ns + "xpath-filter");
        if (subtree is not null && xpath is not null) throw RpcErrors.Protocol(ErrorTag.BadElement, "subtree-filter and xpath-filter exclude each other", "xpath-filter");
        Func<DataRoot, DataRoot> select = tree =>
            subtree is not null ? SubtreeFilter.Apply(tree, subtree)
            : xpath is not null ? XPathFilter.Apply(tree, new XElement(xpath.Name, new XAttribute("select", xpath.Value)).WithScopeOf(xpath))
            : tree.DeepClone();
        var ds = server.Datastores;
        var mode = WithDefaults(op);
        var tree = datastore == DatastoreName.Operational ? ds.ReadOperational(Info, select) : ds.ReadFor(Info, datastore, select, ReportsDefaults(mode));

        var configFilter = op.Element(ns + "config-filter")?.Value.Trim();
        if (configFilter is not null)
        {
            if (configFilter is not ("true" or "false")) throw Invalid("config-filter", configFilter);
            KeepConfig(tree, configFilter == "true");
        }
        var origins = op.Elements(ns + "origin-filter").Select(e => e.Value.Trim()).ToList();
        var negated = op.Elements(ns + "negated-origin-filter").Select(e => e.Value.Trim()).ToList();
        var withOrigin = op.Element(ns + "with-origin") is not null;
        if ((origins.Count > 0 || negated.Count > 0 || withOrigin) && datastore != DatastoreName.Operational)
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, "origin filters and with-origin apply to the operational datastore only", "with-origin");
        // Configuration nodes are of origin intended, or default where a default made them (RFC 8526 §3.1.1).
        if (origins.Count > 0 || negated.Count > 0)
            FilterOrigins(tree, origin => (origins.Count == 0 || origins.Exists(f => Admits(f, origin))) && !negated.Exists(f => Admits(f, origin)));
        if (op.Element(ns + "max-depth")?.Value.Trim() is { } depthText && depthText != "unbounded")
        {
            if (!ushort.TryParse(depthText, out var depth) || depth == 0) throw Invalid("max-depth", depthText);
            Trim(tree, depth);
        }
        return x =>
        {
            x.WriteStartElement("data", NmdaNs);
            if (withOrigin) x.WriteAttributeString("xmlns", "or", null, OriginNs);
            XmlDataWriter.Write(tree, x, new DataWriteOptions(WithDefaults: mode, Indent: false) { WithOrigin = withOrigin });
            x.WriteEndElement();
        };

        // derived-from-or-self over ietf-origin's identities: each is an origin, none derives from another.
        static bool Admits(string filter, string origin)
        {
            var name = filter[(filter.IndexOf(':') + 1)..];
            return name == origin || name == "origin";
        }
    }

    /// <summary>Drops the configuration nodes whose origin is not admitted, with what is below them; state stays.</summary>
    private static void FilterOrigins(DataInner node, Func<string, bool> admitted)
    {
        foreach (var c in node.Children.ToArray())
        {
            if (c.Schema.Config && !IsKey(c, node) && !admitted(c.IsDefault ? "default" : "intended")) node.Remove(c);
            else if (c is DataInner inner) FilterOrigins(inner, admitted);
        }
    }

    private void EditData(XElement op)
    {
        XNamespace ns = NmdaNs;
        var datastore = NmdaDatastore(op);
        if (datastore is not (DatastoreName.Running or DatastoreName.Candidate))
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"edit-data writes running or candidate, not {datastore.Wire()}", "datastore");
        var defaultOperation = op.Element(ns + "default-operation")?.Value.Trim() switch
        {
            null or "merge" => EditOperation.Merge,
            "replace" => EditOperation.Replace,
            "none" => EditOperation.None,
            var other => throw Invalid("default-operation", other),
        };
        var config = op.Element(ns + "config") ?? throw RpcErrors.Protocol(ErrorTag.MissingElement, "edit-data needs <config>", "config");
        server.Datastores.Edit(Info, datastore, ParseConfig(config, DataContent.Edit), defaultOperation);
    }

    private static DatastoreName NmdaDatastore(XElement op)
    {
        var e = op.Element(XName.Get("datastore", NmdaNs)) ?? throw RpcErrors.Protocol(ErrorTag.MissingElement, $"{op.Name.LocalName} needs <datastore>", "datastore");
        return DatastoreIdentity(e);
    }

    /// <summary>A datastore named by its ietf-datastores identity (prefix resolved where the element is).</summary>
    private static DatastoreName DatastoreIdentity(XElement e)
    {
        var text = e.Value.Trim();
        var colon = text.IndexOf(':');
        var ns = colon < 0 ? e.GetDefaultNamespace() : e.GetNamespaceOfPrefix(text[..colon]);
        if (ns?.NamespaceName != DatastoresNs || !DatastoreNames.TryParse(text[(colon + 1)..], out var name))
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"unknown datastore {text}", "datastore");
        return name;
    }

    /// <summary>Keeps only configuration (true) or only state (false, with the ancestors that lead to it).</summary>
    private static void KeepConfig(DataInner node, bool config)
    {
        foreach (var c in node.Children.ToArray())
        {
            if (config)
            {
                if (!c.Schema.Config) node.Remove(c);
                else if (c is DataInner i) KeepConfig(i, true);
            }
            else if (c.Schema.Config)
            {
                if (c is DataInner i && !IsKey(c, node))
                {
                    KeepConfig(i, false);
                    if (!i.Children.Any(x => !IsKey(x, i))) node.Remove(c);
                }
                else if (!IsKey(c, node)) node.Remove(c);
            }
        }
    }

    private static bool IsKey(DataNode child, DataInner parent) => parent.Schema is ListSchema ls && Array.IndexOf(ls.Keys, child.Schema) >= 0;

    /// <summary>max-depth: nodes deeper than <paramref name="depth"/> levels below the top are left out (list keys stay with their entry).</summary>
    private static void Trim(DataInner node, int depth)
    {
        foreach (var c in node.Children.ToArray())
        {
            if (c is not DataInner inner) continue;
            if (depth <= 1)
            {
                foreach (var g in inner.Children.ToArray())
                    if (!IsKey(g, inner)) inner.Remove(g);
            }
            else Trim(inner, depth - 1);
        }
    }
}

internal static class XElementScope
{
    /// <summary>Copies the namespace declarations in scope at <paramref name="origin"/> onto a detached element.</summary>
    public static XElement WithScopeOf(this XElement element, XElement origin)
    {
        for (var e = origin; e is not null; e = e.Parent)
            foreach (var a in e.Attributes().Where(a => a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.Xmlns))
                if (element.Attribute(a.Name) is null) element.SetAttributeValue(a.Name, a.Value);
        return element;
    }
}
