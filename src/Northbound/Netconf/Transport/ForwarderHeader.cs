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
    /// Reads the header byte by byte (so no NETCONF byte is consumed). Absent when the peer sends nothing within
    /// <paramref name="wait"/>; Malformed when it sends anything else.
    /// </summary>
    public static async Task<(bool Absent, string? User)> ReadAsync(Stream stream, TimeSpan wait, CancellationToken ct)
    {
        var line = new byte[MaxLength];
        var n = 0;
        var one = new byte[1];
        using (var first = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            first.CancelAfter(wait);
            try
            {
                if (await stream.ReadAsync(one, first.Token) == 0) return (false, null);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (true, null);
            }
        }
        line[n++] = one[0];
        while (n < MaxLength)
        {
            if (await stream.ReadAsync(one, ct) == 0) return (false, null);
            if (one[0] == (byte)'\n')
            {
                var text = Encoding.ASCII.GetString(line, 0, n);
                return (false, text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : null);
            }
            line[n++] = one[0];
        }
        return (false, null);
    }
}
