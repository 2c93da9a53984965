using Mgmt.Dataplane.Graph;
using Mgmt.Dataplane.Interfaces;
using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Hands finished frames to the egress interface's port and counts them. With several workers, a worker holds the
/// port's transmit lock while it sends a run of frames to it (a vector mostly goes to one port: one lock per vector).
/// </summary>
internal sealed class InterfaceOutput(Worker w) : GraphNode("interface-output")
{
    private readonly List<DpInterface> _toFlush = new(64);

    /// <summary>Has the ports this worker transmitted to since the last call send what they batched.</summary>
    public void Flush()
    {
        foreach (var itf in _toFlush)
        {
            itf.FlushPending[w.Index] = false;
            itf.Port.Flush();
        }
        _toFlush.Clear();
    }

    protected internal override void Process(ReadOnlySpan<int> packets)
    {
        var pool = w.Pool; // locals: the JIT would reload them through w for every packet
        var meta = pool.Meta;
        var shared = w.Dataplane.Workers.Count > 1;
        DpInterface? locked = null;
        try
        {
            DpInterface? itf = null;
            InterfaceCounters? counters = null;
            var up = false;
            foreach (var p in packets)
            {
                ref var m = ref meta[p];
                if (itf?.Index != m.TxInterface)
                {
                    itf = w.Interface(m.TxInterface); // read once per run of one interface's frames
                    up = itf is not null && itf.OperUp;
                    counters = itf?.PerWorker[w.Index];
                    if (up && itf is not null && !itf.FlushPending[w.Index])
                    {
                        itf.FlushPending[w.Index] = true; // its port sends what it batched at the end of the round
                        _toFlush.Add(itf);
                    }
                }
                var frame = pool.Data(p);
                if (!up || itf is null || counters is null)
                {
                    if (counters is not null) counters.OutDiscards++;
                    w.Discard(p, DropReason.InterfaceDown);
                    continue;
                }
                if (m.Traced) w.Trace(p, Name, $"{itf.Name} {frame.Length} bytes");
                if (shared && itf != locked)
                {
                    locked?.TxLock.Exit();
                    itf.TxLock.Enter();
                    locked = itf;
                }
                var destination = Ethernet.Destination(frame);
                var length = frame.Length;
                if (itf.Port.Transmit(pool, p)) counters.Sent(destination, length);
                else counters.OutDiscards++;
                pool.Free(p);
            }
        }
        finally
        {
            locked?.TxLock.Exit();
        }
    }
}
