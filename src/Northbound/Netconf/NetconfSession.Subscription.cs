using System.Globalization;
using System.Threading.Channels;
using System.Xml.Linq;
using Mgmt.Datastore.Notifications;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// Event notifications (RFC 5277): &lt;create-subscription&gt; to the NETCONF stream with optional replay
/// (startTime/stopTime) and a subtree or XPath filter on the notifications' content; rpcs may go on meanwhile (:interleave).
/// Each event passes access control (RFC 8341 §3.4.6) for the session's user before it is sent.
/// </summary>
internal sealed partial class NetconfSession
{
    private IDisposable? _subscription;
    private Action<CancellationToken>? _startSubscription;

    private void CreateSubscription(XElement op)
    {
        XNamespace ns = NetconfNotifications.NotificationNs;
        if (_subscription is not null || _startSubscription is not null)
            throw RpcErrors.Protocol(ErrorTag.OperationFailed, "this session already has a subscription");
        var stream = op.Element(ns + "stream")?.Value.Trim() ?? "NETCONF";
        if (stream != "NETCONF") throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"no event stream \"{stream}\" (there is NETCONF)", "stream");
        var start = Time(op.Element(ns + "startTime"), "startTime");
        var stop = Time(op.Element(ns + "stopTime"), "stopTime");
        if (stop is not null && start is null) throw RpcErrors.Protocol(ErrorTag.MissingElement, "stopTime needs startTime", "startTime");
        if (start > DateTimeOffset.UtcNow) throw RpcErrors.Protocol(ErrorTag.BadElement, "startTime is in the future", "startTime");
        if (stop is not null && stop < start) throw RpcErrors.Protocol(ErrorTag.BadElement, "stopTime is before startTime", "stopTime");
        var filter = op.Element(ns + "filter");
        var wanted = filter is null ? null : EventFilter(filter);

        // Subscribed before the <ok/> goes out, so that no event after the reply is missed; delivered after it.
        var queue = Channel.CreateBounded<NotificationEvent?>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        _subscription = server.Datastores.Events.Subscribe(e => queue.Writer.TryWrite(e), start, out var replay);
        _startSubscription = ct =>
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    foreach (var e in replay)
                        if (stop is null || e.Time <= stop) await DeliverAsync(e, wanted, ct);
                    if (start is not null) await SendAsync(NetconfNotifications.Marker("replayComplete"), ct);
                    while (await queue.Reader.WaitToReadAsync(ct))
                    {
                        while (queue.Reader.TryRead(out var e))
                        {
                            if (e is null) continue;
                            if (stop is not null && e.Time > stop)
                            {
                                await SendAsync(NetconfNotifications.Marker("notificationComplete"), ct);
                                _subscription?.Dispose();
                                return;
                            }
                            await DeliverAsync(e, wanted, ct);
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or FramingException)
                {
                    // The session ended.
                }
            }, ct);
        };
    }

    private async Task DeliverAsync(NotificationEvent e, Func<NotificationEvent, byte[], bool>? wanted, CancellationToken ct)
    {
        var (module, name) = e.Kind;
        if (!server.Datastores.Nacm.MayNotify(Info, module, name)) return;
        var message = NetconfNotifications.Render(e, server.Datastores.Context);
        if (wanted is not null && !wanted(e, message)) return;
        await SendAsync(message, ct);
        Count(c => c.Notification());
    }

    /// <summary>
    /// The create-subscription filter (RFC 5277 §3.6): a subtree filter (RFC 6241 §6) or, with type="xpath", an
    /// XPath expression, applied to the notification's content read as instance data of its module. An event
    /// passes when the filter selects something of it. A notification whose module is not loaded is matched by
    /// its name only.
    /// </summary>
    private Func<NotificationEvent, byte[], bool> EventFilter(XElement filter)
    {
        var xpath = filter.Attribute("type")?.Value == "xpath";
        var names = filter.Elements().Select(e => e.Name).ToHashSet();
        var ctx = server.Datastores.Context;
        if (xpath) XPathFilter.Apply(new DataRoot(ctx), filter); // a bad expression is the rpc's error, not the stream's
        return (e, message) =>
        {
            var (module, name) = e.Kind;
            if (ctx.GetModule(module) is not { } m)
                return !xpath && (names.Contains(XName.Get(name, NetconfNotifications.ConfigChangeNs)) || names.Contains(XName.Get(name)));
            try
            {
                var content = XElement.Parse(System.Text.Encoding.UTF8.GetString(message)).Elements().First(c => c.Name.NamespaceName == m.Namespace);
                var tree = XmlDataReader.Parse(ctx, content.ToString(SaveOptions.DisableFormatting), new DataParseOptions(DataContent.Notification));
                return (xpath ? XPathFilter.Apply(tree, filter) : SubtreeFilter.Apply(tree, filter)).HasChildren;
            }
            catch (Exception ex) when (ex is DataException or System.Xml.XmlException or InvalidOperationException)
            {
                return false;
            }
        };
    }

    private static DateTimeOffset? Time(XElement? e, string name)
    {
        if (e is null) return null;
        return DateTimeOffset.TryParse(e.Value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"{name} is not a date-and-time", name);
    }
}
