using System.Globalization;
using System.Threading.Channels;
using System.Xml.Linq;
using Mgmt.Datastore.Notifications;
using Mgmt.Yang.Data;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// Event notifications (RFC 5277): &lt;create-subscription&gt; to the NETCONF stream with optional replay
/// (startTime/stopTime) and a filter on the notification's name; rpcs may go on meanwhile (:interleave).
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
        var wanted = filter?.Elements().Select(e => e.Name).ToHashSet();

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

    private async Task DeliverAsync(NotificationEvent e, HashSet<XName>? wanted, CancellationToken ct)
    {
        var (module, name) = e.Kind;
        if (!server.Datastores.Nacm.MayNotify(Info, module, name)) return;
        if (wanted is not null)
        {
            var ns = server.Datastores.Context.GetModule(module)?.Namespace ?? NetconfNotifications.ConfigChangeNs;
            if (!wanted.Contains(XName.Get(name, ns)) && !wanted.Contains(XName.Get(name, NetconfNames.BaseNs)) && !wanted.Contains(XName.Get(name))) return;
        }
        await SendAsync(NetconfNotifications.Render(e, server.Datastores.Context), ct);
        Count(c => c.Notification());
    }

    private static DateTimeOffset? Time(XElement? e, string name)
    {
        if (e is null) return null;
        return DateTimeOffset.TryParse(e.Value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"{name} is not a date-and-time", name);
    }
}
