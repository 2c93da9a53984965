using System.Text;
using Mgmt.Datastore.Users;

namespace Mgmt.Northbound.Netconf.Transport;

/// <param name="ListenHost">Address sshd listens on.</param>
/// <param name="Port">Its port (830 in production, 8830 by default so that no root is needed).</param>
/// <param name="StateDir">The daemon's state dir: the config, host key and authorized keys live in its <c>ssh/</c>.</param>
/// <param name="MgmtPath">The <c>mgmt</c> executable: the netconf subsystem and the Mgmt accounts' shell.</param>
/// <param name="SocketPath">The daemon's NETCONF socket the forwarder joins.</param>
/// <param name="AsRoot">sshd runs as root: system accounts with passwords (PAM); otherwise only keys, for the daemon's own account.</param>
public sealed record SshdSettings(string ListenHost, int Port, string StateDir, string MgmtPath, string SocketPath, bool AsRoot)
{
    public string Dir => Path.Combine(StateDir, "ssh");

    public string ConfigPath => Path.Combine(Dir, "sshd_config");

    public string HostKeyPath => Path.Combine(Dir, "ssh_host_ed25519_key");

    public string PidPath => Path.Combine(Dir, "sshd.pid");

    public string AuthorizedKeysDir => Path.Combine(Dir, "authorized_keys");

    public string ForwardCommand => $"{MgmtPath} netconf-forward --socket {SocketPath}";
}

/// <summary>
/// The private sshd configuration the daemon supervises (RFC 6242 transport): the netconf subsystem and
/// nothing else: no shell, no forwarding of any kind, no TTY, bounded unauthenticated connections.
/// </summary>
public static class SshdConfig
{
    public static string Render(SshdSettings s)
    {
        var b = new StringBuilder();
        b.Append("# Written by mgmtd on every start; edits are lost.\n");
        b.Append($"ListenAddress {s.ListenHost}:{s.Port}\n");
        b.Append($"HostKey {s.HostKeyPath}\n");
        b.Append($"PidFile {s.PidPath}\n");
        b.Append($"AuthorizedKeysFile {s.AuthorizedKeysDir}/%u\n");
        b.Append("PubkeyAuthentication yes\n");
        if (s.AsRoot)
        {
            b.Append("UsePAM yes\nPasswordAuthentication yes\n");
            b.Append($"AllowGroups {SystemAccounts.Group}\n");
            b.Append("PermitRootLogin no\n");
        }
        else
        {
            b.Append("UsePAM no\nPasswordAuthentication no\n");
        }
        b.Append("KbdInteractiveAuthentication no\n");
        b.Append("AllowTcpForwarding no\nAllowStreamLocalForwarding no\nAllowAgentForwarding no\nX11Forwarding no\n");
        b.Append("PermitTunnel no\nPermitTTY no\nPermitUserRC no\nPermitUserEnvironment no\nGatewayPorts no\n");
        b.Append("MaxStartups 10:30:60\nLoginGraceTime 30\nMaxAuthTries 4\nMaxSessions 4\n");
        b.Append("ClientAliveInterval 60\nClientAliveCountMax 3\n");
        b.Append("StrictModes no\nPrintMotd no\nPrintLastLog no\nUseDNS no\n");
        b.Append($"Subsystem netconf {s.ForwardCommand}\n");
        return b.ToString();
    }

    /// <summary>
    /// authorized_keys files, one per login name. As root each Mgmt user logs in as their own account. Otherwise
    /// every key logs in as the daemon's account with a forced command that names the Mgmt user it belongs to.
    /// </summary>
    public static Dictionary<string, string> AuthorizedKeys(SshdSettings s, IEnumerable<User> users, string daemonAccount)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var shared = new StringBuilder();
        foreach (var u in users)
        {
            if (u.SshKeys.Count == 0) continue;
            var own = new StringBuilder();
            foreach (var k in u.SshKeys)
            {
                own.Append("restrict ").Append(k).Append('\n');
                shared.Append($"restrict,command=\"{s.ForwardCommand} --user {u.Name}\" ").Append(k).Append('\n');
            }
            if (s.AsRoot) files[u.Name] = own.ToString();
        }
        if (!s.AsRoot) files[daemonAccount] = shared.ToString();
        return files;
    }
}
