using System.Net;
using System.Net.Sockets;

namespace Mgmt.Yang.Schema;

/// <summary>
/// Canonical forms the standard string typedefs define beyond their patterns, so that one value has one
/// spelling in a datastore (list keys of addresses must match however a client wrote them):
/// ietf-inet-types ipv6-address and ipv6-prefix in RFC 5952 form (lower case, longest zero run compressed;
/// a zone is kept as written, a prefix's address is the address as given), ietf-yang-types mac-address,
/// phys-address and hex-string in lower case (RFC 6991 §3).
/// </summary>
internal static class WellKnownStrings
{
    public static string Canonical(YangType type, string value)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            switch (t.TypedefModule?.Name, t.Name)
            {
                case ("ietf-inet-types", "ipv6-address"):
                    return Ipv6(value);
                case ("ietf-inet-types", "ipv6-prefix"):
                    var slash = value.IndexOf('/');
                    return slash < 0 || Ipv6Changed(value.AsSpan(0, slash)) is not { } address ? value : address + value[slash..];
                case ("ietf-yang-types", "mac-address" or "phys-address" or "hex-string"):
                    return value.ToLowerInvariant();
            }
        }
        return value;
    }

    // The value itself when it is canonical already (most are: then no new string, e.g. for a next hop on every
    // route), else its RFC 5952 form with any zone kept as written.
    private static string Ipv6(string value) => Ipv6Changed(value) ?? value;

    private static string? Ipv6Changed(ReadOnlySpan<char> value)
    {
        var percent = value.IndexOf('%');
        var address = percent < 0 ? value : value[..percent];
        Span<char> text = stackalloc char[64];
        int n;
        if (Ipv6Text.TryParse(address, out var bits)) n = Ipv6Text.Format(bits, text); // no object, no string
        else
        {
            // A spelling only IPAddress reads.
            if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6) return null;
            if (ip.ScopeId != 0) ip = new IPAddress(ip.GetAddressBytes()); // written without a scope id of its own
            if (!ip.TryFormat(text, out n)) return null;
        }
        if (text[..n].SequenceEqual(address)) return null;
        return percent < 0 ? new string(text[..n]) : string.Concat(text[..n], value[percent..]);
    }
}
