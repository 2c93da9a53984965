namespace Mgmt.Dataplane.Graph;

/// <summary>
/// Runs the nodes of one worker VPP-style: packets wait in their next node's frame; a node with a waiting frame
/// is scheduled and runs on the whole vector (a full frame runs at once), until no frame waits.
/// </summary>
internal sealed class VectorGraph
{
    private readonly Queue<GraphNode> _ready = new();
    private readonly Stack<int[]> _spare = new();

    public void Enqueue(GraphNode next, int packet)
    {
        var count = next.PendingCount;
        next.Pending[count] = packet;
        next.PendingCount = ++count;
        if (count == Frame.Size) RunNode(next);
        else if (!next.Scheduled)
        {
            next.Scheduled = true;
            _ready.Enqueue(next);
        }
    }

    /// <summary>Runs scheduled nodes until every frame is empty.</summary>
    public void Run()
    {
        while (_ready.TryDequeue(out var node))
        {
            node.Scheduled = false;
            if (node.PendingCount > 0) RunNode(node);
        }
    }

    private void RunNode(GraphNode node)
    {
        var frame = node.Pending;
        var count = node.PendingCount;
        node.Pending = _spare.Count > 0 ? _spare.Pop() : new int[Frame.Size];
        node.PendingCount = 0;
        node.Calls++;
        node.Packets += count;
        node.Process(frame.AsSpan(0, count));
        _spare.Push(frame);
    }
}
