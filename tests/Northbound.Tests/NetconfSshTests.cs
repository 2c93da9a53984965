using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Mgmt.Tests.Shared;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// NETCONF over SSH end to end: the daemon's own sshd, a Mgmt user created by <c>mgmt user add</c> as root,
/// and Debian's python3-ncclient logging in with the password and with a key.
/// </summary>
public sealed class NetconfSshTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netconf-ssh-").FullName;
    private readonly string _user = "mgt" + Guid.NewGuid().ToString("N")[..8];

    public NetconfSshTests()
    {
        // The forwarder runs as the user's system account: it must reach the socket in the state dir.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
    }

    public void Dispose()
    {
        Run("userdel", _user);
        Directory.Delete(_dir, recursive: true);
    }

    private static bool CanRun => Environment.UserName == "root" && File.Exists("/usr/sbin/sshd") && File.Exists("/usr/bin/python3")
        && Directory.Exists("/usr/lib/python3/dist-packages/ncclient");

    private static (int Code, string Out, string Err) Run(string file, string args, string? stdin = null, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) p.Kill(entireProcessTree: true);
        return (p.ExitCode, o.Result, e.Result);
    }


    [Fact]
    public void Ncclient_logs_in_with_password_and_with_key_and_configures_over_netconf()
    {
        Assert.SkipUnless(CanRun, "needs root, openssh-server and python3-ncclient (installed by .ci/run)");
        var state = Path.Combine(_dir, "state");
        var key = Path.Combine(_dir, "id_ed25519");
        Assert.Equal(0, Run("ssh-keygen", $"-q -t ed25519 -N \"\" -f \"{key}\"").Code);
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var mgmt = Path.Combine(AppContext.BaseDirectory, "mgmt.dll");
        var add = Run("dotnet", $"\"{mgmt}\" user add {_user} --group admin --password-stdin --ssh-key \"{key}.pub\" --state-dir \"{state}\"", password + "\n",
            new() { ["MGMT_SYSTEM_ACCOUNTS"] = "on" });
        Assert.True(add.Code == 0, add.Err);
        Assert.DoesNotContain("warning", add.Err);

        var port = Ports.Free();
        using var d = new DaemonProcess($"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\" --netconf-ssh 127.0.0.1:{port}", null, systemAccounts: true);
        Assert.True(d.WaitForOutput("sshd: Server listening on"), d.Out + d.Err);
        var script = Path.Combine(AppContext.BaseDirectory, "Clients", "ncclient_session.py");

        var byPassword = Run("/usr/bin/python3", $"\"{script}\" 127.0.0.1 {port} {_user} --password-env NC_PW eth-pw", env: new() { ["NC_PW"] = password });
        Assert.True(byPassword.Code == 0, byPassword.Err + d.Out);
        var r = JsonDocument.Parse(byPassword.Out).RootElement;
        Assert.True(r.GetProperty("base11").GetBoolean());
        Assert.True(r.GetProperty("candidate").GetBoolean());
        Assert.Equal("module ietf-interfaces {", r.GetProperty("schema_head").GetString());
        Assert.Equal(["eth-pw"], r.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("missing-element", r.GetProperty("error_tag").GetString());
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='no-type']/type", r.GetProperty("error_path").GetString());
        Assert.Contains($"NETCONF session for {_user} (uid", d.Out);

        var byKey = Run("/usr/bin/python3", $"\"{script}\" 127.0.0.1 {port} {_user} --key \"{key}\" eth-key");
        Assert.True(byKey.Code == 0, byKey.Err + d.Out);
        Assert.Equal(["eth-key", "eth-pw"], JsonDocument.Parse(byKey.Out).RootElement.GetProperty("names").EnumerateArray().Select(e => e.GetString()));

        var wrong = Run("/usr/bin/python3", $"\"{script}\" 127.0.0.1 {port} {_user} --password-env NC_PW eth-x", env: new() { ["NC_PW"] = "wrong-password" });
        Assert.NotEqual(0, wrong.Code);
        Assert.Contains("Authentication", wrong.Err);
    }

    [Fact]
    public void Ncclient_runs_a_controller_workflow_over_ssh_in_two_sessions()
    {
        Assert.SkipUnless(CanRun, "needs root, openssh-server and python3-ncclient (installed by .ci/run)");
        var state = Path.Combine(_dir, "state");
        var key = Path.Combine(_dir, "id_ed25519");
        Assert.Equal(0, Run("ssh-keygen", $"-q -t ed25519 -N \"\" -f \"{key}\"").Code);
        var mgmt = Path.Combine(AppContext.BaseDirectory, "mgmt.dll");
        var add = Run("dotnet", $"\"{mgmt}\" user add {_user} --group admin --ssh-key \"{key}.pub\" --state-dir \"{state}\"", null, new() { ["MGMT_SYSTEM_ACCOUNTS"] = "on" });
        Assert.True(add.Code == 0, add.Err);
        var port = Ports.Free();
        using var d = new DaemonProcess($"--state-dir \"{state}\" --yang-dir \"{RepoPaths.Yang}\" --netconf-ssh 127.0.0.1:{port}", null, systemAccounts: true);
        Assert.True(d.WaitForOutput("sshd: Server listening on"), d.Out + d.Err);

        var script = Path.Combine(AppContext.BaseDirectory, "Clients", "ncclient_workflow.py");
        var run = Run("/usr/bin/python3", $"\"{script}\" 127.0.0.1 {port} {_user} \"{key}\"");
        Assert.True(run.Code == 0, run.Err + d.Out);
        var r = JsonDocument.Parse(run.Out).RootElement;
        string[] Names(string p) => [.. r.GetProperty(p).EnumerateArray().Select(e => e.GetString()!)];

        var denied = r.GetProperty("lock_denied");
        Assert.Equal("lock-denied", denied.GetProperty("tag").GetString());
        Assert.Contains($"<session-id>{r.GetProperty("holder").GetString()}</session-id>", denied.GetProperty("info").GetString()!.Replace("nc:", ""));
        Assert.Equal(["wf0"], Names("running"));
        Assert.Equal(["wf-temp", "wf0"], Names("during_confirm"));
        Assert.Equal(["wf0"], Names("after_timeout"));
        Assert.Equal(["wf0"], Names("candidate_after_discard"));
        Assert.Equal(["wf0"], Names("startup"));
        Assert.EndsWith(":ethernetCsmacd", Assert.Single(Names("xpath_types")));
        Assert.Equal(["wf0"], Names("xpath_names"));
        Assert.Equal(["true"], Names("enabled_report_all"));
        Assert.Empty(Names("enabled_explicit"));
        Assert.Equal("data-exists", r.GetProperty("data_exists").GetProperty("tag").GetString());
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='wf0']", r.GetProperty("data_exists").GetProperty("path").GetString());
        Assert.Equal("data-missing", r.GetProperty("data_missing").GetProperty("tag").GetString());
        Assert.Equal("invalid-value", r.GetProperty("bad_value").GetProperty("tag").GetString());
        Assert.Equal("/ietf-interfaces:interfaces/interface[name='wf0']/enabled", r.GetProperty("bad_value").GetProperty("path").GetString());
        Assert.Contains("netconf-config-change", Names("notifications"));
        Assert.False(r.GetProperty("killed_session_works").GetBoolean());
    }
}
