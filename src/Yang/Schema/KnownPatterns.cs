namespace Mgmt.Yang.Schema;

/// <summary>
/// Hand-written matchers for the patterns that most configuration values pass through: IPv4 addresses and prefixes
/// of ietf-inet-types (RFC 6991 and its successor) and the character-set patterns of the "no zone" address types.
/// Each accepts exactly what its regex accepts (a property test holds them to the regexes), in a fraction of the
/// time: a million routes or ACL entries check their addresses without the regex interpreter, which Native AOT
/// cannot compile to code. Other patterns keep their regexes.
/// </summary>
internal static class KnownPatterns
{
    /// <summary>Whether a value matches a pattern (a value a reader has only in its buffer needs no string).</summary>
    public delegate bool Matcher(ReadOnlySpan<char> value);

    private const string Octet = "([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])";
    private const string DottedQuad = "(" + Octet + @"\.){3}" + Octet;

    private static readonly Dictionary<string, Matcher> ByPattern = new(StringComparer.Ordinal)
    {
        [DottedQuad + "(%.+)?"] = Ip4WithZone,
        [DottedQuad + "/(([0-9])|([1-2][0-9])|(3[0-2]))"] = Ip4Prefix,
        [@"[0-9\.]*"] = v => v.IndexOfAnyExcept("0123456789.") < 0,
        [@"[0-9a-fA-F:\.]*"] = v => v.IndexOfAnyExcept("0123456789abcdefABCDEF:.") < 0,
    };

    /// <summary>The matcher for an XSD pattern as written, or null when it has none (its regex is used).</summary>
    public static Matcher? For(string pattern) => ByPattern.GetValueOrDefault(pattern);

    // The IPv6 address and prefix patterns of ietf-inet-types: too loose to match by hand exactly, but every
    // address Ipv6Text reads matches them, so that is a quick yes and only other text goes to the regex.
    private const string Ipv6Structure =
        @"((:|[0-9a-fA-F]{0,4}):)([0-9a-fA-F]{0,4}:){0,5}((([0-9a-fA-F]{0,4}:)?(:|[0-9a-fA-F]{0,4}))|(((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])))";
    private const string Ipv6Compression = @"(([^:]+:){6}(([^:]+:[^:]+)|(.*\..*)))|((([^:]+:)*[^:]+)?::(([^:]+:)*[^:]+)?)";

    private static readonly Dictionary<string, Matcher> SufficientByPattern = new(StringComparer.Ordinal)
    {
        [Ipv6Structure + @"(%[A-Za-z0-9][A-Za-z0-9\-\._~/]*)?"] = Ip6,
        [Ipv6Compression + "(%.+)?"] = Ip6,
        [Ipv6Structure + "(/(([0-9])|([0-9]{2})|(1[0-1][0-9])|(12[0-8])))"] = Ip6Prefix,
        [Ipv6Compression + "(/.+)"] = Ip6Prefix,
    };

    /// <summary>
    /// A quick test for an XSD pattern that implies a match when it says yes (a no leaves the value to the regex),
    /// or null. A property test holds each to its regex.
    /// </summary>
    public static Matcher? SufficientFor(string pattern) => SufficientByPattern.GetValueOrDefault(pattern);

    private static bool Ip6(ReadOnlySpan<char> v) => Ipv6Text.TryParse(v, out _);

    // An address Ipv6Text reads, "/" and a length of one or two digits or 100 to 128.
    private static bool Ip6Prefix(ReadOnlySpan<char> v)
    {
        var slash = v.LastIndexOf('/');
        if (slash < 0) return false;
        var length = v[(slash + 1)..];
        var ok = length.Length switch
        {
            1 or 2 => !length.ContainsAnyExceptInRange('0', '9'),
            3 => length[0] == '1' && (length[1] is '0' or '1' && char.IsAsciiDigit(length[2]) || length[1] == '2' && length[2] is >= '0' and <= '8'),
            _ => false,
        };
        return ok && Ipv6Text.TryParse(v[..slash], out _);
    }

    // Four octets 0-255 without leading zeros, dots between, then an optional zone: "%" and at least one character
    // other than CR and LF (XSD's ".").
    private static bool Ip4WithZone(ReadOnlySpan<char> v)
    {
        if (!DottedQuadAt(v, out var end)) return false;
        if (end == v.Length) return true;
        return v[end] == '%' && end + 1 < v.Length && v[(end + 1)..].IndexOfAny('\r', '\n') < 0;
    }

    // The dotted quad, "/" and a length of 0 to 32 without leading zeros.
    private static bool Ip4Prefix(ReadOnlySpan<char> v)
    {
        if (!DottedQuadAt(v, out var end) || end >= v.Length || v[end] != '/') return false;
        var length = v[(end + 1)..];
        return length.Length switch
        {
            1 => char.IsAsciiDigit(length[0]),
            2 => length[0] is '1' or '2' && char.IsAsciiDigit(length[1]) || length[0] == '3' && length[1] is >= '0' and <= '2',
            _ => false,
        };
    }

    // An octet ends where its digits do: whatever may follow it (".", "%", "/" or the end) is not a digit, so the
    // longest run of digits is the regex's only way to match.
    private static bool DottedQuadAt(ReadOnlySpan<char> v, out int end)
    {
        var i = 0;
        for (var octet = 0; octet < 4; octet++)
        {
            if (octet > 0)
            {
                if (i >= v.Length || v[i] != '.')
                {
                    end = i;
                    return false;
                }
                i++;
            }
            var start = i;
            var value = 0;
            while (i < v.Length && char.IsAsciiDigit(v[i]) && i - start < 4) value = value * 10 + (v[i++] - '0');
            var digits = i - start;
            if (digits == 0 || digits > 3 || value > 255 || digits > 1 && v[start] == '0')
            {
                end = i;
                return false;
            }
        }
        end = i;
        return true;
    }
}
