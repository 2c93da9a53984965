namespace Mgmt.Yang.Schema;

/// <summary>
/// IPv6 addresses as text without an object or a string per value: the RFC 4291 §2.2 forms (hex groups, one
/// "::", a dotted-quad tail) read into 128 bits, and written in RFC 5952 form exactly as
/// <see cref="System.Net.IPAddress"/> writes them (lower case, no leading zeros, the first longest run of two or
/// more zero groups as "::", a dotted-quad tail for IPv4-compatible, IPv4-mapped and ISATAP-style addresses).
/// A property test holds both directions to <see cref="System.Net.IPAddress"/>. Callers that must accept every
/// spelling <see cref="System.Net.IPAddress"/> does fall back to it when <see cref="TryParse"/> says no.
/// </summary>
internal static class Ipv6Text
{
    /// <summary>Room for any text <see cref="Format"/> writes (42 characters at most).</summary>
    public const int MaxLength = 45;

    public static bool TryParse(ReadOnlySpan<char> text, out UInt128 address)
    {
        address = 0;
        Span<ushort> groups = stackalloc ushort[8];
        var count = 0;
        var gap = -1; // the group index where "::" stands
        var i = 0;
        if (text.Length < 2) return false;
        if (text[0] == ':')
        {
            if (text[1] != ':') return false;
            gap = 0;
            i = 2;
            if (i == text.Length) return Assemble(groups, count, gap, out address);
        }
        while (true)
        {
            if (count == 8) return false;
            // A dotted quad takes the last two groups.
            var dot = IndexOfDotBeforeColon(text[i..]);
            if (dot >= 0)
            {
                if (count > 6 || !TryDottedQuad(text[i..], out var v4)) return false;
                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                return Assemble(groups, count, gap, out address);
            }
            var start = i;
            uint value = 0;
            while (i < text.Length && i - start < 5 && HexValue(text[i]) is var h && h >= 0)
            {
                value = value << 4 | (uint)h;
                i++;
            }
            if (i == start || i - start > 4) return false;
            groups[count++] = (ushort)value;
            if (i == text.Length) return Assemble(groups, count, gap, out address);
            if (text[i] != ':') return false;
            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (gap >= 0) return false;
                gap = count;
                i++;
                if (i == text.Length) return Assemble(groups, count, gap, out address);
            }
            else if (i == text.Length) return false; // a trailing single colon
        }
    }

    /// <summary>Writes the address in RFC 5952 form; returns the number of characters (at most <see cref="MaxLength"/>).</summary>
    public static int Format(UInt128 address, Span<char> destination)
    {
        Span<ushort> g = stackalloc ushort[8];
        for (var k = 0; k < 8; k++) g[k] = (ushort)(address >> (112 - 16 * k));
        // A dotted-quad tail: IPv4-compatible (::a.b.c.d), IPv4-mapped (::ffff:a.b.c.d) and IPv4-translated
        // (::ffff:0:a.b.c.d) addresses whose seventh group is not zero, and any ISATAP interface id (x:x:x:x:0:5efe).
        var embedded = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[6] != 0
                && (g[4] == 0 && (g[5] == 0 || g[5] == 0xFFFF) || g[4] == 0xFFFF && g[5] == 0)
            || g[4] == 0 && g[5] == 0x5EFE;
        var hexGroups = embedded ? 6 : 8;
        // The first longest run of at least two zero groups.
        int runStart = -1, runLength = 0;
        for (var k = 0; k < hexGroups;)
        {
            if (g[k] != 0) { k++; continue; }
            var s = k;
            while (k < hexGroups && g[k] == 0) k++;
            if (k - s > runLength && k - s >= 2) (runStart, runLength) = (s, k - s);
        }
        var n = 0;
        for (var k = 0; k < hexGroups; k++)
        {
            if (k == runStart)
            {
                destination[n++] = ':';
                if (k == 0) destination[n++] = ':';
                k += runLength - 1; // a dotted quad after a run that ends the hex groups follows "::" directly
                continue;
            }
            g[k].TryFormat(destination[n..], out var w, "x", System.Globalization.CultureInfo.InvariantCulture);
            n += w;
            if (k < hexGroups - 1 || embedded) destination[n++] = ':';
        }
        if (embedded)
        {
            for (var k = 6; k < 8; k++)
            {
                ((uint)(g[k] >> 8)).TryFormat(destination[n..], out var w1, provider: System.Globalization.CultureInfo.InvariantCulture);
                n += w1;
                destination[n++] = '.';
                ((uint)(g[k] & 0xFF)).TryFormat(destination[n..], out var w2, provider: System.Globalization.CultureInfo.InvariantCulture);
                n += w2;
                if (k == 6) destination[n++] = '.';
            }
        }
        return n;
    }

    private static bool Assemble(Span<ushort> groups, int count, int gap, out UInt128 address)
    {
        address = 0;
        if (gap < 0 ? count != 8 : count > 7) return false;
        var missing = 8 - count;
        var k = 0;
        for (var j = 0; j < count; j++)
        {
            if (j == gap) k += missing;
            address |= (UInt128)groups[j] << (112 - 16 * k++);
        }
        return true;
    }

    // The position of a '.' in the current group (before any ':'), or -1.
    private static int IndexOfDotBeforeColon(ReadOnlySpan<char> rest)
    {
        for (var j = 0; j < rest.Length && rest[j] != ':'; j++)
            if (rest[j] == '.') return j;
        return -1;
    }

    // Four decimal octets 0-255 (up to three digits each), the whole rest of the text.
    private static bool TryDottedQuad(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        var i = 0;
        for (var octet = 0; octet < 4; octet++)
        {
            if (octet > 0 && (i >= text.Length || text[i++] != '.')) return false;
            var start = i;
            uint v = 0;
            while (i < text.Length && i - start < 3 && char.IsAsciiDigit(text[i])) v = v * 10 + (uint)(text[i++] - '0');
            if (i == start || v > 255) return false;
            value = value << 8 | v;
        }
        return i == text.Length;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
