using System.Diagnostics;
using System.Text;
using Mgmt.Datastore.Users;
using Mgmt.Tests.Shared;

namespace Mgmt.Mgmtd.Tests;

/// <summary>The real mgmtd process, started with a temp state dir.</summary>
public sealed class MgmtdProcessTests : IDisposable
{
    private static readonly string RepoRoot = Mgmt.Tests.Shared.RepoPaths.Root;

    private readonly string _dir = Directory.CreateTempSubdirectory("mgmtd-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Args(string stateDir, string? yangDir = null) =>
        $"--state-dir \"{stateDir}\" --yang-dir \"{yangDir ?? Path.Combine(RepoRoot, "yang")}\"";

    [Fact]
    public void The_daemon_compiles_the_yang_dir_logs_the_module_count_and_stops_cleanly_on_sigterm()
    {
        var state = Path.Combine(_dir, "state");
        using var d = new DaemonProcess(Args(state), "s3cret-admin-pw");
        Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
        var expected = Directory.GetFiles(Path.Combine(RepoRoot, "yang"), "*.yang")
            .Count(f => File.ReadLines(f).Any(l => l.TrimStart().StartsWith("module ", StringComparison.Ordinal)));
        Assert.Contains($"Compiled {expected} YANG modules", d.Out);
        Assert.True(Directory.Exists(state));

        Process.Start("kill", $"-TERM {d.Process.Id}").WaitForExit();
        Assert.True(d.Process.WaitForExit(15_000), "mgmtd did not stop on SIGTERM");
        Assert.Equal(0, d.Process.ExitCode);
    }

    [Fact]
    public void First_start_creates_admin_with_the_password_from_the_environment()
    {
        var state = Path.Combine(_dir, "state");
        using (var d = new DaemonProcess(Args(state), "env-given-password"))
            Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
        var store = UserStore.Open(state);
        var admin = store.Find("admin");
        Assert.NotNull(admin);
        Assert.Equal(["admin"], admin!.Groups);
        Assert.True(store.VerifyPassword("admin", "env-given-password"));
        Assert.False(store.VerifyPassword("admin", "admin"));
        Assert.DoesNotContain("env-given-password", File.ReadAllText(store.FilePath));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
    }

    [Fact]
    public void Without_an_environment_password_a_random_one_is_printed_once()
    {
        var state = Path.Combine(_dir, "state");
        string printed;
        using (var d = new DaemonProcess(Args(state), null))
        {
            Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
            var line = d.Out.Split('\n').Single(l => l.Contains("with password: ", StringComparison.Ordinal));
            printed = line[(line.IndexOf("with password: ", StringComparison.Ordinal) + 15)..].Trim();
        }
        Assert.True(printed.Length >= 16);
        Assert.True(UserStore.Open(state).VerifyPassword("admin", printed));

        using var again = new DaemonProcess(Args(state), null);
        Assert.True(again.WaitForOutput("mgmtd ready"), again.Out + again.Err);
        Assert.DoesNotContain("with password", again.Out);
    }

    [Fact]
    public void A_broken_module_stops_the_daemon_with_file_line_col()
    {
        var yang = Directory.CreateDirectory(Path.Combine(_dir, "yang")).FullName;
        File.WriteAllText(Path.Combine(yang, "bad.yang"), "module bad {\n  namespace \"urn:bad\";\n  prefix b;\n  leaf x { type nope; }\n}\n");
        using var d = new DaemonProcess(Args(Path.Combine(_dir, "state"), yang), "pw-for-test");
        Assert.True(d.Process.WaitForExit(30_000));
        Assert.Equal(1, d.Process.ExitCode);
        Assert.Contains("bad.yang:4:12: error: type \"nope\" not found", d.Err);
    }

    [Fact]
    public void Options_can_come_from_a_json_config_file()
    {
        var state = Path.Combine(_dir, "from-config");
        var config = Path.Combine(_dir, "mgmtd.json");
        File.WriteAllText(config, $"{{ \"StateDir\": \"{state}\", \"YangDir\": \"{Path.Combine(RepoRoot, "yang")}\" }}");
        using var d = new DaemonProcess($"--config \"{config}\"", "pw-for-config-test");
        Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
        Assert.True(File.Exists(Path.Combine(state, UserStore.FileName)));
    }

    [Fact]
    public void The_daemon_loads_the_saved_running_configuration_and_refuses_to_start_on_a_broken_one()
    {
        var state = Path.Combine(_dir, "state");
        Directory.CreateDirectory(state);
        var running = Path.Combine(state, "running.json");
        File.WriteAllText(running, """
            {"ietf-interfaces:interfaces": {"interface": [{"name": "eth0", "type": "iana-if-type:ethernetCsmacd"}]}}
            """);
        using (var d = new DaemonProcess(Args(state), "s3cret-admin-pw"))
        {
            Assert.True(d.WaitForOutput("mgmtd ready"), d.Out + d.Err);
            Assert.Contains("Running configuration loaded: 1 top-level node(s)", d.Out);
        }

        // An interface without its mandatory type: the daemon names the file and the node, and exits 1.
        File.WriteAllText(running, """{"ietf-interfaces:interfaces": {"interface": [{"name": "eth0"}]}}""");
        using var broken = new DaemonProcess(Args(state), null);
        Assert.True(broken.Process.WaitForExit(30_000));
        Assert.Equal(1, broken.Process.ExitCode);
        Assert.Contains(running, broken.Err);
        Assert.Contains("interface[name='eth0']/type", broken.Err);
    }
}
