using System.Text;

namespace Mgmt.Northbound.Netconf.Transport;

/// <summary>
/// The one line a forwarder (<c>mgmt netconf-forward</c>) sends before NETCONF starts on the local socket:
/// <c>MGMT-FORWARD user=NAME\n</c>, with NAME empty when it claims no one. The claim is believed only from a
/// peer the daemon trusts (its own uid or root: the forced command of a key that the daemon wrote). It is
/// optional: a NETCONF client that connects directly (the server speaks first) sends nothing and is known
/// by its uid alone.
/// </summary>
public static class ForwarderHeader
{
    public const string Prefix = "MGMT-FORWARD user=";
    public const int MaxLength = 256;

    public static byte[] Encode(string? user) => Encoding.ASCII.GetBytes(Prefix + (user ?? "") + "\n");

    /// <summary>
    /// Reads the header byte by byte (so no NETCONF byte is consumed unseen). Absent when the peer sends nothing
    /// within <paramref name="wait"/> or starts with anything but the header (a client's own hello): the
    /// byte already read then comes back in <c>Consumed</c> and belongs to the NETCONF stream. User is null
    /// for a header that starts right but is malformed.
    /// </summary>
    public static async Task<(bool Absent, string? User, byte[] Consumed)> ReadAsync(Stream stream, TimeSpan wait, CancellationToken ct)
    {
        var one = new byte[1];
        using (var first = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            first.CancelAfter(wait);
            try
            {
                if (await stream.ReadAsync(one, first.Token) == 0) return (false, null, []);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (true, null, []);
            }
        }
        if (one[0] != (byte)Prefix[0]) return (true, null, [one[0]]);
        var line = new byte[MaxLength];
        var n = 0;
        line[n++] = one[0];
        while (n < MaxLength)
        {
            if (await stream.ReadAsync(one, ct) == 0) return (false, null, []);
            if (one[0] == (byte)'\n')
            {
                var text = Encoding.ASCII.GetString(line, 0, n);
                return (false, text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : null, []);
            }
            line[n++] = one[0];
        }
        return (false, null, []);
    }
}

/// <summary>A stream that first returns bytes already read from it (a peeked prefix), then the rest.</summary>
public sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
{
    private int _pos;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_pos < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _pos);
            prefix.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }
        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _pos < prefix.Length ? ValueTask.FromResult(Read(buffer.Span)) : inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
