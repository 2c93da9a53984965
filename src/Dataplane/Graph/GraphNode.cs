namespace Mgmt.Dataplane.Graph;

/// <summary>
/// A node of the packet graph: it gets a vector of packet indices, does its one job on each and hands each to a
/// next node (<see cref="VectorGraph.Enqueue"/>). Counters: how often it ran, how many packets it saw and made.
/// </summary>
public abstract class GraphNode(string name)
{
    public string Name { get; } = name;

    public long Calls { get; internal set; }

    public long Packets { get; internal set; }

    /// <summary>Packets the node made in buffers of their own: the fragments ip4-fragment cut (0 for the other nodes).</summary>
    public long Made { get; internal set; }

    // The frame waiting for this node, in the node itself (an enqueue is one load of each, not a walk through a
    // frame object): its packets and how many.
    internal int[] Pending = new int[Frame.Size];
    internal int PendingCount;

    internal bool Scheduled;

    protected internal abstract void Process(ReadOnlySpan<int> packets);
}

/// <summary>A frame: up to <see cref="Size"/> packet indices handed to a node at once.</summary>
internal static class Frame
{
    public const int Size = 256;
}

/// <summary>A node's counters summed over the workers.</summary>
public readonly record struct NodeCounters(string Name, long Calls, long Packets, long Made);
