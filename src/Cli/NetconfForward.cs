using System.Net.Sockets;
using Mgmt.Northbound.Netconf.Transport;

namespace Mgmt.Cli;

/// <summary>
/// <c>mgmt netconf-forward [--socket PATH] [--user NAME]</c>: joins stdin/stdout to the daemon's NETCONF
/// socket. sshd runs it as the netconf subsystem (through the account's login shell, which for Mgmt
/// accounts is <c>mgmt</c> itself: see <see cref="FromLoginShell"/>) or as a key's forced command naming the user.
/// </summary>
internal static class NetconfForward
{
    public const string DefaultSocket = "/var/lib/mgmt/netconf.sock";

    public static int Run(IReadOnlyList<string> args, CliIo io)
    {
        var a = new Args(args, ["--socket", "--user"], []);
        if (a.Positionals.Count > 0) throw new UsageException("netconf-forward takes no arguments");
        var path = a.One("--socket") ?? Environment.GetEnvironmentVariable("MGMT_NETCONF_SOCKET") ?? DefaultSocket;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            io.Error.WriteLine($"mgmt: cannot reach the NETCONF server at {path}: {e.Message}");
            return 1;
        }
        using var net = new NetworkStream(socket, ownsSocket: false);
        net.Write(ForwarderHeader.Encode(a.One("--user")));
        using var stdin = Console.OpenStandardInput();
        using var stdout = Console.OpenStandardOutput();
        // Either direction ending ends the session: the client left, or the server closed it.
        var up = Task.Run(async () =>
        {
            await stdin.CopyToAsync(net);
            socket.Shutdown(SocketShutdown.Send);
        });
        var down = Task.Run(async () => await net.CopyToAsync(stdout));
        Task.WaitAny(up, down);
        return 0;
    }

    /// <summary>
    /// As a login shell sshd calls us <c>mgmt -c "COMMAND"</c>. Only the forwarder may run that way: an
    /// interactive shell or any other command is refused, so a Mgmt account can do nothing but NETCONF.
    /// </summary>
    public static int FromLoginShell(string command, CliIo io)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(words, "netconf-forward");
        if (at < 0)
        {
            io.Error.WriteLine("mgmt: this account serves NETCONF only");
            return 1;
        }
        return Run(words[(at + 1)..], io);
    }
}
