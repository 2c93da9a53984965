using System.Xml;
using Mgmt.Yang.Data;

namespace Mgmt.Northbound.Netconf;

/// <summary>Writes &lt;rpc-error&gt; elements (RFC 6241 §4.3) from the core's errors, one per error.</summary>
internal static class RpcErrors
{
    public static void Write(XmlWriter x, IEnumerable<DataError> errors)
    {
        foreach (var e in errors)
        {
            x.WriteStartElement("rpc-error", NetconfNames.BaseNs);
            x.WriteElementString("error-type", NetconfNames.BaseNs, e.Type.ToWire());
            x.WriteElementString("error-tag", NetconfNames.BaseNs, e.Tag.ToWire());
            x.WriteElementString("error-severity", NetconfNames.BaseNs, "error");
            if (e.AppTag is not null) x.WriteElementString("error-app-tag", NetconfNames.BaseNs, e.AppTag);
            if (e.Path is not null) x.WriteElementString("error-path", NetconfNames.BaseNs, e.Path);
            x.WriteStartElement("error-message", NetconfNames.BaseNs);
            x.WriteAttributeString("xml", "lang", null, "en");
            x.WriteString(e.Message);
            x.WriteEndElement();
            if (e.BadElement is not null || e.LockOwner is not null || e.BadAttribute is not null)
            {
                x.WriteStartElement("error-info", NetconfNames.BaseNs);
                if (e.BadAttribute is not null) x.WriteElementString("bad-attribute", NetconfNames.BaseNs, e.BadAttribute);
                if (e.BadElement is not null) x.WriteElementString("bad-element", NetconfNames.BaseNs, e.BadElement);
                if (e.LockOwner is not null) x.WriteElementString("session-id", NetconfNames.BaseNs, e.LockOwner.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                x.WriteEndElement();
            }
            x.WriteEndElement();
        }
    }

    public static DataException Protocol(ErrorTag tag, string message, string? badElement = null) =>
        new(new DataError(tag, null, message, Type: ErrorType.Protocol, BadElement: badElement));

    public static DataException Rpc(ErrorTag tag, string message, string? badElement = null) =>
        new(new DataError(tag, null, message, Type: ErrorType.Rpc, BadElement: badElement));
}
