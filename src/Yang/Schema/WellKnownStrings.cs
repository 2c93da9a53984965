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
                    return slash < 0 ? value : Ipv6(value[..slash]) + value[slash..];
                case ("ietf-yang-types", "mac-address" or "phys-address" or "hex-string"):
                    return value.ToLowerInvariant();
            }
        }
        return value;
    }

    private static string Ipv6(string value)
    {
        var percent = value.IndexOf('%');
        var address = percent < 0 ? value : value[..percent];
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6) return value;
        var text = new IPAddress(ip.GetAddressBytes()).ToString(); // without a scope id of its own
        return percent < 0 ? text : text + value[percent..];
    }
}
