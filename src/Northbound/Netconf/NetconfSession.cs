using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Mgmt.Datastore;
using Mgmt.Yang.Data;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// One NETCONF session: hello exchange (RFC 6241 §8.1), framing choice (RFC 6242), then rpc after rpc
/// until close-session, kill-session, end of stream, a framing error or a timeout. Every rpc gets one
/// rpc-reply that echoes the rpc's attributes; nothing a peer sends can end the daemon.
/// </summary>
internal sealed partial class NetconfSession(NetconfServer server, Stream stream, Session info)
{
    private readonly Framer _framer = new(stream, server.Options.MaxMessageBytes);
    private readonly CancellationTokenSource _killed = new();
    private bool _closing;

    // Replies and notifications (from the event stream's thread) share the connection one message at a time.
    private readonly SemaphoreSlim _write = new(1, 1);

    private async Task SendAsync(byte[] message, CancellationToken ct)
    {
        await _write.WaitAsync(ct);
        try
        {
            await _framer.WriteAsync(message, ct);
        }
        finally
        {
            _write.Release();
        }
    }

    public Session Info { get; } = info;

    /// <summary>The ietf-netconf-monitoring transport identity name.</summary>
    public string Transport { get; init; } = "netconf-ssh";

    public string? SourceHost { get; init; }

    public DateTimeOffset LoginTime { get; } = DateTimeOffset.UtcNow;

    public NetconfCounters Counters { get; } = new();

    private void Count(Action<NetconfCounters> counter)
    {
        counter(Counters);
        counter(server.Counters);
    }

    /// <summary>Why the session ended, for the netconf-session-end event; set as it ends.</summary>
    public Mgmt.Datastore.Notifications.TerminationReason EndReason { get; private set; } = Mgmt.Datastore.Notifications.TerminationReason.Dropped;

    /// <summary>The session whose kill-session ended this one.</summary>
    public long? KilledBy { get; private set; }

    /// <summary>True once the hello exchange succeeded (netconf-session-start was sent).</summary>
    public bool Started { get; private set; }

    public void Kill(long by)
    {
        KilledBy = by;
        _killed.Cancel();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _killed.Token);
        try
        {
            await _framer.WriteAsync(ServerHello(), linked.Token);
            if (!await ReadHelloAsync(linked.Token)) return;
            Started = true;
            server.SessionStarted(this);
            while (!_closing)
            {
                byte[]? message;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(linked.Token))
                {
                    if (server.Options.IdleTimeout > TimeSpan.Zero) idle.CancelAfter(server.Options.IdleTimeout);
                    try
                    {
                        message = await _framer.ReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!linked.IsCancellationRequested)
                    {
                        EndReason = Mgmt.Datastore.Notifications.TerminationReason.Timeout;
                        return;
                    }
                }
                if (message is null) return;
                var reply = Handle(message);
                await SendAsync(reply, linked.Token);
                // A subscription starts after its <ok/> (RFC 5277 §2.1.1): replayed events first, then live ones.
                if (_startSubscription is { } start)
                {
                    _startSubscription = null;
                    start(linked.Token);
                }
            }
        }
        catch (FramingException e) when (e.TooBig)
        {
            EndReason = Mgmt.Datastore.Notifications.TerminationReason.Other;
            await TryWriteAsync(Reply(null, x => RpcErrors.Write(x, [new DataError(ErrorTag.TooBig, null, e.Message, Type: ErrorType.Transport)])));
        }
        catch (Exception e) when (e is FramingException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The session ends; its locks are released by the server.
            if (KilledBy is not null) EndReason = Mgmt.Datastore.Notifications.TerminationReason.Killed;
            else if (e is FramingException || ct.IsCancellationRequested) EndReason = Mgmt.Datastore.Notifications.TerminationReason.Other;
        }
        finally
        {
            _subscription?.Dispose();
            await stream.DisposeAsync();
        }
    }

    private async Task TryWriteAsync(byte[] message)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendAsync(message, cts.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private byte[] ServerHello() => Serialize(x =>
    {
        x.WriteStartElement("hello", NetconfNames.BaseNs);
        x.WriteStartElement("capabilities", NetconfNames.BaseNs);
        foreach (var c in server.Capabilities) x.WriteElementString("capability", NetconfNames.BaseNs, c);
        x.WriteEndElement();
        x.WriteElementString("session-id", NetconfNames.BaseNs, Info.Id.ToString(CultureInfo.InvariantCulture));
        x.WriteEndElement();
    });

    /// <summary>The client hello must name base:1.0 or base:1.1 and carry no session-id; otherwise the session ends.</summary>
    private async Task<bool> ReadHelloAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(server.Options.HelloTimeout);
        byte[]? message;
        try
        {
            message = await _framer.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            EndReason = Mgmt.Datastore.Notifications.TerminationReason.Timeout;
            return false;
        }
        if (message is null) return false;
        if (!TryParse(message, out var doc)) return BadHello();
        var hello = doc.Root!;
        XNamespace nc = NetconfNames.BaseNs;
        if (hello.Name != nc + "hello" || hello.Element(nc + "session-id") is not null) return BadHello();
        var caps = hello.Element(nc + "capabilities")?.Elements(nc + "capability").Select(c => c.Value.Trim()).ToHashSet() ?? [];
        if (caps.Contains(NetconfNames.Base11)) _framer.Chunked = true;
        else if (!caps.Contains(NetconfNames.Base10)) return BadHello();
        return true;

        bool BadHello()
        {
            server.Counters.BadHello();
            EndReason = Mgmt.Datastore.Notifications.TerminationReason.BadHello;
            return false;
        }
    }

    private static bool TryParse(byte[] message, out XDocument doc)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            MaxCharactersFromEntities = 0,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(message), settings);
            doc = XDocument.Load(reader, LoadOptions.None);
            return doc.Root is not null && Depth(doc.Root) <= MaxDepth;
        }
        catch (XmlException)
        {
            doc = null!;
            return false;
        }
    }

    /// <summary>Deepest element nesting of an rpc (data trees go far below 64; hostile ones do not get further).</summary>
    private const int MaxDepth = 512;

    private static int Depth(XElement root)
    {
        var max = 0;
        var stack = new Stack<(XElement, int)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (e, d) = stack.Pop();
            if (d > max) max = d;
            if (d > MaxDepth) return d;
            foreach (var c in e.Elements()) stack.Push((c, d + 1));
        }
        return max;
    }

    /// <summary>Answers one message; errors become rpc-errors, never exceptions.</summary>
    private byte[] Handle(byte[] message)
    {
        var reply = HandleMessage(message, out var accepted, out var failed);
        Count(accepted ? c => c.Rpc() : c => c.BadRpc());
        if (failed) Count(c => c.RpcError());
        return reply;
    }

    private byte[] HandleMessage(byte[] message, out bool accepted, out bool failed)
    {
        accepted = false;
        failed = true;
        if (!TryParse(message, out var doc))
            return Reply(null, x => RpcErrors.Write(x, [new DataError(ErrorTag.MalformedMessage, null, "the message is not well-formed XML (or holds a DTD, or nests too deeply)", Type: ErrorType.Rpc)]));
        var rpc = doc.Root!;
        XNamespace nc = NetconfNames.BaseNs;
        if (rpc.Name != nc + "rpc")
            return Reply(null, x => RpcErrors.Write(x, [new DataError(ErrorTag.UnknownElement, null, $"expected <rpc>, got <{rpc.Name.LocalName}>", Type: ErrorType.Rpc, BadElement: rpc.Name.LocalName)]));
        if (rpc.Attribute("message-id") is null)
            return Reply(rpc, x => RpcErrors.Write(x, [new DataError(ErrorTag.MissingAttribute, null, "the rpc has no message-id attribute", Type: ErrorType.Rpc, BadElement: "rpc") { BadAttribute = "message-id" }]));
        var operations = rpc.Elements().ToList();
        if (operations.Count != 1)
            return Reply(rpc, x => RpcErrors.Write(x, [new DataError(operations.Count == 0 ? ErrorTag.MissingElement : ErrorTag.BadElement, null,
                "an rpc holds exactly one operation", Type: ErrorType.Rpc, BadElement: "rpc")]));
        accepted = true;
        try
        {
            var body = Dispatch(operations[0]);
            failed = false;
            return Reply(rpc, body);
        }
        catch (DataException e)
        {
            return Reply(rpc, x => RpcErrors.Write(x, e.Errors));
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // A defect of ours must not cost the client its session (or the daemon anything): it gets an rpc-error.
            return Reply(rpc, x => RpcErrors.Write(x, [new DataError(ErrorTag.OperationFailed, null, $"internal error ({e.GetType().Name}): {e.Message}")]));
        }
    }

    /// <summary>&lt;rpc-reply&gt; with the rpc's attributes echoed (RFC 6241 §4.2).</summary>
    private static byte[] Reply(XElement? rpc, Action<XmlWriter> body) => Serialize(x =>
    {
        x.WriteStartElement("rpc-reply", NetconfNames.BaseNs);
        if (rpc is not null)
        {
            foreach (var a in rpc.Attributes())
            {
                if (a.IsNamespaceDeclaration)
                {
                    if (a.Name.Namespace == XNamespace.Xmlns) x.WriteAttributeString("xmlns", a.Name.LocalName, null, a.Value);
                }
                else
                {
                    x.WriteAttributeString(a.Name.LocalName, a.Name.NamespaceName, a.Value);
                }
            }
        }
        body(x);
        x.WriteEndElement();
    });

    private static byte[] Serialize(Action<XmlWriter> write)
    {
        var ms = new MemoryStream();
        using (var x = XmlWriter.Create(ms, new XmlWriterSettings { Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false }))
            write(x);
        return ms.ToArray();
    }

    private static void Ok(XmlWriter x) => x.WriteElementString("ok", NetconfNames.BaseNs, null);
}
