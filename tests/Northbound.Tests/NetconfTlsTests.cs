using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Mgmt.Northbound.Netconf.Transport;
using Mgmt.Tests.Shared;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// NETCONF over TLS (RFC 7589) with the real daemon and OpenSSL's s_client as the peer: mutual TLS, clients
/// trusted through STATE/tls/clients, the user from the cert-to-name mapping.
/// </summary>
public sealed class NetconfTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netconf-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(string file, string args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(60_000)) p.Kill(entireProcessTree: true);
        return (p.ExitCode, o.Result, e.Result);
    }


    /// <summary>A CA and a client certificate with the given common name, signed by it (OpenSSL).</summary>
    private string[] MakePki(string name, string cn)
    {
        var d = Path.Combine(_dir, name);
        Directory.CreateDirectory(d);
        Assert.Equal(0, Run("openssl", $"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN={name}-ca -keyout {d}/ca.key -out {d}/ca.crt").Code);
        Assert.Equal(0, Run("openssl", $"req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN={cn} -keyout {d}/client.key -out {d}/client.csr").Code);
        Assert.Equal(0, Run("openssl", $"x509 -req -in {d}/client.csr -CA {d}/ca.crt -CAkey {d}/ca.key -CAcreateserial -days 2 -out {d}/client.crt").Code);
        return [$"{d}/ca.crt", $"{d}/client.crt", $"{d}/client.key"];
    }

    private const string Session = "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>"
        + "<rpc message-id=\"1\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><get-config><source><running/></source></get-config></rpc>]]>]]>"
        + "<rpc message-id=\"2\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><close-session/></rpc>]]>]]>";

    [Fact]
    public void Openssl_s_client_with_a_mapped_client_certificate_gets_a_session_as_that_user()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/openssl"), "needs openssl");
        var state = Path.Combine(_dir, "state");
        var (ca, cert, key) = MakePki("good", "alice") is var p ? (p[0], p[1], p[2]) : default;
        var (_, otherCert, otherKey) = MakePki("other", "alice") is var q ? (q[0], q[1], q[2]) : default;
        Directory.CreateDirectory(Path.Combine(state, "tls", "clients"));
        File.Copy(ca, Path.Combine(state, "tls", "clients", "ca.pem"));
        var fingerprint = CertToName.Fingerprint(X509CertificateLoader.LoadCertificateFromFile(ca));
        File.WriteAllText(Path.Combine(state, "tls", "cert-to-name.json"),
            $$"""[{"id": 10, "fingerprint": "{{fingerprint}}", "map-type": "common-name"}]""");
        Datastore.Users.UserStore.Open(state).Add(new Datastore.Users.User("alice", ["admin"], null, []));

        var port = Ports.Free();
        using var d = new DaemonProcess($"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\" --netconf-tls 127.0.0.1:{port}", "tls-admin-pw");
        Assert.True(d.WaitForOutput("NETCONF over TLS on"), d.Out + d.Err);
        Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);

        var ok = Run("openssl", $"s_client -connect 127.0.0.1:{port} -cert {cert} -key {key} -quiet -ign_eof", Session);
        Assert.Contains("<session-id>", ok.Out);
        Assert.Contains("message-id=\"1\"", ok.Out);
        Assert.Contains("<data", ok.Out);
        Assert.Contains("<ok", ok.Out);
        Assert.True(d.WaitForOutput("NETCONF over TLS session for alice"), d.Out);

        // A client certificate from an untrusted CA gets no session.
        var refused = Run("openssl", $"s_client -connect 127.0.0.1:{port} -cert {otherCert} -key {otherKey} -quiet -ign_eof", Session);
        Assert.DoesNotContain("<session-id>", refused.Out);
        // No client certificate at all: no session either.
        Assert.DoesNotContain("<session-id>", Run("openssl", $"s_client -connect 127.0.0.1:{port} -quiet -ign_eof", Session).Out);
    }

    [Fact]
    public void Cert_to_name_takes_the_first_matching_entry_that_yields_a_name()
    {
        var p = MakePki("map", "carol");
        var ca = X509CertificateLoader.LoadCertificateFromFile(p[0]);
        var client = X509CertificateLoader.LoadCertificateFromFile(p[1]);
        var map = new CertToName([
            new CertToNameEntry(30, CertToName.Fingerprint(ca), "common-name"),
            new CertToNameEntry(20, CertToName.Fingerprint(ca), "san-rfc822-name"), // no such SAN: next entry
            new CertToNameEntry(5, "04:00:11", "specified", "nobody"),             // fingerprint does not match
        ]);
        Assert.Equal("carol", map.Map([client, ca]));
        var specified = new CertToName([new CertToNameEntry(1, CertToName.Fingerprint(client, 6), "specified", "operator")]);
        Assert.Equal("operator", specified.Map([client, ca]));
        Assert.Null(new CertToName([]).Map([client, ca]));
    }
}
