using System.Buffers;
using System.Text;

namespace Mgmt.Northbound.Netconf;

/// <summary>A peer broke the framing rules, or a message exceeded the size limit; the session must end.</summary>
public sealed class FramingException(string message, bool tooBig = false) : Exception(message)
{
    public bool TooBig { get; } = tooBig;
}

/// <summary>
/// Splits a NETCONF byte stream into messages and frames outgoing ones (RFC 6242 §4): end-of-message
/// (<c>]]&gt;]]&gt;</c>, base:1.0) until both hellos name base:1.1, then chunked framing
/// (<c>\n#size\n data … \n##\n</c>). Messages larger than the limit are refused before they are buffered.
/// </summary>
public sealed class Framer(Stream stream, int maxMessageBytes)
{
    private static readonly byte[] EndOfMessage = "]]>]]>"u8.ToArray();
    private static readonly byte[] EndOfChunks = "\n##\n"u8.ToArray();

    private readonly byte[] _in = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>True once chunked framing (base:1.1) is in use in both directions.</summary>
    public bool Chunked { get; set; }

    /// <summary>Reads the next whole message; null at a clean end of stream between messages.</summary>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken ct)
    {
        var message = new ArrayBufferWriter<byte>(4096);
        return Chunked ? await ReadChunkedAsync(message, ct) : await ReadEomAsync(message, ct);
    }

    private async ValueTask<byte[]?> ReadEomAsync(ArrayBufferWriter<byte> message, CancellationToken ct)
    {
        while (true)
        {
            var span = _in.AsSpan(_start, _end - _start);
            var at = span.IndexOf(EndOfMessage);
            if (at >= 0)
            {
                Append(message, span[..at]);
                _start += at + EndOfMessage.Length;
                return message.WrittenSpan.ToArray();
            }
            // Keep the last bytes: the delimiter may straddle two reads.
            var keep = Math.Min(span.Length, EndOfMessage.Length - 1);
            Append(message, span[..^keep]);
            _start = _end - keep;
            if (!await FillAsync(ct))
            {
                if (message.WrittenCount == 0 && _end - _start == 0) return null;
                if (IsWhitespace(message.WrittenSpan) && IsWhitespace(_in.AsSpan(_start, _end - _start))) return null;
                throw new FramingException("the connection ended inside a message");
            }
        }
    }

    private async ValueTask<byte[]?> ReadChunkedAsync(ArrayBufferWriter<byte> message, CancellationToken ct)
    {
        var first = true;
        while (true)
        {
            // chunk header: LF HASH (digits LF | HASH LF)
            if (!await EnsureAsync(3, ct))
            {
                if (first && _end == _start) return null;
                throw new FramingException("the connection ended inside a chunked message");
            }
            if (_in[_start] != (byte)'\n' || _in[_start + 1] != (byte)'#')
                throw new FramingException("bad chunk header: expected LF #");
            if (_in[_start + 2] == (byte)'#')
            {
                if (first) throw new FramingException("end-of-chunks before any chunk");
                if (!await EnsureAsync(4, ct)) throw new FramingException("the connection ended inside end-of-chunks");
                if (_in[_start + 3] != (byte)'\n') throw new FramingException("bad end-of-chunks");
                _start += 4;
                return message.WrittenSpan.ToArray();
            }
            long size = 0;
            var i = 2;
            while (true)
            {
                if (!await EnsureAsync(i + 1, ct)) throw new FramingException("the connection ended inside a chunk header");
                var b = _in[_start + i];
                if (b == (byte)'\n') break;
                if (b is < (byte)'0' or > (byte)'9' || (i == 2 && b == (byte)'0') || i > 11)
                    throw new FramingException("bad chunk size");
                size = size * 10 + (b - '0');
                i++;
            }
            if (i == 2 || size > uint.MaxValue) throw new FramingException("bad chunk size");
            _start += i + 1;
            if (message.WrittenCount + size > maxMessageBytes)
                throw new FramingException($"message larger than {maxMessageBytes} bytes", tooBig: true);
            var remaining = (int)size;
            while (remaining > 0)
            {
                if (_end == _start && !await FillAsync(ct)) throw new FramingException("the connection ended inside a chunk");
                var n = Math.Min(remaining, _end - _start);
                message.Write(_in.AsSpan(_start, n));
                _start += n;
                remaining -= n;
            }
            first = false;
        }
    }

    private void Append(ArrayBufferWriter<byte> message, ReadOnlySpan<byte> bytes)
    {
        if (message.WrittenCount + bytes.Length > maxMessageBytes)
            throw new FramingException($"message larger than {maxMessageBytes} bytes", tooBig: true);
        message.Write(bytes);
    }

    private static bool IsWhitespace(ReadOnlySpan<byte> s)
    {
        foreach (var b in s) if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        return true;
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes available; false at end of stream.</summary>
    private async ValueTask<bool> EnsureAsync(int count, CancellationToken ct)
    {
        while (_end - _start < count)
            if (!await FillAsync(ct)) return false;
        return true;
    }

    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_eof) return false;
        if (_start > 0)
        {
            Buffer.BlockCopy(_in, _start, _in, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _in.Length) throw new FramingException("chunk header too long");
        var n = await stream.ReadAsync(_in.AsMemory(_end), ct);
        if (n == 0)
        {
            _eof = true;
            return false;
        }
        _end += n;
        return true;
    }

    /// <summary>Writes one message in the current framing and flushes.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        if (Chunked)
        {
            if (message.Length > 0)
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"\n#{message.Length}\n"), ct);
            await stream.WriteAsync(message, ct);
            await stream.WriteAsync(EndOfChunks, ct);
        }
        else
        {
            await stream.WriteAsync(message, ct);
            await stream.WriteAsync(EndOfMessage, ct);
        }
        await stream.FlushAsync(ct);
    }
}
