using System.Net.Sockets;
using Mgmt.Datastore.Users;
using Mgmt.Northbound.Netconf;
using Mgmt.Northbound.Netconf.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mgmt.Mgmtd;

/// <summary>
/// The NETCONF Unix socket (<c>STATE/netconf.sock</c>, option <c>--netconf-socket</c>): sshd's netconf
/// subsystem reaches the daemon through it with <c>mgmt netconf-forward</c>, and local tools use it directly.
/// The kernel's peer credentials decide who a connection is (<see cref="LocalSocketAuthenticator"/>).
/// </summary>
internal sealed class NetconfSocketService(DaemonCore core, UserStore users, IOptions<MgmtdOptions> options, ILogger<NetconfSocketService> log)
    : BackgroundService
{
    private Socket? _listener;
    private string? _path;

    /// <summary>Binds before the daemon reports ready, so that "ready" means connectable.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _path = options.Value.ResolveNetconfSocket();
        if (_path is not null)
        {
            if (File.Exists(_path)) File.Delete(_path);
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(_path));
            // Anyone may connect; only Mgmt users' accounts and the daemon's own are let in.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_path, (UnixFileMode)0b110_110_110);
            _listener.Listen(64);
            log.LogInformation("NETCONF socket {Path}", _path);
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is null || _path is null) return;
        var path = _path;
        using var listener = _listener;
        var auth = new LocalSocketAuthenticator(users, PeerCredentials.CurrentUid, uid => Mgmt.Datastore.Users.SystemAccounts.NameOf(uid));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var socket = await listener.AcceptAsync(stoppingToken);
                _ = Task.Run(() => ServeAsync(socket, auth, stoppingToken), stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task ServeAsync(Socket socket, LocalSocketAuthenticator auth, CancellationToken ct)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            var peer = PeerCredentials.Of(socket);
            using var headerTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            headerTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            var (absent, claimed, consumed) = await ForwarderHeader.ReadAsync(stream, TimeSpan.FromSeconds(1), headerTimeout.Token);
            var who = absent ? auth.Identify(peer, null) : claimed is null ? null : auth.Identify(peer, claimed);
            if (who is null)
            {
                log.LogWarning("NETCONF socket: refused uid {Uid} (pid {Pid}) claiming {User}", peer.Uid, peer.Pid, claimed ?? "(no header)");
                await stream.DisposeAsync();
                return;
            }
            log.LogInformation("NETCONF session for {User}{Recovery} (uid {Uid})", who.User, who.IsRecovery ? " (recovery)" : "", peer.Uid);
            await core.Netconf.RunSessionAsync(consumed.Length > 0 ? new PrefixedStream(consumed, stream) : stream, who.User, who.IsRecovery, ct, "netconf-ssh");
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await stream.DisposeAsync();
        }
    }
}
