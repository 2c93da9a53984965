using System.Text;
using System.Xml.Linq;
using Mgmt.Northbound.Netconf;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// A deliberately simple NETCONF client for in-memory sessions: its own framing code (not the server's
/// <see cref="Framer"/>), raw bytes in and out, so framing bugs cannot cancel out.
/// </summary>
internal sealed class NetconfTestClient : IAsyncDisposable
{
    public static readonly XNamespace Nc = NetconfNames.BaseNs;

    private readonly Stream _stream;
    private readonly Task _serverTask;
    private readonly MemoryStream _pending = new();
    private int _messageId;

    private NetconfTestClient(Stream stream, Task serverTask)
    {
        _stream = stream;
        _serverTask = serverTask;
    }

    public bool Chunked { get; private set; }

    public XDocument ServerHello { get; private set; } = null!;

    public long SessionId => long.Parse(ServerHello.Root!.Element(Nc + "session-id")!.Value, System.Globalization.CultureInfo.InvariantCulture);

    public Task ServerTask => _serverTask;

    /// <summary>Connects without saying hello (for tests of the hello itself).</summary>
    public static async Task<NetconfTestClient> OpenAsync(NetconfServer server, string user = "alice")
    {
        var (client, serverEnd) = DuplexPipe.Create();
        var task = Task.Run(() => server.RunSessionAsync(serverEnd, user, false, CancellationToken.None));
        var c = new NetconfTestClient(client, task);
        c.ServerHello = XDocument.Parse(Encoding.UTF8.GetString((await c.ReceiveRawAsync())!));
        return c;
    }

    /// <summary>Connects to a daemon's NETCONF socket directly (as the daemon's own account: a recovery session).</summary>
    public static async Task<NetconfTestClient> ConnectSocketAsync(string socketPath, bool header = true)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        if (header) await stream.WriteAsync(Mgmt.Northbound.Netconf.Transport.ForwarderHeader.Encode(null));
        var c = new NetconfTestClient(stream, Task.CompletedTask);
        var hello = await c.ReceiveRawAsync() ?? throw new InvalidOperationException("no hello from the server");
        c.ServerHello = XDocument.Parse(Encoding.UTF8.GetString(hello));
        await c.SayHelloAsync(true);
        return c;
    }

    /// <summary>Sends an rpc without waiting for its reply.</summary>
    public Task SendRpcAsync(string operation) =>
        SendRawAsync(Encoding.UTF8.GetBytes($"<rpc message-id=\"{++_messageId}\" xmlns=\"{NetconfNames.BaseNs}\">{operation}</rpc>"));

    /// <summary>Talks through a process's stdin/stdout (the forwarder), after its hello.</summary>
    public static async Task<NetconfTestClient> ConnectProcessAsync(System.Diagnostics.Process process, bool base11 = true)
    {
        var c = new NetconfTestClient(new ProcessStream(process), process.WaitForExitAsync());
        var hello = await c.ReceiveRawAsync() ?? throw new InvalidOperationException("no hello from the server");
        c.ServerHello = XDocument.Parse(Encoding.UTF8.GetString(hello));
        await c.SayHelloAsync(base11);
        return c;
    }

    private async Task SayHelloAsync(bool base11)
    {
        var caps = base11 ? $"<capability>{NetconfNames.Base10}</capability><capability>{NetconfNames.Base11}</capability>" : $"<capability>{NetconfNames.Base10}</capability>";
        await SendRawAsync(Encoding.UTF8.GetBytes($"<hello xmlns=\"{NetconfNames.BaseNs}\"><capabilities>{caps}</capabilities></hello>"));
        Chunked = base11;
    }

    public static async Task<NetconfTestClient> ConnectAsync(NetconfServer server, string user = "alice", bool base11 = true)
    {
        var c = await OpenAsync(server, user);
        await c.SayHelloAsync(base11);
        return c;
    }

    /// <summary>Sends one operation in an rpc with the next message-id and returns the rpc-reply.</summary>
    public async Task<XElement> RpcAsync(string operation)
    {
        var id = ++_messageId;
        await SendRawAsync(Encoding.UTF8.GetBytes($"<rpc message-id=\"{id}\" xmlns=\"{NetconfNames.BaseNs}\">{operation}</rpc>"));
        var reply = await ReceiveAsync() ?? throw new InvalidOperationException("the session ended");
        if (reply.Attribute("message-id")?.Value != id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException("reply to another message: " + reply);
        return reply;
    }

    public async Task<XElement?> ReceiveAsync()
    {
        var raw = await ReceiveRawAsync();
        return raw is null ? null : XElement.Parse(Encoding.UTF8.GetString(raw));
    }

    public async Task SendRawAsync(byte[] message)
    {
        if (Chunked)
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes($"\n#{message.Length}\n"));
            await _stream.WriteAsync(message);
            await _stream.WriteAsync("\n##\n"u8.ToArray());
        }
        else
        {
            await _stream.WriteAsync(message);
            await _stream.WriteAsync("]]>]]>"u8.ToArray());
        }
        await _stream.FlushAsync();
    }

    public async Task SendBytesAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>The next framed message, or null when the server closed the session.</summary>
    public async Task<byte[]?> ReceiveRawAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var have = _pending.ToArray();
            var message = Chunked ? TryTakeChunked(have, out var used) : TryTakeEom(have, out used);
            if (message is not null)
            {
                _pending.SetLength(0);
                _pending.Write(have, used, have.Length - used);
                return message;
            }
            var buffer = new byte[8192];
            var n = await _stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) return null;
            _pending.Write(buffer, 0, n);
        }
    }

    private static byte[]? TryTakeEom(byte[] have, out int used)
    {
        var at = have.AsSpan().IndexOf("]]>]]>"u8);
        used = at < 0 ? 0 : at + 6;
        return at < 0 ? null : have[..at];
    }

    private static byte[]? TryTakeChunked(byte[] have, out int used)
    {
        var text = Encoding.Latin1.GetString(have);
        var body = new MemoryStream();
        var pos = 0;
        used = 0;
        while (true)
        {
            if (text.Length < pos + 4) return null;
            if (text.Substring(pos, 4) == "\n##\n")
            {
                used = pos + 4;
                return body.ToArray();
            }
            var lf = text.IndexOf('\n', pos + 2);
            if (lf < 0) return null;
            if (text[pos] != '\n' || text[pos + 1] != '#') throw new InvalidDataException("bad chunk from the server");
            var size = int.Parse(text.AsSpan(pos + 2, lf - pos - 2), System.Globalization.CultureInfo.InvariantCulture);
            if (text.Length < lf + 1 + size) return null;
            body.Write(have, lf + 1, size);
            pos = lf + 1 + size;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        try
        {
            await _serverTask.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>A child process's stdout (read) and stdin (write) as one stream; disposing closes stdin.</summary>
    private sealed class ProcessStream(System.Diagnostics.Process p) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => p.StandardOutput.BaseStream.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            p.StandardOutput.BaseStream.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => p.StandardInput.BaseStream.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            p.StandardInput.BaseStream.WriteAsync(buffer, cancellationToken);

        public override void Flush() => p.StandardInput.BaseStream.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => p.StandardInput.BaseStream.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try
                {
                    p.StandardInput.Close();
                }
                catch (IOException)
                {
                }
            }
            base.Dispose(disposing);
        }
    }
}
