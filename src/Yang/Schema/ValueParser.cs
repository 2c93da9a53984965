using System.Globalization;
using System.Text;

namespace Mgmt.Yang.Schema;

/// <summary>
/// Lexical → canonical values (RFC 7950 §9): checks a value against its type with every restriction and
/// returns the canonical form kept in data trees. identityref and instance-identifier come out in
/// RFC 7951 form (module names as prefixes).
/// </summary>
public static class ValueParser
{
    public static bool TryParse(YangType type, string lexical, IPrefixResolver? prefixes, out string canonical, out string? error)
    {
        canonical = lexical;
        error = null;
        switch (type.Kind)
        {
            case BuiltinType.Int8 or BuiltinType.Int16 or BuiltinType.Int32 or BuiltinType.Int64
                or BuiltinType.Uint8 or BuiltinType.Uint16 or BuiltinType.Uint32 or BuiltinType.Uint64:
                return ParseInteger(type, lexical, out canonical, out error);
            case BuiltinType.Decimal64:
                return ParseDecimal(type, lexical, out canonical, out error);
            case BuiltinType.String:
                if (!CheckString(type, lexical, out error)) return false;
                canonical = WellKnownStrings.Canonical(type, lexical);
                return true;
            case BuiltinType.Boolean:
                // Shared literals: a million "true" leaves then cost no string each.
                if (lexical == "true") { canonical = "true"; return true; }
                if (lexical == "false") { canonical = "false"; return true; }
                error = $"\"{lexical}\" is not a boolean (true or false)";
                return false;
            case BuiltinType.Empty:
                if (lexical.Length == 0) return true;
                error = "a leaf of type empty takes no value";
                return false;
            case BuiltinType.Enumeration:
                var enums = type.Enums; // by index: no enumerator boxed per value
                for (var i = 0; i < enums.Count; i++)
                    if (enums[i].Name == lexical) { canonical = enums[i].Name; return true; }
                error = $"\"{lexical}\" is not a valid enum of {type.Name}";
                return false;
            case BuiltinType.Bits:
                return ParseBits(type, lexical, out canonical, out error);
            case BuiltinType.Binary:
                return ParseBinary(type, lexical, out canonical, out error);
            case BuiltinType.Identityref:
                return ParseIdentityref(type, lexical, prefixes, out canonical, out error);
            case BuiltinType.InstanceIdentifier:
                return ParseInstanceIdentifier(lexical, prefixes, out canonical, out error);
            case BuiltinType.Leafref:
                var target = type.LeafrefTarget switch
                {
                    LeafSchema l => l.Type,
                    LeafListSchema ll => ll.Type,
                    _ => null,
                };
                if (target is null) return true; // not resolved yet (compile time): checked again on data
                return TryParse(target, lexical, prefixes, out canonical, out error);
            case BuiltinType.Union:
                string? firstError = null;
                foreach (var m in type.UnionMembers)
                {
                    if (TryParse(m, lexical, prefixes, out canonical, out var e)) return true;
                    firstError ??= e;
                }
                canonical = lexical;
                error = $"\"{lexical}\" matches no member type of the union {type.Name}" + (firstError is null ? "" : $" ({firstError})");
                return false;
        }
        return true;
    }

    private const int SmallCount = 4096;

    /// <summary>Canonical strings of small integers, shared by every leaf that holds one (MTUs, prefix lengths, ports...).</summary>
    private static readonly string[] Small = Enumerable.Range(0, SmallCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private static bool ParseInteger(YangType type, string s, out string canonical, out string? error)
    {
        canonical = s;
        error = null;
        var span = s.AsSpan().Trim();
        var neg = span.Length > 0 && span[0] == '-';
        var digits = span.Length > 0 && span[0] is '-' or '+' ? span[1..] : span;
        if (digits.Length == 0 || digits.Length > 20)
        {
            error = $"\"{s}\" is not a valid {type.Kind.ToString().ToLowerInvariant()}";
            return false;
        }
        foreach (var ch in digits)
        {
            if (!char.IsAsciiDigit(ch))
            {
                error = $"\"{s}\" is not a valid {type.Kind.ToString().ToLowerInvariant()}";
                return false;
            }
        }
        if (!decimal.TryParse(span, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            error = $"\"{s}\" is not a valid integer";
            return false;
        }
        var (min, max) = Compilation.TypeBounds.Of(type.Kind, 0);
        if (v < min || v > max)
        {
            error = $"value {s} is out of the range of {type.Kind.ToString().ToLowerInvariant()} ({min}..{max})";
            return false;
        }
        if (type.Range is { } r && !r.Contains(v))
        {
            error = r.ErrorMessage ?? $"value {s} is out of the range \"{r.Text}\"";
            return false;
        }
        canonical = neg && v == 0 ? "0" : v is >= 0 and < SmallCount ? Small[(int)v] : IsCanonicalInteger(s) ? s : v.ToString(CultureInfo.InvariantCulture);
        return true;
    }

    // Already in canonical form (RFC 7950 §9.2.2: no sign but a minus, no leading zeros, no spaces): kept as it is.
    private static bool IsCanonicalInteger(string s)
    {
        var digits = s.StartsWith('-') ? s.AsSpan(1) : s.AsSpan();
        return digits.Length > 0 && digits[0] is >= '1' and <= '9' && !digits.ContainsAnyExceptInRange('0', '9');
    }

    private static bool ParseDecimal(YangType type, string s, out string canonical, out string? error)
    {
        canonical = s;
        error = null;
        var t = s.Trim();
        var dot = t.IndexOf('.');
        var fd = type.FractionDigits;
        var valid = t.Length > 0 && decimal.TryParse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _);
        if (valid)
        {
            var intPart = dot < 0 ? t : t[..dot];
            if (intPart is "" or "-" or "+") valid = false;
            if (dot >= 0 && (dot == t.Length - 1 || t.Length - dot - 1 > fd)) valid = false;
        }
        if (!valid)
        {
            error = $"\"{s}\" is not a valid decimal64 with {fd} fraction digits";
            return false;
        }
        var v = decimal.Parse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var (min, max) = Compilation.TypeBounds.Of(BuiltinType.Decimal64, fd);
        if (v < min || v > max)
        {
            error = $"value {s} is out of the decimal64 range";
            return false;
        }
        if (type.Range is { } r && !r.Contains(v))
        {
            error = r.ErrorMessage ?? $"value {s} is out of the range \"{r.Text}\"";
            return false;
        }
        var text = v.ToString("0.0###################", CultureInfo.InvariantCulture);
        canonical = text == "-0.0" ? "0.0" : text;
        return true;
    }

    /// <summary>
    /// Whether text a reader has only in its buffer is a valid value of a string type (length and patterns), without
    /// a string made for it. Its canonical form may still differ (an IPv6 address, a MAC address).
    /// </summary>
    internal static bool IsValidString(YangType type, ReadOnlySpan<char> text) => type.Kind == BuiltinType.String && CheckString(type, text, out _);

    private static bool CheckString(YangType type, ReadOnlySpan<char> s, out string? error)
    {
        error = null;
        if (type.Length is { } len)
        {
            var count = 0;
            foreach (var _ in s.EnumerateRunes()) count++;
            if (!len.Contains(count))
            {
                error = len.ErrorMessage ?? $"length {count} of \"{Truncate(s)}\" is outside \"{len.Text}\"";
                return false;
            }
        }
        var patterns = type.Patterns;
        for (var i = 0; i < patterns.Count; i++)
        {
            var p = patterns[i];
            bool ok;
            try
            {
                ok = p.IsSatisfiedBy(s);
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                ok = false;
            }
            if (!ok)
            {
                error = p.ErrorMessage ?? $"\"{Truncate(s)}\" does not {(p.InvertMatch ? "avoid" : "match")} the pattern \"{p.Pattern}\"";
                return false;
            }
        }
        return true;
    }

    private static string Truncate(ReadOnlySpan<char> s) => s.Length <= 64 ? new string(s) : string.Concat(s[..64], "...");

    private static bool ParseBits(YangType type, string s, out string canonical, out string? error)
    {
        canonical = s;
        error = null;
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in s.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var known = false;
            foreach (var b in type.Bits) if (b.Name == name) known = true;
            if (!known)
            {
                error = $"\"{name}\" is not a bit of {type.Name}";
                return false;
            }
            if (!set.Add(name))
            {
                error = $"bit \"{name}\" is given twice";
                return false;
            }
        }
        var ordered = new List<BitMember>();
        foreach (var b in type.Bits) if (set.Contains(b.Name)) ordered.Add(b);
        ordered.Sort((a, b) => a.Position.CompareTo(b.Position));
        var sb = new StringBuilder();
        foreach (var b in ordered)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(b.Name);
        }
        canonical = sb.ToString();
        return true;
    }

    private static bool ParseBinary(YangType type, string s, out string canonical, out string? error)
    {
        canonical = s;
        error = null;
        var compact = new StringBuilder(s.Length);
        foreach (var c in s) if (!char.IsWhiteSpace(c)) compact.Append(c);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(compact.ToString());
        }
        catch (FormatException)
        {
            error = "value is not valid base64";
            return false;
        }
        if (type.Length is { } len && !len.Contains(bytes.Length))
        {
            error = len.ErrorMessage ?? $"binary length {bytes.Length} is outside \"{len.Text}\"";
            return false;
        }
        canonical = Convert.ToBase64String(bytes);
        return true;
    }

    private static bool ParseIdentityref(YangType type, string s, IPrefixResolver? prefixes, out string canonical, out string? error)
    {
        canonical = s;
        error = null;
        var t = s.Trim();
        var colon = t.IndexOf(':');
        var prefix = colon < 0 ? null : PrefixOf(t.AsSpan(0, colon));
        var name = colon < 0 ? t.AsSpan() : t.AsSpan(colon + 1); // looked up without a string of its own
        var module = prefixes?.Resolve(prefix);
        if (module is null)
        {
            error = prefix is null ? $"identity \"{t}\" has no module prefix" : $"unknown prefix \"{prefix}\" in identity \"{t}\"";
            return false;
        }
        if (!module.Identities.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var id))
        {
            error = $"identity \"{t}\" not found in module {module.Name}";
            return false;
        }
        if (type.IdentityBases.Count > 0)
        {
            var ok = false;
            var bases = type.IdentityBases;
            for (var i = 0; i < bases.Count && !ok; i++) ok = id.IsDerivedFrom(bases[i]);
            if (!ok)
            {
                error = $"identity \"{id.QualifiedName}\" is not derived from {string.Join(" or ", type.IdentityBases)}";
                return false;
            }
        }
        canonical = id.QualifiedName;
        return true;
    }

    // The prefix of an identityref as a string: the one of the value before when they are equal (a document's
    // identities mostly share a prefix), so that reading one makes no string.
    [ThreadStatic] private static string? _lastPrefix;

    private static string PrefixOf(ReadOnlySpan<char> prefix)
    {
        if (_lastPrefix is { } last && prefix.SequenceEqual(last)) return last;
        return _lastPrefix = new string(prefix);
    }

    /// <summary>Rewrites the prefixes of an instance-identifier to module names; the syntax is checked lightly here, instances by validation.</summary>
    private static bool ParseInstanceIdentifier(string s, IPrefixResolver? prefixes, out string canonical, out string? error)
    {
        canonical = s;
        error = null;
        var t = s.Trim();
        if (!t.StartsWith('/'))
        {
            error = "an instance-identifier must be an absolute path";
            return false;
        }
        var sb = new StringBuilder(t.Length + 16);
        YangModule? current = null;
        var i = 0;
        while (i < t.Length)
        {
            var c = t[i];
            if (c is '\'' or '"')
            {
                var close = t.IndexOf(c, i + 1);
                if (close < 0) { error = "unterminated string in instance-identifier"; return false; }
                sb.Append(t, i, close - i + 1);
                i = close + 1;
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < t.Length && (char.IsAsciiLetterOrDigit(t[i]) || t[i] is '_' or '-' or '.')) i++;
                var word = t[start..i];
                if (i < t.Length && t[i] == ':')
                {
                    i++;
                    var module = prefixes?.Resolve(word);
                    if (module is null) { error = $"unknown prefix \"{word}\" in instance-identifier"; return false; }
                    var ns = i;
                    while (i < t.Length && (char.IsAsciiLetterOrDigit(t[i]) || t[i] is '_' or '-' or '.')) i++;
                    var local = t[ns..i];
                    if (!ReferenceEquals(module, current)) sb.Append(module.Name).Append(':');
                    sb.Append(local);
                    // Inside predicates the module stays that of the step; only steps change the current module.
                    if (sb.Length > local.Length + 1 && IsStepStart(sb, local.Length + (ReferenceEquals(module, current) ? 0 : module.Name.Length + 1))) current = module;
                    continue;
                }
                if (current is null && sb.Length > 0 && sb[^1] == '/')
                {
                    // RFC 7950 §9.13 / RFC 7951 §6.11: the first node name must carry its module.
                    error = $"node \"{word}\" in instance-identifier has no prefix";
                    return false;
                }
                sb.Append(word);
                continue;
            }
            sb.Append(c);
            i++;
        }
        canonical = sb.ToString();
        return true;
    }

    private static bool IsStepStart(StringBuilder sb, int written) => sb[sb.Length - written - 1] == '/';
}
