using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Mgmt.Northbound.Netconf.Transport;

/// <summary>Who is at the other end of a Unix socket: the kernel's SO_PEERCRED (Linux), not anything the peer says.</summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> buffer = stackalloc byte[12];
        var n = socket.GetRawSocketOption(SolSocket, SoPeerCred, buffer);
        if (n < 12) throw new SocketException((int)SocketError.ProtocolNotSupported);
        return new PeerCredentials(
            MemoryMarshal.Read<int>(buffer),
            MemoryMarshal.Read<uint>(buffer[4..]),
            MemoryMarshal.Read<uint>(buffer[8..]));
    }

    /// <summary>The effective uid of this process.</summary>
    public static uint CurrentUid => geteuid();

    [DllImport("libc")]
    private static extern uint geteuid();
}
