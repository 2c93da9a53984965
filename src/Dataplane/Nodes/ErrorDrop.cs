using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>Frees dropped packets and counts them by <see cref="DropReason"/>.</summary>
internal sealed class ErrorDrop(Worker w) : GraphNode("error-drop")
{
    public readonly long[] Counts = new long[Enum.GetValues<DropReason>().Length];

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        foreach (var p in packets)
        {
            var reason = w.Pool.Meta[p].Drop;
            Counts[(int)reason]++;
            if (w.Pool.Meta[p].Traced) w.Trace(p, Name, reason.ToString());
            w.Pool.Free(p);
        }
    }
}
