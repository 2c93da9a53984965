namespace Mgmt.Dataplane.Graph;

/// <summary>
/// Runs the nodes of one worker VPP-style: packets wait in their next node's frame; a node with a waiting frame
/// is scheduled and runs on the whole vector (a full frame runs at once), until no frame waits.
/// </summary>
internal sealed class VectorGraph
{
    private readonly Queue<GraphNode> _ready = new();
    private readonly Stack<Frame> _spare = new();

    public void Enqueue(GraphNode next, int packet)
    {
        var f = next.Pending;
        f.Packets[f.Count++] = packet;
        if (f.Count == Frame.Size) RunNode(next);
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
            if (node.Pending.Count > 0) RunNode(node);
        }
    }

    private void RunNode(GraphNode node)
    {
        var frame = node.Pending;
        node.Pending = _spare.Count > 0 ? _spare.Pop() : new Frame();
        node.Calls++;
        node.Packets += frame.Count;
        node.Process(frame.Packets.AsSpan(0, frame.Count));
        frame.Count = 0;
        _spare.Push(frame);
    }
}
