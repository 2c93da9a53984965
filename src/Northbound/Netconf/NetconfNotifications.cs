using System.Globalization;
using System.Text;
using System.Xml;
using Mgmt.Datastore.Notifications;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Netconf;

/// <summary>Renders events of the NETCONF stream as RFC 5277 &lt;notification&gt; messages.</summary>
internal static class NetconfNotifications
{
    public const string NotificationNs = "urn:ietf:params:xml:ns:netconf:notification:1.0";
    public const string NetmodNotificationNs = "urn:ietf:params:xml:ns:netmod:notification";
    public const string ConfigChangeNs = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications";

    public static byte[] Render(NotificationEvent e, SchemaContext context) => Message(e.Time, x =>
    {
        switch (e)
        {
            case ConfigChangeEvent c:
                x.WriteStartElement("netconf-config-change", ConfigChangeNs);
                x.WriteStartElement("changed-by", ConfigChangeNs);
                if (c.SessionId == 0)
                {
                    x.WriteElementString("server", ConfigChangeNs, null);
                }
                else
                {
                    x.WriteElementString("username", ConfigChangeNs, c.User);
                    x.WriteElementString("session-id", ConfigChangeNs, c.SessionId.ToString(CultureInfo.InvariantCulture));
                }
                x.WriteEndElement();
                x.WriteElementString("datastore", ConfigChangeNs, c.Datastore == Datastore.DatastoreName.Startup ? "startup" : "running");
                foreach (var edit in c.Edits)
                {
                    x.WriteStartElement("edit", ConfigChangeNs);
                    x.WriteStartElement("target", ConfigChangeNs);
                    x.WriteString(XmlInstanceIdentifier(edit.Path, context, (prefix, ns) => x.WriteAttributeString("xmlns", prefix, null, ns)));
                    x.WriteEndElement();
                    x.WriteElementString("operation", ConfigChangeNs, edit.Operation);
                    x.WriteEndElement();
                }
                x.WriteEndElement();
                break;
            case SessionStartEvent start:
                x.WriteStartElement("netconf-session-start", ConfigChangeNs);
                WriteSession(x, start.Session);
                x.WriteEndElement();
                break;
            case SessionEndEvent end:
                x.WriteStartElement("netconf-session-end", ConfigChangeNs);
                WriteSession(x, end.Session);
                if (end.KilledBy is { } by) x.WriteElementString("killed-by", ConfigChangeNs, by.ToString(CultureInfo.InvariantCulture));
                x.WriteElementString("termination-reason", ConfigChangeNs, end.Reason switch
                {
                    TerminationReason.Closed => "closed",
                    TerminationReason.Killed => "killed",
                    TerminationReason.Dropped => "dropped",
                    TerminationReason.Timeout => "timeout",
                    TerminationReason.BadHello => "bad-hello",
                    _ => "other",
                });
                x.WriteEndElement();
                break;
            case CapabilityChangeEvent cap:
                x.WriteStartElement("netconf-capability-change", ConfigChangeNs);
                x.WriteStartElement("changed-by", ConfigChangeNs);
                if (cap.ChangedBy is { } user) WriteSession(x, user);
                else x.WriteElementString("server", ConfigChangeNs, null);
                x.WriteEndElement();
                foreach (var uri in cap.Added) x.WriteElementString("added-capability", ConfigChangeNs, uri);
                foreach (var uri in cap.Deleted) x.WriteElementString("deleted-capability", ConfigChangeNs, uri);
                foreach (var uri in cap.Modified) x.WriteElementString("modified-capability", ConfigChangeNs, uri);
                x.WriteEndElement();
                break;
            case YangLibraryUpdateEvent update:
                x.WriteStartElement("yang-library-update", YangLibraryState.Namespace);
                x.WriteElementString("content-id", YangLibraryState.Namespace, update.ContentId);
                x.WriteEndElement();
                break;
            case ConfirmedCommitEvent cc:
                x.WriteStartElement("netconf-confirmed-commit", ConfigChangeNs);
                if (cc.Session is { } who) WriteSession(x, who);
                x.WriteElementString("confirm-event", ConfigChangeNs, cc.Event.ToString().ToLowerInvariant());
                if (cc.TimeoutSeconds is { } seconds) x.WriteElementString("timeout", ConfigChangeNs, seconds.ToString(CultureInfo.InvariantCulture));
                x.WriteEndElement();
                break;
        }
    });

    /// <summary>RFC 6470 common-session-parms.</summary>
    private static void WriteSession(XmlWriter x, SessionParms s)
    {
        x.WriteElementString("username", ConfigChangeNs, s.User);
        x.WriteElementString("session-id", ConfigChangeNs, s.SessionId.ToString(CultureInfo.InvariantCulture));
        if (s.SourceHost is { Length: > 0 } host) x.WriteElementString("source-host", ConfigChangeNs, host);
    }

    /// <summary>&lt;replayComplete/&gt; (RFC 5277 §3.2.1) or &lt;notificationComplete/&gt; (§2.2.1).</summary>
    public static byte[] Marker(string name) => Message(DateTimeOffset.UtcNow, x => x.WriteElementString(name, NetmodNotificationNs, null));

    private static byte[] Message(DateTimeOffset time, Action<XmlWriter> content)
    {
        var ms = new MemoryStream();
        using (var x = XmlWriter.Create(ms, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
        {
            x.WriteStartElement("notification", NotificationNs);
            x.WriteElementString("eventTime", NotificationNs, time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            content(x);
            x.WriteEndElement();
        }
        return ms.ToArray();
    }

    /// <summary>
    /// An RFC 7951 instance path (<c>/m:a/b[k='v']</c>, module named where it changes) in the XML form of
    /// RFC 7950 §9.13.2: every node and key name prefixed; the prefixes (module names) are declared through
    /// <paramref name="declare"/> on the element that holds the value.
    /// </summary>
    public static string XmlInstanceIdentifier(string path, SchemaContext context, Action<string, string> declare)
    {
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        string? module = null;
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] != '/') break;
            i++;
            var start = i;
            while (i < path.Length && path[i] is not ('/' or '[')) i++;
            var step = path[start..i];
            var colon = step.IndexOf(':');
            if (colon > 0)
            {
                module = step[..colon];
                step = step[(colon + 1)..];
            }
            Declare(module!);
            sb.Append('/').Append(module).Append(':').Append(step);
            while (i < path.Length && path[i] == '[')
            {
                var end = FindClose(path, i);
                var body = path[(i + 1)..end];
                var eq = body.IndexOf('=');
                var key = eq > 0 ? body[..eq] : body;
                sb.Append('[').Append(key.Contains(':') || char.IsDigit(key[0]) ? key : module + ":" + key).Append(eq > 0 ? body[eq..] : "").Append(']');
                i = end + 1;
            }
        }
        return sb.ToString();

        void Declare(string m)
        {
            if (declared.Add(m) && context.GetModule(m) is { } ym) declare(m, ym.Namespace);
        }
    }

    private static int FindClose(string s, int open)
    {
        var quote = '\0';
        for (var j = open + 1; j < s.Length; j++)
        {
            var c = s[j];
            if (quote != '\0') { if (c == quote) quote = '\0'; }
            else if (c is '\'' or '"') quote = c;
            else if (c == ']') return j;
        }
        return s.Length - 1;
    }
}
