namespace Mgmt.Dataplane.Nodes;

/// <summary>
/// Ethernet headers of recent neighbors for a rewrite node (ip4-rewrite, ip6-rewrite), one slot per next-hop hash:
/// vectors whose packets go to many neighbors in turn (a load balancer's servers, ECMP) make each header once. A
/// header is good while the neighbor table is at the version it was made at, the interface's MAC is the same and
/// less than the recheck interval has passed (after which the node asks the hold queue again: aging, probes).
/// </summary>
internal sealed class RewriteCache
{
    private struct Entry
    {
        public EthernetRewrite Header;
        public ulong SourceMac;
        public long Checked;
        public int Version;
    }

    /// <summary>The longest a header is used before its neighbor is looked at again.</summary>
    public const int MinRecheckMs = 100;

    private readonly Entry[] _entries = new Entry[64];

    private static int Slot(UInt128 nextHop) => (int)(((uint)nextHop ^ (uint)(nextHop >> 64)) * 2654435761u >> 26);

    /// <summary>The header kept for this neighbor, if it is still good (see the class remarks); else none (default).</summary>
    public bool TryGet(int interfaceIndex, UInt128 nextHop, ulong sourceMac, int version, long now, long recheck, out EthernetRewrite header)
    {
        ref var e = ref _entries[Slot(nextHop)];
        if (e.Version == version && e.Header.Interface == interfaceIndex && e.Header.NextHop == nextHop
            && e.Header.Mac != 0 && e.SourceMac == sourceMac && now - e.Checked <= recheck)
        {
            header = e.Header;
            return true;
        }
        header = default; // not a stale one: a packet held for want of its neighbor must not leave the next its header
        return false;
    }

    /// <summary>Keeps a header just made; while its neighbor is being probed, none (the next packet asks again).</summary>
    public void Put(in EthernetRewrite header, ulong sourceMac, int version, long now, bool probing) =>
        _entries[Slot(header.NextHop)] = probing ? default : new Entry { Header = header, SourceMac = sourceMac, Checked = now, Version = version };
}
