using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Acl;

/// <summary>The fields of a packet an ACL looks at, IPv4 addresses IPv4-mapped.</summary>
public struct PacketKey
{
    /// <summary>4, 6, or 0 for a frame that is not IP (only its Ethernet fields are set).</summary>
    public int Family;

    /// <summary>The frame's MAC addresses (0 on output, where they are not written yet) and its ethertype.</summary>
    public ulong SourceMac, DestinationMac;

    public ushort EtherType;

    public UInt128 Source, Destination;
    public byte Protocol, TcpFlags, IcmpType, IcmpCode, Dscp;
    public ushort SourcePort, DestinationPort;

    /// <summary>Whether ports, flags and ICMP fields were read (not a later fragment, long enough).</summary>
    public bool HasL4;
}

/// <summary>
/// The rules of the ACLs attached to one interface and direction, compiled for tuple-space search: rules are grouped
/// by their mask (family, source length, destination length, protocol given or not, the bits of the MACs and the
/// ethertype compared); each group is a hash table from the masked addresses, protocol and Ethernet fields to its
/// rules in order, whose ports, flags and ICMP fields are checked after. Frames that are not IP form family 0,
/// where the rules without IP fields of the ACLs that have Ethernet rules are (<see cref="AclList.HasL2"/>).
/// A packet costs one probe per group (groups whose best rule cannot beat the match found so far are skipped),
/// not one test per rule. Immutable once built; the API publishes a new one.
/// </summary>
public sealed class AclClassifier
{
    private readonly Group[] _groups;

    /// <summary>Rules in order across the attached ACLs, with the ACL and position they come from (for hit counters).</summary>
    public IReadOnlyList<(AclList List, int Index)> Rules { get; }

    private sealed class Group(int family, int sourceLength, int destinationLength, bool protocol, UInt128 l2Mask)
    {
        public readonly int Family = family, SourceLength = sourceLength, DestinationLength = destinationLength;
        public readonly bool HasProtocol = protocol;
        public readonly UInt128 L2Mask = l2Mask;
        public readonly UInt128 SourceMask = Ip6.Mask(sourceLength), DestinationMask = Ip6.Mask(destinationLength);
        public readonly Dictionary<MaskedKey, int[]> Table = [];
        public int Best = int.MaxValue;
    }

    public AclClassifier(IReadOnlyList<AclList> lists)
    {
        var rules = new List<(AclList, int)>();
        var groups = new Dictionary<(int, int, int, bool, UInt128), Group>();
        var members = new Dictionary<(Group, MaskedKey), List<int>>();
        foreach (var list in lists)
            for (var i = 0; i < list.Rules.Count; i++)
            {
                var r = list.Rules[i];
                var index = rules.Count;
                rules.Add((list, i));
                var l2Mask = L2(r.SourceMacMask, r.DestinationMacMask, r.EtherType.HasValue ? ushort.MaxValue : (ushort)0);
                var l2 = L2(r.SourceMac, r.DestinationMac, r.EtherType ?? 0) & l2Mask;
                foreach (var family in Families(r, list.HasL2))
                {
                    var (sl, dl) = family == 4 ? (r.SourceLength + 96, r.DestinationLength + 96) : (r.SourceLength, r.DestinationLength);
                    if (r.Family == 0) (sl, dl) = (family == 4 ? 96 : 0, family == 4 ? 96 : 0);
                    var shape = (family, sl, dl, r.Protocol.HasValue, l2Mask);
                    if (!groups.TryGetValue(shape, out var g)) groups[shape] = g = new Group(family, sl, dl, r.Protocol.HasValue, l2Mask);
                    var key = new MaskedKey(Masked(r.Family == 0 ? Base(family) : r.Source, sl), Masked(r.Family == 0 ? Base(family) : r.Destination, dl), r.Protocol ?? 0, l2);
                    if (!members.TryGetValue((g, key), out var list2)) members[(g, key)] = list2 = [];
                    list2.Add(index);
                    g.Best = Math.Min(g.Best, index);
                }
            }
        foreach (var ((g, key), indexes) in members) g.Table[key] = [.. indexes];
        _groups = [.. groups.Values.OrderBy(g => g.Best)];
        Rules = rules;
        _rules = [.. rules.Select(r => r.Item1.Rules[r.Item2])];
        FiltersNonIp = lists.Any(l => l.HasL2);
    }

    /// <summary>Whether frames that are not IP (ARP, other ethertypes) are classified: an attached ACL has Ethernet rules.</summary>
    public bool FiltersNonIp { get; }

    // The families (0: not IP) whose packets a rule can match. A rule without IP fields sees the frames that are not
    // IP only when its ACL has Ethernet rules (an eth or mixed ACL): a pure IP ACL leaves ARP alone.
    private static int[] Families(AclRule r, bool listHasL2) => r.EtherType switch
    {
        Ethernet.TypeIp4 => [4],
        Ethernet.TypeIp6 => [6],
        not null => [0],
        null when r.Family != 0 => [r.Family],
        null => r.HasL3 || !listHasL2 ? [4, 6] : [4, 6, 0],
    };

    /// <summary>The Ethernet fields as one value: source MAC in bits 64..111, destination MAC in 16..63, ethertype in 0..15.</summary>
    private static UInt128 L2(ulong source, ulong destination, ushort etherType) => (UInt128)source << 64 | (destination << 16 | etherType);

    private readonly AclRule[] _rules;

    /// <summary>The mask groups searched per packet (the cost of a lookup).</summary>
    public int GroupCount => _groups.Length;

    // An address-less rule of family 0 matches any address of the family: IPv4-mapped for 4 (mask /96), anything for 6.
    private static UInt128 Base(int family) => family == 4 ? Neighbors.NeighborTable.Mapped(0) : UInt128.Zero;

    private static UInt128 Masked(UInt128 a, int length) => a & Ip6.Mask(length);

    /// <summary>The first rule (in attachment order) that matches, or -1.</summary>
    public int Match(in PacketKey k)
    {
        var best = int.MaxValue;
        var l2 = L2(k.SourceMac, k.DestinationMac, k.EtherType);
        foreach (var g in _groups)
        {
            if (g.Best >= best) break; // sorted by best rule: no later group can win
            if (g.Family != k.Family) continue;
            var key = new MaskedKey(k.Source & g.SourceMask, k.Destination & g.DestinationMask, g.HasProtocol ? k.Protocol : (byte)0, l2 & g.L2Mask);
            if (!g.Table.TryGetValue(key, out var candidates)) continue;
            foreach (var i in candidates)
            {
                if (i >= best) break;
                if (Rest(_rules[i], k))
                {
                    best = i;
                    break;
                }
            }
        }
        return best == int.MaxValue ? -1 : best;
    }

    public AclRule Rule(int index) => _rules[index];

    // The fields the hash does not cover.
    private static bool Rest(AclRule r, in PacketKey k)
    {
        if (r.Dscp is { } dscp && dscp != k.Dscp) return false;
        var ports = r.HasPorts;
        if (ports || r.TcpFlagsMask != 0 || r.IcmpType.HasValue || r.IcmpCode.HasValue)
        {
            if (!k.HasL4) return false;
            if (ports && (k.SourcePort < r.SourcePortLow || k.SourcePort > r.SourcePortHigh || k.DestinationPort < r.DestinationPortLow || k.DestinationPort > r.DestinationPortHigh)) return false;
            if ((k.TcpFlags & r.TcpFlagsMask) != r.TcpFlagsValue) return false;
            if (r.IcmpType is { } type && type != k.IcmpType) return false;
            if (r.IcmpCode is { } code && code != k.IcmpCode) return false;
        }
        return true;
    }
}

/// <summary>A group's hash key: the masked addresses, the protocol (0 when the group ignores it) and the masked Ethernet fields.</summary>
internal readonly struct MaskedKey(UInt128 source, UInt128 destination, byte protocol, UInt128 l2) : IEquatable<MaskedKey>
{
    private readonly UInt128 _source = source, _destination = destination, _l2 = l2;
    private readonly byte _protocol = protocol;

    public bool Equals(MaskedKey o) => _source == o._source && _destination == o._destination && _protocol == o._protocol && _l2 == o._l2;

    public override bool Equals(object? obj) => obj is MaskedKey o && Equals(o);

    public override int GetHashCode()
    {
        var h = (ulong)_source ^ (ulong)(_source >> 64) * 0x9e3779b97f4a7c15UL ^ ((ulong)_destination + _protocol) * 0xc2b2ae3d27d4eb4fUL ^ (ulong)(_destination >> 64)
            ^ ((ulong)_l2 ^ (ulong)(_l2 >> 64) * 0x165667b19e3779f9UL) * 0xff51afd7ed558ccdUL;
        return (int)(h ^ h >> 29);
    }
}

/// <summary>A named, ordered list of rules (an RFC 8519 acl), with a hit counter per rule.</summary>
public sealed class AclList(string name, IReadOnlyList<AclRule> rules)
{
    public string Name { get; } = name;

    public IReadOnlyList<AclRule> Rules { get; } = rules;

    /// <summary>Has a rule on Ethernet fields (an RFC 8519 eth or mixed ACL): then it also sees input frames that are not IP.</summary>
    public bool HasL2 { get; } = rules.Any(r => r.HasL2);

    public long[] Hits { get; } = new long[rules.Count];
}
