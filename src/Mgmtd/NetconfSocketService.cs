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
    private NetconfServer? _server;

    public NetconfServer Server => _server ?? throw new InvalidOperationException("the NETCONF server is not started");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = options.Value.ResolveNetconfSocket();
        if (path is null) return;
        _server = new NetconfServer(core.Datastores, new NetconfOptions());
        var auth = new LocalSocketAuthenticator(users, PeerCredentials.CurrentUid, uid => Mgmt.Datastore.Users.SystemAccounts.NameOf(uid));
        if (File.Exists(path)) File.Delete(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        // Anyone may connect; only Mgmt users' accounts and the daemon's own are let in.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        listener.Listen(64);
        log.LogInformation("NETCONF socket {Path}", path);
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
            var claimed = await ForwarderHeader.ReadAsync(stream, headerTimeout.Token);
            var who = claimed is null ? null : auth.Identify(peer, claimed);
            if (who is null)
            {
                log.LogWarning("NETCONF socket: refused uid {Uid} (pid {Pid}) claiming {User}", peer.Uid, peer.Pid, claimed ?? "(no header)");
                await stream.DisposeAsync();
                return;
            }
            log.LogInformation("NETCONF session for {User}{Recovery} (uid {Uid})", who.User, who.IsRecovery ? " (recovery)" : "", peer.Uid);
            await Server.RunSessionAsync(stream, who.User, who.IsRecovery, ct);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await stream.DisposeAsync();
        }
    }
}
