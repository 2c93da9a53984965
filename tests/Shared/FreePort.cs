using System.Net;
using System.Net.Sockets;

namespace Mgmt.Tests.Shared;

internal static class Ports
{
    /// <summary>A TCP port on the loopback that nothing listens on right now.</summary>
    public static int Free()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
