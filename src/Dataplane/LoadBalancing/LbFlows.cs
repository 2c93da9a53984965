using Mgmt.Dataplane.Acl;
using Mgmt.Dataplane.Sessions;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>
/// One worker's load balancer flows (VPP's sticky table): each flow keeps the server it was given while it lives,
/// whatever the VIP's servers become. IPv4 flows in one table, IPv6 flows in another (made at the first). A flow's
/// payload is its VIP's serial (high half) and its server's number (low half). In NAT mode the reverse key is the
/// server's reply as it comes back, so the replies find the flow; in the other modes it is the forward key reversed
/// (no reply comes through).
/// </summary>
internal sealed class LbFlows(int capacity, SessionTimeouts timeouts)
{
    private SessionTable<FlowKey6>? _six;

    public SessionTable<FlowKey4> Four { get; } = new(capacity, timeouts);

    public SessionTable<FlowKey6> Six => _six ??= new SessionTable<FlowKey6>(capacity, Four.Timeouts);

    public bool HasSix => _six is not null;

    public long Forwarded, Returned, NoServer;

    public SessionTimeouts Timeouts
    {
        get => Four.Timeouts;
        set
        {
            Four.Timeouts = value;
            if (_six is not null) _six.Timeouts = value;
        }
    }

    public static ulong Payload(int vipSerial, int server) => (ulong)(uint)vipSerial << 32 | (uint)server;

    public static int VipOf(ulong payload) => (int)(payload >> 32);

    public static int ServerOf(ulong payload) => (int)(uint)payload;
}
