namespace Mgmt.Dataplane.Interfaces;

/// <summary>An IPv4 address with its prefix length on an interface.</summary>
public readonly record struct Ip4Prefix(uint Address, int Length)
{
    public uint Network => Address & Fib.Ip4Fib.Mask(Length);

    public override string ToString() => $"{Packets.Ip4.Format(Address)}/{Length}";
}

/// <summary>An IPv6 address with its prefix length on an interface.</summary>
public readonly record struct Ip6Prefix(UInt128 Address, int Length)
{
    public UInt128 Network => Address & Packets.Ip6.Mask(Length);

    public override string ToString() => $"{Packets.Ip6.Format(Address)}/{Length}";
}

/// <summary>
/// A dataplane interface: its port (where frames come from and go to), MAC, MTU, admin state, IPv4 addresses
/// and RFC 8343 counters. Settings change from the control plane; workers read them without locks (addresses
/// are replaced as a whole array).
/// </summary>
public sealed class DpInterface
{
    internal DpInterface(int index, string name, Ports.IPacketPort port, ulong mac, int mtu, int workers)
    {
        PerWorker = [.. Enumerable.Range(0, workers).Select(_ => new InterfaceCounters())];
        FlushPending = new bool[workers];
        Index = index;
        Name = name;
        Port = port;
        Mac = mac;
        Mtu = mtu;
    }

    public int Index { get; }

    public string Name { get; }

    public Ports.IPacketPort Port { get; }

    public ulong Mac { get; internal set; }

    /// <summary>Largest IP packet sent without fragmenting (the Ethernet payload).</summary>
    public int Mtu { get; internal set; }

    public bool AdminUp { get; internal set; }

    /// <summary>Up when the administrator wants it and the port has a link.</summary>
    public bool OperUp => AdminUp && Port.LinkUp;

    public Ip4Prefix[] Addresses { get; internal set; } = [];

    /// <summary>IPv6 addresses; the first is the link-local one made from the MAC (RFC 4291 §2.5.6).</summary>
    public Ip6Prefix[] Addresses6 { get; internal set; } = [];

    /// <summary>The RFC 8343 counters, summed over the workers at the time of reading.</summary>
    public InterfaceCounters Counters => InterfaceCounters.Sum(PerWorker);

    /// <summary>Each worker's counters, which only that worker writes.</summary>
    internal InterfaceCounters[] PerWorker { get; }

    /// <summary>For a tunnel interface, where its packets go encapsulated; null for others.</summary>
    public Tunnel? Tunnel { get; internal init; }

    /// <summary>The routing table (VRF) its packets are looked up in, and its addresses' routes live in.</summary>
    public Fib.RouteTable Table { get; internal set; } = null!;

    /// <summary>The worker that polls the port (packets of other flows are handed to their worker).</summary>
    public int RxWorker { get; internal init; }

    /// <summary>Per worker: it transmitted on the port since it last flushed it.</summary>
    internal bool[] FlushPending { get; }

    /// <summary>Taken around a vector's transmits when several workers share the port.</summary>
    internal Lock TxLock { get; } = new();

    /// <summary>The host-stack side of the interface (a TAP) that gets what the dataplane does not serve, or null.</summary>
    public Ports.IPacketPort? PuntPort { get; internal set; }

    /// <summary>The compiled ACLs applied to packets coming in / going out, or null for none.</summary>
    public Acl.AclClassifier? InputAcl { get; internal set; }

    /// <summary>Whether the load balancer's DSR tunnels to this interface's neighbors come off here (<see cref="Nodes.DsrDecap"/>).</summary>
    public bool DsrDecap { get; internal set; }

    /// <summary>The interface's side of NAT44 (<see cref="Nat.Nat44Config"/>): none, inside or outside.</summary>
    public Nat.NatRole NatRole { get; internal set; }

    public Acl.AclClassifier? OutputAcl { get; internal set; }

    internal string[] InputAclNames { get; set; } = [];

    internal string[] OutputAclNames { get; set; } = [];

    /// <summary>The first address of this interface in the subnet of <paramref name="peer"/>, else its first address, else 0.</summary>
    public uint SourceFor(uint peer)
    {
        var all = Addresses;
        foreach (var a in all)
            if (((a.Address ^ peer) & Fib.Ip4Fib.Mask(a.Length)) == 0) return a.Address;
        return all.Length > 0 ? all[0].Address : 0;
    }

    /// <summary>The address to answer <paramref name="peer"/> from: one in its subnet, else a global one, else the link-local one.</summary>
    public UInt128 SourceFor6(UInt128 peer)
    {
        var all = Addresses6;
        foreach (var a in all)
            if (!Packets.Ip6.IsLinkLocal(a.Address) && ((a.Address ^ peer) & Packets.Ip6.Mask(a.Length)) == UInt128.Zero) return a.Address;
        if (!Packets.Ip6.IsLinkLocal(peer))
            foreach (var a in all)
                if (!Packets.Ip6.IsLinkLocal(a.Address)) return a.Address;
        return all.Length > 0 ? all[0].Address : UInt128.Zero;
    }

    public bool Owns6(UInt128 address)
    {
        foreach (var a in Addresses6) if (a.Address == address) return true;
        return false;
    }

    /// <summary>Whether <paramref name="group"/> is all-nodes or the solicited-node group of one of the addresses.</summary>
    public bool Joined(UInt128 group)
    {
        if (group == AllNodes) return true;
        foreach (var a in Addresses6) if (Packets.Ip6.SolicitedNode(a.Address) == group) return true;
        return false;
    }

    public static readonly UInt128 AllNodes = ((UInt128)0xff02_0000_0000_0000UL << 64) | 1;

    public bool Owns(uint address)
    {
        foreach (var a in Addresses) if (a.Address == address) return true;
        return false;
    }
}

/// <summary>RFC 8343 interface statistics: one set per worker, and their sum.</summary>
public sealed class InterfaceCounters
{
    public long InOctets, InUnicast, InBroadcast, InMulticast, InDiscards, InErrors, InUnknownProtos;
    public long OutOctets, OutUnicast, OutBroadcast, OutMulticast, OutDiscards, OutErrors;
#pragma warning disable CS0169, IDE0051 // padding: two workers' sets never share a cache line
    private long _pad0, _pad1, _pad2;
#pragma warning restore CS0169, IDE0051

    internal static InterfaceCounters Sum(InterfaceCounters[] all)
    {
        var s = new InterfaceCounters();
        foreach (var c in all)
        {
            s.InOctets += c.InOctets;
            s.InUnicast += c.InUnicast;
            s.InBroadcast += c.InBroadcast;
            s.InMulticast += c.InMulticast;
            s.InDiscards += c.InDiscards;
            s.InErrors += c.InErrors;
            s.InUnknownProtos += c.InUnknownProtos;
            s.OutOctets += c.OutOctets;
            s.OutUnicast += c.OutUnicast;
            s.OutBroadcast += c.OutBroadcast;
            s.OutMulticast += c.OutMulticast;
            s.OutDiscards += c.OutDiscards;
            s.OutErrors += c.OutErrors;
        }
        return s;
    }

    internal void Received(ulong destination, int length)
    {
        InOctets += length;
        if (destination == Packets.Ethernet.Broadcast) InBroadcast++;
        else if (Packets.Ethernet.IsGroup(destination)) InMulticast++;
        else InUnicast++;
    }

    internal void Sent(ulong destination, int length)
    {
        OutOctets += length;
        if (destination == Packets.Ethernet.Broadcast) OutBroadcast++;
        else if (Packets.Ethernet.IsGroup(destination)) OutMulticast++;
        else OutUnicast++;
    }
}
