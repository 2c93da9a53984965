using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Hands IP packets the dataplane does not serve itself to the host stack through the receiving interface's TAP
/// (<see cref="Ports.TapPort"/>), Ethernet header and all; without a TAP they are dropped.
/// </summary>
internal sealed class HostPunt(Worker w) : GraphNode("punt")
{
    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            var itf = w.Interface(w.Pool.Meta[p].RxInterface);
            if (itf?.PuntPort is not { } tap)
            {
                w.Discard(p, DropReason.LocalNoListener);
                continue;
            }
            w.Pool.Advance(p, -Ethernet.HeaderLength); // ethernet-input stripped it; the bytes are still there
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, $"to the host through {itf.Name}'s TAP");
            tap.Transmit(w.Pool, p);
            w.Pool.Free(p);
        }
    }

    /// <summary>Gives the host stack a copy of a frame the dataplane also handles (ARP, neighbor discovery).</summary>
    public static void Copy(Worker w, int p, int l2Offset)
    {
        var itf = w.Interface(w.Pool.Meta[p].RxInterface);
        if (itf?.PuntPort is not { } tap) return;
        var copy = w.Pool.Allocate();
        if (copy < 0) return;
        w.Pool.Advance(p, -l2Offset);
        var frame = w.Pool.Data(p);
        frame.CopyTo(w.Pool.Room(copy));
        w.Pool.Meta[copy].Length = frame.Length;
        w.Pool.Advance(p, l2Offset);
        tap.Transmit(w.Pool, copy);
        w.Pool.Free(copy);
    }
}
