namespace Mgmt.Northbound.Netconf;

/// <summary>The counters of RFC 6022 (per server and per session), incremented without locks.</summary>
internal sealed class NetconfCounters
{
    private long _inSessions, _droppedSessions, _inBadHellos, _inRpcs, _inBadRpcs, _outRpcErrors, _outNotifications;

    public long InSessions => Interlocked.Read(ref _inSessions);
    public long DroppedSessions => Interlocked.Read(ref _droppedSessions);
    public long InBadHellos => Interlocked.Read(ref _inBadHellos);
    public long InRpcs => Interlocked.Read(ref _inRpcs);
    public long InBadRpcs => Interlocked.Read(ref _inBadRpcs);
    public long OutRpcErrors => Interlocked.Read(ref _outRpcErrors);
    public long OutNotifications => Interlocked.Read(ref _outNotifications);

    public void SessionStarted() => Interlocked.Increment(ref _inSessions);
    public void Dropped() => Interlocked.Increment(ref _droppedSessions);
    public void BadHello() => Interlocked.Increment(ref _inBadHellos);
    public void Rpc() => Interlocked.Increment(ref _inRpcs);
    public void BadRpc() => Interlocked.Increment(ref _inBadRpcs);
    public void RpcError() => Interlocked.Increment(ref _outRpcErrors);
    public void Notification() => Interlocked.Increment(ref _outNotifications);
}
