using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mgmt.Northbound.Netconf.Transport;

/// <summary>
/// The TLS material of the daemon in <c>STATE/tls/</c>: its server certificate (<c>server.crt</c>/<c>server.key</c>,
/// created self-signed on first use when none is given) and the certificates it trusts for clients
/// (<c>clients/*.pem</c>: CA or client certificates).
/// </summary>
public static class TlsCertificates
{
    public static X509Certificate2 LoadOrCreateServer(string dir, string? certPath, string? keyPath)
    {
        Directory.CreateDirectory(dir);
        certPath ??= Path.Combine(dir, "server.crt");
        keyPath ??= Path.Combine(dir, "server.key");
        if (!File.Exists(certPath))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={Dns.GetHostName()}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddDnsName(Dns.GetHostName());
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(5));
            Mgmt.Datastore.Persistence.AtomicFile.WriteText(certPath, cert.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Mgmt.Datastore.Persistence.AtomicFile.WriteText(keyPath, key.ExportPkcs8PrivateKeyPem());
        }
        var loaded = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        // SslStream needs the key in a form the platform can use for the handshake.
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
    }

    public static X509Certificate2Collection TrustedClients(string dir)
    {
        var trusted = new X509Certificate2Collection();
        var clients = Path.Combine(dir, "clients");
        if (!Directory.Exists(clients)) return trusted;
        foreach (var file in Directory.EnumerateFiles(clients, "*.pem").Order(StringComparer.Ordinal)) trusted.ImportFromPemFile(file);
        return trusted;
    }
}
