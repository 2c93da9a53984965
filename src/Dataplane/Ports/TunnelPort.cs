using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Ports;

/// <summary>
/// The port of a tunnel interface: nothing to poll (its packets arrive inside others and are decapsulated) and
/// nothing to send (its packets leave encapsulated through the underlay); its link is up.
/// </summary>
internal sealed class TunnelPort : IPacketPort
{
    public bool LinkUp => true;

    public int Receive(PacketPool pool, Span<int> into) => 0;

    public bool Transmit(PacketPool pool, int packet) => false;

    public void Dispose() { }
}
