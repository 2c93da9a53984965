using System.Runtime.InteropServices;
using Mgmt.Tests.Shared;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// A second, independent NETCONF client: Debian's libnetconf2 (client API through P/Invoke) against the real
/// daemon, on its local socket, over SSH with a user's key and over TLS with a client certificate: hello, session id, get-config with a
/// subtree filter, the reply parsed by libyang.
/// </summary>
public sealed partial class Libnetconf2ClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ln2-client-").FullName;
    private readonly string _user = "ln2" + Guid.NewGuid().ToString("N")[..8];

    public Libnetconf2ClientTests()
    {
        // Over SSH the forwarder runs as the user's system account: it must reach the socket in the state dir.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
    }

    public void Dispose()
    {
        if (Environment.UserName == "root") Run("userdel", _user);
        Directory.Delete(_dir, recursive: true);
    }

    private static bool Available => File.Exists("/usr/lib/x86_64-linux-gnu/libnetconf2.so.2") || File.Exists("/usr/lib/x86_64-linux-gnu/libnetconf2.so");

    /// <summary>A state dir whose running configuration has eth0 with a description to look for.</summary>
    private string State()
    {
        var state = Path.Combine(_dir, "state");
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, "running.json"),
            """{"ietf-interfaces:interfaces": {"interface": [{"name": "eth0", "description": "from mgmtd", "type": "iana-if-type:ethernetCsmacd"}]}}""");
        return state;
    }

    /// <summary>libyang context for the client: libnetconf2 needs ietf-netconf and friends (ours when yang/ has them, else the published ones).</summary>
    private IntPtr ClientContext()
    {
        var yang = Path.Combine(_dir, "client-yang");
        Directory.CreateDirectory(yang);
        foreach (var m in new[] { "ietf-netconf@2011-06-01", "ietf-netconf-acm@2018-02-14", "ietf-netconf-with-defaults@2011-06-01" })
        {
            var ours = Path.Combine(RepoPaths.Yang, m + ".yang");
            File.Copy(File.Exists(ours) ? ours : Path.Combine(RepoPaths.Root, "..", "shared", "yang-corpus", m + ".yang"), Path.Combine(yang, m + ".yang"), overwrite: true);
        }
        Assert.Equal(0, Native.ly_ctx_new(null, 0, out var ctx));
        Native.ly_ctx_set_searchdir(ctx, yang);
        Native.ly_ctx_set_searchdir(ctx, RepoPaths.Yang);
        string?[] all = ["*", null];
        Assert.NotEqual(IntPtr.Zero, Native.ly_ctx_load_module(ctx, "ietf-netconf", null, all));
        Assert.NotEqual(IntPtr.Zero, Native.ly_ctx_load_module(ctx, "ietf-interfaces", null, all));
        Native.nc_client_init();
        return ctx;
    }

    /// <summary>get-config of running with a subtree filter through libnetconf2; the reply printed by libyang.</summary>
    private static string GetConfig(IntPtr session)
    {
        try
        {
            Assert.True(Native.nc_session_get_id(session) > 0);
            var rpc = Native.nc_rpc_getconfig(Datastore: 3 /* running */,
                "<interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\"><interface><name>eth0</name></interface></interfaces>", 0 /* no with-defaults */, 2 /* duplicate: the marshalled string is freed after the call */);
            Assert.Equal(5 /* NC_MSG_RPC */, Native.nc_send_rpc(session, rpc, 5000, out var msgid));
            Assert.Equal(6 /* NC_MSG_REPLY */, Native.nc_recv_reply(session, rpc, msgid, 5000, out _, out var op));
            Assert.NotEqual(IntPtr.Zero, op);
            Assert.Equal(0, Native.lyd_print_mem(out var text, op, 1 /* XML */, 0x02 /* shrink */));
            var xml = Marshal.PtrToStringUTF8(text)!;
            Native.free(text);
            Native.nc_rpc_free(rpc);
            return xml;
        }
        finally
        {
            Native.nc_session_free(session, IntPtr.Zero);
        }
    }

    [Fact]
    public void Libnetconf2_reads_the_running_configuration_over_the_socket()
    {
        Assert.SkipUnless(Available, "needs libnetconf2 (Debian libnetconf2-dev, installed by .ci/run)");
        var state = State();
        using var d = new DaemonProcess($"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\"", "ln2-admin-pw");
        Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
        var ctx = ClientContext();
        var session = Native.nc_connect_unix(Path.Combine(state, "netconf.sock"), ctx);
        Assert.NotEqual(IntPtr.Zero, session);
        Assert.Contains("from mgmtd", GetConfig(session));
    }

    [Fact]
    public void Libnetconf2_connects_over_tls_with_a_client_certificate_mapped_to_a_user()
    {
        Assert.SkipUnless(Available && File.Exists("/usr/bin/openssl"), "needs libnetconf2 and openssl (installed by .ci/run)");
        var state = State();
        var pki = Path.Combine(_dir, "pki");
        Directory.CreateDirectory(pki);
        Assert.Equal(0, Run("openssl", $"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=clients-ca -keyout {pki}/ca.key -out {pki}/ca.crt"));
        Assert.Equal(0, Run("openssl", $"req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=carol -keyout {pki}/client.key -out {pki}/client.csr"));
        Assert.Equal(0, Run("openssl", $"x509 -req -in {pki}/client.csr -CA {pki}/ca.crt -CAkey {pki}/ca.key -CAcreateserial -days 2 -out {pki}/client.crt"));
        Directory.CreateDirectory(Path.Combine(state, "tls", "clients"));
        File.Copy(Path.Combine(pki, "ca.crt"), Path.Combine(state, "tls", "clients", "ca.pem"));
        var fingerprint = Mgmt.Northbound.Netconf.Transport.CertToName.Fingerprint(
            System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki, "ca.crt")));
        File.WriteAllText(Path.Combine(state, "tls", "cert-to-name.json"), $$"""[{"id": 1, "fingerprint": "{{fingerprint}}", "map-type": "common-name"}]""");
        Datastore.Users.UserStore.Open(state).Add(new Datastore.Users.User("carol", ["admin"], null, []));

        var port = Ports.Free();
        using var d = new DaemonProcess($"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\" --netconf-tls 127.0.0.1:{port}", "ln2-admin-pw");
        Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
        var ctx = ClientContext();
        // The daemon generated its own server certificate: the client trusts exactly that one.
        Assert.Equal(0, Native.nc_client_tls_set_cert_key_paths(Path.Combine(pki, "client.crt"), Path.Combine(pki, "client.key")));
        Assert.Equal(0, Native.nc_client_tls_set_trusted_ca_paths(Path.Combine(state, "tls", "server.crt"), null));
        var session = Native.nc_connect_tls("127.0.0.1", (ushort)port, ctx);
        Assert.True(session != IntPtr.Zero, d.Out + d.Err);
        Assert.Contains("from mgmtd", GetConfig(session));
        Assert.True(d.WaitForOutput("NETCONF over TLS session for carol"), d.Out);
    }

    [Fact]
    public void Libnetconf2_connects_over_ssh_with_a_key_of_a_mgmt_user()
    {
        Assert.SkipUnless(Available && Environment.UserName == "root" && File.Exists("/usr/sbin/sshd"), "needs root, openssh-server and libnetconf2 (installed by .ci/run)");
        var state = State();
        var key = Path.Combine(_dir, "id_ed25519");
        Assert.Equal(0, Run("ssh-keygen", $"-q -t ed25519 -N \"\" -f \"{key}\""));
        var mgmt = Path.Combine(AppContext.BaseDirectory, "mgmt.dll");
        Assert.Equal(0, Run("dotnet", $"\"{mgmt}\" user add {_user} --group admin --ssh-key \"{key}.pub\" --state-dir \"{state}\"", new() { ["MGMT_SYSTEM_ACCOUNTS"] = "on" }));

        var port = Ports.Free();
        using var d = new DaemonProcess($"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\" --netconf-ssh 127.0.0.1:{port}", null, systemAccounts: true);
        Assert.True(d.WaitForOutput("sshd: Server listening on"), d.Out + d.Err);
        var ctx = ClientContext();
        unsafe
        {
            Native.nc_client_ssh_set_auth_hostkey_check_clb(&AcceptHostKey, IntPtr.Zero);
        }
        Assert.Equal(0, Native.nc_client_ssh_set_username(_user));
        Assert.Equal(0, Native.nc_client_ssh_add_keypair(key + ".pub", key));
        Native.nc_client_ssh_set_auth_pref(0x01 /* publickey */, 3);
        Native.nc_client_ssh_set_auth_pref(0x02 /* password */, -1);
        Native.nc_client_ssh_set_auth_pref(0x04 /* interactive */, -1);
        var session = Native.nc_connect_ssh("127.0.0.1", (ushort)port, ctx);
        Assert.True(session != IntPtr.Zero, d.Out + d.Err);
        Assert.Contains("from mgmtd", GetConfig(session));
        Assert.Contains($"NETCONF session for {_user}", d.Out);
    }

    /// <summary>The daemon's sshd host key is new for every state dir: this client trusts it (the test's own server).</summary>
    [UnmanagedCallersOnly]
    private static int AcceptHostKey(IntPtr hostname, IntPtr sshSession, IntPtr priv) => 0;

    private static int Run(string file, string args, Dictionary<string, string>? env = null)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        _ = o.Result + e.Result;
        return p.ExitCode;
    }

    private static partial class Native
    {
        [LibraryImport("libyang.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int ly_ctx_new(string? searchDir, uint options, out IntPtr ctx);

        [LibraryImport("libyang.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int ly_ctx_set_searchdir(IntPtr ctx, string dir);

        [LibraryImport("libyang.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial IntPtr ly_ctx_load_module(IntPtr ctx, string name, string? revision, string?[] features);

        [LibraryImport("libyang.so.2")]
        public static partial int lyd_print_mem(out IntPtr text, IntPtr node, int format, uint options);

        [LibraryImport("libnetconf2.so.2")]
        public static partial void nc_client_init();

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial IntPtr nc_connect_unix(string address, IntPtr ctx);

        [LibraryImport("libnetconf2.so.2")]
        public static partial uint nc_session_get_id(IntPtr session);

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial IntPtr nc_rpc_getconfig(int Datastore, string filter, int withDefaults, int paramType);

        [LibraryImport("libnetconf2.so.2")]
        public static partial int nc_send_rpc(IntPtr session, IntPtr rpc, int timeout, out ulong msgid);

        [LibraryImport("libnetconf2.so.2")]
        public static partial int nc_recv_reply(IntPtr session, IntPtr rpc, ulong msgid, int timeout, out IntPtr envelope, out IntPtr op);

        [LibraryImport("libnetconf2.so.2")]
        public static partial void nc_rpc_free(IntPtr rpc);

        [LibraryImport("libnetconf2.so.2")]
        public static partial void nc_session_free(IntPtr session, IntPtr dataFree);

        [LibraryImport("libc")]
        public static partial void free(IntPtr p);

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int nc_client_tls_set_cert_key_paths(string cert, string key);

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int nc_client_tls_set_trusted_ca_paths(string? caFile, string? caDir);

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial IntPtr nc_connect_tls(string host, ushort port, IntPtr ctx);

        [LibraryImport("libnetconf2.so.2")]
        public static unsafe partial void nc_client_ssh_set_auth_hostkey_check_clb(delegate* unmanaged<IntPtr, IntPtr, IntPtr, int> check, IntPtr priv);

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int nc_client_ssh_set_username(string user);

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int nc_client_ssh_add_keypair(string publicKey, string privateKey);

        [LibraryImport("libnetconf2.so.2")]
        public static partial void nc_client_ssh_set_auth_pref(int type, short preference);

        [LibraryImport("libnetconf2.so.2", StringMarshalling = StringMarshalling.Utf8)]
        public static partial IntPtr nc_connect_ssh(string host, ushort port, IntPtr ctx);
    }
}
