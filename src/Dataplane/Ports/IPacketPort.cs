using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>Where an interface's frames come from and go to: memory, a pcap file, AF_PACKET, TAP, DPDK.</summary>
public interface IPacketPort : IDisposable
{
    /// <summary>Whether the link is up (a memory port always is).</summary>
    bool LinkUp { get; }

    /// <summary>
    /// Receives up to <c>into.Length</c> waiting frames, each into a buffer allocated from <paramref name="pool"/>
    /// (data at its start, length set); returns how many. Never blocks.
    /// </summary>
    int Receive(PacketPool pool, Span<int> into);

    /// <summary>Receive queues the port has (several: each polled by its own worker); 1 unless the port says otherwise.</summary>
    int QueueCount => 1;

    /// <summary>Receives from one queue, as <see cref="Receive(PacketPool, Span{int})"/> does from the only one.</summary>
    int Receive(int queue, PacketPool pool, Span<int> into) => queue == 0 ? Receive(pool, into) : 0;

    /// <summary>
    /// Sends one frame (the packet's data; the port may use the headroom in front of it); false when the port could
    /// not take it (it is then counted as an output discard). The caller frees the buffer.
    /// </summary>
    bool Transmit(PacketPool pool, int packet);

    /// <summary>
    /// Sends what <see cref="Transmit"/> queued, for a port that batches its sends (<see cref="AfPacketPort"/>):
    /// for a worker to call once its graph has run (the port sends at its next <see cref="Receive"/> otherwise). Any
    /// thread may call it, also while another transmits.
    /// </summary>
    void Flush() { }
}
