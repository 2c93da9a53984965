using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Mgmt.Northbound.Netconf.Transport;

/// <param name="Id">Entries are tried in ascending id.</param>
/// <param name="Fingerprint">tls-fingerprint of a certificate in the client's chain: hash algorithm octet (2 sha1, 4 sha256, 5 sha384, 6 sha512) then the hash, colon-separated hex.</param>
/// <param name="MapType">How the user name comes from the client certificate (RFC 7407 §2.3): specified, san-rfc822-name,
/// san-dns-name, san-ip-address, san-any, common-name.</param>
/// <param name="Name">For "specified": the user.</param>
public sealed record CertToNameEntry(uint Id, string Fingerprint, string MapType, string? Name = null);

/// <summary>
/// The cert-to-name mapping of NETCONF over TLS (RFC 7589 §7, RFC 7407 §2.3): the first entry (by id) whose
/// fingerprint matches the client certificate or a CA certificate in its chain, and whose map type yields
/// a name, gives the NETCONF user. Kept in <c>STATE/tls/cert-to-name.json</c>.
/// </summary>
public sealed class CertToName(IReadOnlyList<CertToNameEntry> entries)
{
    public IReadOnlyList<CertToNameEntry> Entries { get; } = entries.OrderBy(e => e.Id).ToList();

    public static CertToName Load(string path)
    {
        if (!File.Exists(path)) return new CertToName([]);
        var list = JsonSerializer.Deserialize(File.ReadAllBytes(path), TransportJson.Default.ListCertToNameEntry) ?? [];
        return new CertToName(list);
    }

    /// <summary>The user for a client whose chain is <paramref name="chain"/> (client certificate first), or null.</summary>
    public string? Map(IReadOnlyList<X509Certificate2> chain)
    {
        if (chain.Count == 0) return null;
        var client = chain[0];
        foreach (var e in Entries)
        {
            if (!chain.Any(c => Matches(e.Fingerprint, c))) continue;
            var name = e.MapType switch
            {
                "specified" => e.Name,
                "common-name" => client.GetNameInfo(X509NameType.SimpleName, false),
                "san-rfc822-name" => San(client, "RFC822 Name=", "email:"),
                "san-dns-name" => San(client, "DNS Name=", "DNS:"),
                "san-ip-address" => San(client, "IP Address=", "IP Address:"),
                "san-any" => San(client, "RFC822 Name=", "email:") ?? San(client, "DNS Name=", "DNS:") ?? San(client, "IP Address=", "IP Address:"),
                _ => null,
            };
            if (!string.IsNullOrEmpty(name)) return name;
        }
        return null;
    }

    /// <summary>RFC 7407 tls-fingerprint of a certificate with the given hash algorithm octet.</summary>
    public static string Fingerprint(X509Certificate2 cert, byte algorithm = 4)
    {
        var hash = algorithm switch
        {
            2 => SHA1.HashData(cert.RawData),
            5 => SHA384.HashData(cert.RawData),
            6 => SHA512.HashData(cert.RawData),
            _ => SHA256.HashData(cert.RawData),
        };
        return string.Join(':', new[] { algorithm }.Concat(hash).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static bool Matches(string fingerprint, X509Certificate2 cert)
    {
        var text = fingerprint.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        if (text.Length < 4) return false;
        var algorithm = Convert.ToByte(text[..2], 16);
        return Fingerprint(cert, algorithm).Replace(":", "", StringComparison.Ordinal) == text;
    }

    /// <summary>The first subjectAltName entry of a kind, from the extension's formatted text.</summary>
    private static string? San(X509Certificate2 cert, params string[] prefixes)
    {
        var ext = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (ext is null) return null;
        foreach (var line in ext.Format(true).Split(['\n', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            foreach (var p in prefixes)
                if (line.StartsWith(p, StringComparison.OrdinalIgnoreCase)) return line[p.Length..].Trim();
        return null;
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.KebabCaseLower, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<CertToNameEntry>))]
internal sealed partial class TransportJson : System.Text.Json.Serialization.JsonSerializerContext;
