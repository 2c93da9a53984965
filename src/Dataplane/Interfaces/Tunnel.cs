using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Interfaces;

/// <summary>How a tunnel interface wraps its packets.</summary>
public enum TunnelKind
{
    /// <summary>GRE (RFC 2784, with the RFC 2890 key when one is set): IPv4 or IPv6 inside IPv4 or IPv6.</summary>
    Gre,

    /// <summary>IP in IP: IPv4 (protocol 4, RFC 2003) or IPv6 (protocol 41, RFC 4213) inside IPv4 or IPv6 (RFC 2473).</summary>
    IpIp,
}

/// <summary>
/// A tunnel interface's far side: kind, the outer source (one of the dataplane's addresses, where the far end
/// sends to) and destination, both IPv4 (in the low 32 bits) or both IPv6, the table (VRF) the outer packets
/// are routed in, and the GRE key if any.
/// </summary>
public sealed record Tunnel(TunnelKind Kind, bool Outer6, UInt128 Source, UInt128 Destination, int UnderlayTable, uint? Key)
{
    /// <summary>The underlay table's slot in the dataplane.</summary>
    internal int UnderlaySlot { get; init; }

    /// <summary>Bytes the encapsulation adds in front of the inner packet.</summary>
    public int Overhead => (Outer6 ? Ip6.HeaderLength : Ip4.MinHeaderLength) + (Kind == TunnelKind.Gre ? Key is null ? 4 : 8 : 0);

    public override string ToString() =>
        $"{Kind} {(Outer6 ? Ip6.Format(Source) : Ip4.Format((uint)Source))} -> {(Outer6 ? Ip6.Format(Destination) : Ip4.Format((uint)Destination))}" +
        (Key is { } k ? $" key {k}" : "") + (UnderlayTable != 0 ? $" table {UnderlayTable}" : "");
}
