using System.Collections.Concurrent;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// A port in memory, for tests and the embedded default: frames queued by <see cref="Inject"/> are received;
/// transmitted frames are kept in <see cref="Sent"/> (up to <see cref="MaxQueued"/>, then dropped).
/// </summary>
public sealed class MemoryPort : IPacketPort
{
    public const int MaxQueued = 65536;

    private readonly ConcurrentQueue<byte[]> _inbound = new();

    public ConcurrentQueue<byte[]> Sent { get; } = new();

    public bool LinkUp { get; set; } = true;

    public void Inject(byte[] frame) => _inbound.Enqueue(frame);

    /// <summary>Forgets what was sent so far.</summary>
    public void Clear() => Sent.Clear();

    public int Receive(PacketPool pool, Span<int> into)
    {
        var n = 0;
        while (n < into.Length && _inbound.TryPeek(out var frame))
        {
            var p = pool.Allocate();
            if (p < 0) break;
            _inbound.TryDequeue(out _);
            var length = Math.Min(frame.Length, pool.Room(p).Length);
            frame.AsSpan(0, length).CopyTo(pool.Room(p));
            pool.Meta[p].Length = length;
            into[n++] = p;
        }
        return n;
    }

    public bool Transmit(PacketPool pool, int packet)
    {
        if (Sent.Count >= MaxQueued) return false;
        Sent.Enqueue(pool.Data(packet).ToArray());
        return true;
    }

    public void Dispose() { }
}
