namespace Mgmt.Mgmtd;

/// <summary>
/// Daemon options. The same keys come from the command line (<c>--state-dir</c>, <c>--yang-dir</c>,
/// <c>--config</c>) and from the optional JSON config file (<c>{"StateDir": ..., "YangDir": ...}</c>);
/// the command line wins. Listener options of later northbounds join this class.
/// </summary>
public sealed class MgmtdOptions
{
    /// <summary>Where the daemon keeps its state (users, datastores). Created on start.</summary>
    public string StateDir { get; set; } = "./var";

    /// <summary>The YANG modules to serve; default: the modules shipped next to the binary (the repo's yang/).</summary>
    public string? YangDir { get; set; }

    /// <summary>The NETCONF Unix socket; default <c>STATE/netconf.sock</c>; <c>none</c> turns it off.</summary>
    public string? NetconfSocket { get; set; }

    public string? ResolveNetconfSocket() => NetconfSocket switch
    {
        "none" => null,
        null or "" => Path.GetFullPath(Path.Combine(StateDir, "netconf.sock")),
        var p => Path.GetFullPath(p),
    };

    /// <summary>NETCONF over SSH: <c>HOST:PORT</c> of the daemon's own sshd (default 127.0.0.1:8830; 830 in production); <c>none</c> turns it off.</summary>
    public string? NetconfSsh { get; set; }

    /// <summary>NETCONF over TLS: <c>ADDRESS:PORT</c> (6513 in production); off unless given.</summary>
    public string? NetconfTls { get; set; }

    /// <summary>The TLS server certificate and key (PEM); default: <c>STATE/tls/server.crt</c>/<c>server.key</c>, created self-signed.</summary>
    public string? TlsCert { get; set; }

    public string? TlsKey { get; set; }

    public static readonly Dictionary<string, string> SwitchMappings = new()
    {
        ["--netconf-tls"] = "NetconfTls",
        ["--tls-cert"] = "TlsCert",
        ["--tls-key"] = "TlsKey",
        ["--netconf-ssh"] = "NetconfSsh",
        ["--netconf-socket"] = "NetconfSocket",
        ["--state-dir"] = "StateDir",
        ["--yang-dir"] = "YangDir",
        ["--config"] = "Config",
    };

    /// <summary>The yang/ folder copied beside the binary at build time.</summary>
    public string ResolveYangDir() => Path.GetFullPath(YangDir ?? Path.Combine(AppContext.BaseDirectory, "yang"));
}
