using System.Runtime.InteropServices;
using Mgmt.Tests.Shared;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// A second, independent NETCONF client: Debian's libnetconf2 (client API through P/Invoke) on the real
/// daemon's socket: hello, session id, get-config with a subtree filter, the reply parsed by libyang.
/// </summary>
public sealed partial class Libnetconf2ClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ln2-client-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static bool Available => File.Exists("/usr/lib/x86_64-linux-gnu/libnetconf2.so.2") || File.Exists("/usr/lib/x86_64-linux-gnu/libnetconf2.so");

    [Fact]
    public void Libnetconf2_reads_the_running_configuration_over_the_socket()
    {
        Assert.SkipUnless(Available, "needs libnetconf2 (Debian libnetconf2-dev, installed by .ci/run)");
        var state = Path.Combine(_dir, "state");
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, "running.json"),
            """{"ietf-interfaces:interfaces": {"interface": [{"name": "eth0", "description": "from mgmtd", "type": "iana-if-type:ethernetCsmacd"}]}}""");
        using var d = new DaemonProcess($"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\"", "ln2-admin-pw");
        Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);

        // libnetconf2 needs ietf-netconf and friends in its context: ours when yang/ has them, else the published ones.
        var yang = Path.Combine(_dir, "yang");
        Directory.CreateDirectory(yang);
        foreach (var m in new[] { "ietf-netconf@2011-06-01", "ietf-netconf-acm@2018-02-14", "ietf-netconf-with-defaults@2011-06-01" })
        {
            var ours = Path.Combine(RepoPaths.Yang, m + ".yang");
            File.Copy(File.Exists(ours) ? ours : Path.Combine(RepoPaths.Root, "..", "shared", "yang-corpus", m + ".yang"), Path.Combine(yang, m + ".yang"));
        }
        Assert.Equal(0, Native.ly_ctx_new(null, 0, out var ctx));
        Native.ly_ctx_set_searchdir(ctx, yang);
        Native.ly_ctx_set_searchdir(ctx, RepoPaths.Yang);
        string?[] all = ["*", null];
        Assert.NotEqual(IntPtr.Zero, Native.ly_ctx_load_module(ctx, "ietf-netconf", null, all));
        Assert.NotEqual(IntPtr.Zero, Native.ly_ctx_load_module(ctx, "ietf-interfaces", null, all));
        Native.nc_client_init();
        var session = Native.nc_connect_unix(Path.Combine(state, "netconf.sock"), ctx);
        Assert.NotEqual(IntPtr.Zero, session);
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
            Assert.Contains("from mgmtd", xml);
            Native.nc_rpc_free(rpc);
        }
        finally
        {
            Native.nc_session_free(session, IntPtr.Zero);
        }
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
    }
}
