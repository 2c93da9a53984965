using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>Hands finished frames to the egress interface's port and counts them.</summary>
internal sealed class InterfaceOutput(Worker w) : GraphNode("interface-output")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            var itf = w.Interface(w.Pool.Meta[p].TxInterface);
            var frame = w.Pool.Data(p);
            if (itf is null || !itf.OperUp)
            {
                if (itf is not null) itf.Counters.OutDiscards++;
                w.Discard(p, DropReason.InterfaceDown);
                continue;
            }
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"{itf.Name} {frame.Length} bytes");
            var destination = Ethernet.Destination(frame);
            var length = frame.Length;
            if (itf.Port.Transmit(w.Pool, p)) itf.Counters.Sent(destination, length);
            else itf.Counters.OutDiscards++;
            w.Pool.Free(p);
        }
    }
}
