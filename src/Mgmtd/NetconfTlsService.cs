using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Mgmt.Datastore.Users;
using Mgmt.Northbound.Netconf;
using Mgmt.Northbound.Netconf.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mgmt.Mgmtd;

/// <summary>
/// NETCONF over TLS (RFC 7589), on when <c>--netconf-tls HOST:PORT</c> is given (6513 in production): mutual TLS
/// with the daemon's server certificate (given with --tls-cert/--tls-key or created self-signed in
/// <c>STATE/tls/</c>), client certificates chained to one in <c>STATE/tls/clients/</c>, and the user from
/// the cert-to-name mapping in <c>STATE/tls/cert-to-name.json</c>.
/// </summary>
internal sealed class NetconfTlsService(DaemonCore core, UserStore users, IOptions<MgmtdOptions> options, ILogger<NetconfTlsService> log)
    : BackgroundService
{
    private TcpListener? _listener;
    private X509Certificate2? _serverCert;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.NetconfTls is null or "none") return Task.CompletedTask;
        var colon = o.NetconfTls.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(o.NetconfTls[(colon + 1)..], out var port) || !IPAddress.TryParse(o.NetconfTls[..colon].Trim('[', ']'), out var address))
        {
            log.LogError("--netconf-tls {Endpoint}: expected ADDRESS:PORT or none", o.NetconfTls);
            return Task.CompletedTask;
        }
        _serverCert = TlsCertificates.LoadOrCreateServer(TlsDir, o.TlsCert, o.TlsKey);
        _listener = new TcpListener(address, port);
        _listener.Start(64);
        log.LogInformation("NETCONF over TLS on {Endpoint} (server certificate {Subject})", _listener.LocalEndpoint, _serverCert.Subject);
        return base.StartAsync(cancellationToken);
    }

    private string TlsDir => Path.Combine(options.Value.StateDir, "tls");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is null) return;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(stoppingToken);
                _ = Task.Run(() => ServeAsync(client, stoppingToken), stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _listener.Stop();
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        var trusted = TlsCertificates.TrustedClients(TlsDir);
        var chain = new List<X509Certificate2>();
        var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, cert, _, _) => Validate(cert, trusted, chain));
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            handshake.CancelAfter(TimeSpan.FromSeconds(30));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _serverCert,
                ClientCertificateRequired = true,
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
            }, handshake.Token);
            var user = CertToName.Load(Path.Combine(TlsDir, "cert-to-name.json")).Map(chain);
            if (user is null || users.Find(user) is null)
            {
                log.LogWarning("NETCONF over TLS: no user for client certificate {Subject} (mapped to {User})", chain.FirstOrDefault()?.Subject, user ?? "nothing");
                await ssl.DisposeAsync();
                return;
            }
            log.LogInformation("NETCONF over TLS session for {User} ({Subject})", user, chain[0].Subject);
            await core.Netconf.RunSessionAsync(ssl, user, false, ct, "netconf-tls", (client.Client.RemoteEndPoint as IPEndPoint)?.Address.ToString());
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException)
        {
            log.LogInformation("NETCONF over TLS: connection from {Remote} ended: {Message}", client.Client.RemoteEndPoint, e.Message);
            await ssl.DisposeAsync();
        }
    }

    /// <summary>The client's chain must end in a trusted certificate of <c>clients/</c> (or be one).</summary>
    private static bool Validate(X509Certificate? certificate, X509Certificate2Collection trusted, List<X509Certificate2> chainOut)
    {
        if (certificate is null || trusted.Count == 0) return false;
        var cert = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var ok = chain.Build(cert) || trusted.Any(t => t.Thumbprint == cert.Thumbprint);
        if (!ok) return false;
        chainOut.AddRange(chain.ChainElements.Select(e => e.Certificate));
        if (chainOut.Count == 0) chainOut.Add(cert);
        return true;
    }
}
