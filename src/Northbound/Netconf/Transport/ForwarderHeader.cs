using System.Text;

namespace Mgmt.Northbound.Netconf.Transport;

/// <summary>
/// The one line a forwarder (<c>mgmt netconf-forward</c>) sends before NETCONF starts on the local socket:
/// <c>MGMT-FORWARD user=NAME\n</c>, with NAME empty when it claims no one. The claim is believed only from a
/// peer the daemon trusts (its own uid or root: the forced command of a key that the daemon wrote).
/// </summary>
public static class ForwarderHeader
{
    public const string Prefix = "MGMT-FORWARD user=";
    public const int MaxLength = 256;

    public static byte[] Encode(string? user) => Encoding.ASCII.GetBytes(Prefix + (user ?? "") + "\n");

    /// <summary>Reads the header byte by byte (so no NETCONF byte is consumed); null when it is missing or malformed.</summary>
    public static async Task<string?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var line = new byte[MaxLength];
        var n = 0;
        var one = new byte[1];
        while (n < MaxLength)
        {
            if (await stream.ReadAsync(one, ct) == 0) return null;
            if (one[0] == (byte)'\n')
            {
                var text = Encoding.ASCII.GetString(line, 0, n);
                return text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : null;
            }
            line[n++] = one[0];
        }
        return null;
    }
}
