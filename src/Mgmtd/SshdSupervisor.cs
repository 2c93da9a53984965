using System.Diagnostics;
using Mgmt.Datastore.Persistence;
using Mgmt.Datastore.Users;
using Mgmt.Northbound.Netconf.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mgmt.Mgmtd;

/// <summary>
/// NETCONF over SSH (RFC 6242) through OpenSSH: the daemon writes a private sshd config and host key into
/// <c>STATE/ssh/</c>, runs its own sshd (restarted if it dies, stopped with the daemon) whose only subsystem is
/// the forwarder to the NETCONF socket, and keeps the authorized_keys files in step with the user store.
/// Without sshd installed it says which package to install and the other northbounds still run.
/// </summary>
internal sealed class SshdSupervisor(IOptions<MgmtdOptions> options, ILogger<SshdSupervisor> log) : BackgroundService
{
    public const string SshdPath = "/usr/sbin/sshd";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var endpoint = o.NetconfSsh ?? "127.0.0.1:8830";
        if (endpoint == "none") return;
        var socket = o.ResolveNetconfSocket();
        if (socket is null)
        {
            log.LogWarning("NETCONF over SSH needs the NETCONF socket; --netconf-socket none turns SSH off too");
            return;
        }
        if (!File.Exists(SshdPath))
        {
            log.LogWarning("NETCONF over SSH needs OpenSSH's sshd ({Path}): apt-get install openssh-server. The other northbounds run without it.", SshdPath);
            return;
        }
        if (!TryParseEndpoint(endpoint, out var host, out var port))
        {
            log.LogError("--netconf-ssh {Endpoint}: expected HOST:PORT or none", endpoint);
            return;
        }
        var mgmt = Path.Combine(AppContext.BaseDirectory, "mgmt");
        var settings = new SshdSettings(host, port, Path.GetFullPath(o.StateDir), mgmt, socket, SystemAccounts.IsRoot);
        try
        {
            Prepare(settings);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            log.LogError("NETCONF over SSH not started: {Message}", e.Message);
            return;
        }
        var restarts = 0;
        while (!stoppingToken.IsCancellationRequested && restarts < 10)
        {
            using var sshd = Start(settings);
            log.LogInformation("NETCONF over SSH on {Host}:{Port} (sshd pid {Pid})", host, port, sshd.Id);
            var keysStamp = DateTime.MinValue;
            try
            {
                while (!sshd.HasExited)
                {
                    keysStamp = SyncKeys(settings, keysStamp);
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                log.LogWarning("sshd exited with {Code}; restarting", sshd.ExitCode);
                restarts++;
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                Stop(sshd);
            }
        }
    }

    private static bool TryParseEndpoint(string text, out string host, out int port)
    {
        var colon = text.LastIndexOf(':');
        host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        return int.TryParse(text[(colon + 1)..], out port) && port is > 0 and < 65536 && host.Length > 0;
    }

    private void Prepare(SshdSettings s)
    {
        Directory.CreateDirectory(s.Dir);
        Directory.CreateDirectory(s.AuthorizedKeysDir);
        if (!File.Exists(s.HostKeyPath))
        {
            if (Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mgmtd", "-f", s.HostKeyPath) != 0)
                throw new InvalidOperationException("ssh-keygen could not create the host key");
            log.LogInformation("Created SSH host key {Path}", s.HostKeyPath);
        }
        AtomicFile.WriteText(s.ConfigPath, SshdConfig.Render(s));
        // Debian's sshd wants its privilege separation directory.
        if (s.AsRoot) Directory.CreateDirectory("/run/sshd");
        SyncKeys(s, DateTime.MinValue);
        if (Run(SshdPath, "-t", "-f", s.ConfigPath) != 0)
            throw new InvalidOperationException($"sshd rejects {s.ConfigPath}");
    }

    /// <summary>Rewrites the authorized_keys files when the user store changed; returns the store's new stamp.</summary>
    private static DateTime SyncKeys(SshdSettings s, DateTime seen)
    {
        var file = Path.Combine(s.StateDir, UserStore.FileName);
        var stamp = File.Exists(file) ? File.GetLastWriteTimeUtc(file) : DateTime.MinValue;
        if (stamp == seen) return stamp;
        var users = UserStore.Open(s.StateDir).List();
        var files = SshdConfig.AuthorizedKeys(s, users, Environment.UserName);
        foreach (var old in Directory.GetFiles(s.AuthorizedKeysDir))
            if (!files.ContainsKey(Path.GetFileName(old))) File.Delete(old);
        // Public keys, read by sshd as the user logging in: owned by the daemon, readable by all, writable by none else.
        foreach (var (login, text) in files)
            AtomicFile.WriteText(Path.Combine(s.AuthorizedKeysDir, login), text, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return stamp;
    }

    private Process Start(SshdSettings s)
    {
        var psi = new ProcessStartInfo(SshdPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-D", "-e", "-f", s.ConfigPath }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.LogInformation("sshd: {Line}", e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) log.LogInformation("sshd: {Line}", e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    private static void Stop(Process sshd)
    {
        if (sshd.HasExited) return;
        Run("kill", "-TERM", sshd.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!sshd.WaitForExit(5000)) sshd.Kill(entireProcessTree: true);
    }

    private static int Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
