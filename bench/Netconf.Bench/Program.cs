using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

// A raw NETCONF client for issue 4's benchmark (a): one session on a Unix socket, N round trips of a
// <get-config> of one leaf, base:1.1 chunked framing, nothing else (ncclient polls with 0.1 s sleeps and
// cannot measure this). With --mgmt-header it first sends the line mgmtd's socket expects from a forwarder.
//   Netconf.Bench --socket PATH [--mgmt-header] [--count 1000]
var socketPath = Arg("--socket") ?? throw new ArgumentException("--socket PATH");
var count = int.Parse(Arg("--count") ?? "1000");
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
socket.Connect(new UnixDomainSocketEndPoint(socketPath));
using var stream = new NetworkStream(socket);
if (args.Contains("--mgmt-header")) stream.Write("MGMT-FORWARD user=\n"u8);
var reader = new Reader(stream);
var hello = reader.ReadEom();
if (!hello.Contains("urn:ietf:params:netconf:base:1.1")) throw new InvalidOperationException("the server does not offer base:1.1");
stream.Write(Encoding.UTF8.GetBytes("<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>"));
var replyBytes = 0L;
var sw = new Stopwatch();
for (var i = 0; i <= count; i++)
{
    if (i == 1) sw.Start(); // the first round trip warms both sides up and is not counted
    var rpc = Encoding.UTF8.GetBytes($"<rpc message-id=\"{i}\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><get-config><source><running/></source>"
        + "<filter type=\"subtree\"><interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\"><interface><name>eth0</name><description/></interface></interfaces></filter>"
        + "</get-config></rpc>");
    stream.Write(Encoding.ASCII.GetBytes($"\n#{rpc.Length}\n"));
    stream.Write(rpc);
    stream.Write("\n##\n"u8);
    var reply = reader.ReadChunked();
    if (i == 0 && !reply.Contains("port 0")) throw new InvalidOperationException("unexpected reply: " + reply);
    replyBytes += reply.Length;
}
sw.Stop();
Console.WriteLine($"round_trips={count} seconds={sw.Elapsed.TotalSeconds:F3} per_rpc_us={sw.Elapsed.TotalMicroseconds / count:F1} reply_bytes={replyBytes / (count + 1)}");
return 0;

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

sealed class Reader(Stream s)
{
    private readonly byte[] _buf = new byte[1 << 16];
    private int _start, _end;

    private void Fill()
    {
        if (_start > 0) { Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start); _end -= _start; _start = 0; }
        var n = s.Read(_buf, _end, _buf.Length - _end);
        if (n == 0) throw new EndOfStreamException();
        _end += n;
    }

    public string ReadEom()
    {
        while (true)
        {
            var at = _buf.AsSpan(_start, _end - _start).IndexOf("]]>]]>"u8);
            if (at >= 0) { var m = Encoding.UTF8.GetString(_buf, _start, at); _start += at + 6; return m; }
            Fill();
        }
    }

    public string ReadChunked()
    {
        var msg = new MemoryStream();
        while (true)
        {
            while (_end - _start < 4) Fill();
            if (_buf[_start] != '\n' || _buf[_start + 1] != '#') throw new InvalidDataException("bad chunk");
            if (_buf[_start + 2] == '#') { _start += 4; return Encoding.UTF8.GetString(msg.GetBuffer(), 0, (int)msg.Length); }
            int lf;
            while ((lf = _buf.AsSpan(_start + 2, _end - _start - 2).IndexOf((byte)'\n')) < 0) Fill();
            var size = int.Parse(Encoding.ASCII.GetString(_buf, _start + 2, lf));
            _start += 2 + lf + 1;
            while (size > 0)
            {
                if (_end == _start) Fill();
                var n = Math.Min(size, _end - _start);
                msg.Write(_buf, _start, n);
                _start += n;
                size -= n;
            }
        }
    }
}
