using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// A leaf whose value is an IPv4 prefix in dotted-quad form (<c>192.0.2.0/24</c>), kept as 40 bits instead of a
/// string: a route table's keys are all different, and as strings they were a fifth of a large routing
/// configuration. Only text that formats back to exactly itself is packed (octets and length in decimal without
/// leading zeros), so the value reads back as it was given, whatever the leaf's type.
/// </summary>
internal sealed class PackedPrefixLeaf : DataLeaf
{
    // The address in the high 32 bits, the prefix length in the low 8.
    private ulong _bits;

    public PackedPrefixLeaf(SchemaNode schema, ulong bits) : base(schema)
    {
        _bits = bits;
    }

    /// <summary>The longest text that packs: "255.255.255.255/32".</summary>
    public const int MaxLength = 18;

    public static bool TryPack(ReadOnlySpan<char> text, out ulong bits)
    {
        bits = 0;
        // "0.0.0.0/0" to "255.255.255.255/32"; the cheap tests first: most values are no prefix.
        if (text.Length is < 9 or > MaxLength || text[^2] != '/' && text[^3] != '/' || !char.IsAsciiDigit(text[0])) return false;
        var i = 0;
        uint address = 0;
        for (var octet = 0; octet < 4; octet++)
        {
            if (octet > 0 && (i >= text.Length || text[i++] != '.')) return false;
            if (!TryDecimal(text, ref i, 255, out var value)) return false;
            address = address << 8 | value;
        }
        if (i >= text.Length || text[i++] != '/' || !TryDecimal(text, ref i, 32, out var length) || i != text.Length) return false;
        bits = (ulong)address << 8 | length;
        return true;
    }

    public override string Value => new(ValueChars(stackalloc char[ScratchLength]));

    /// <summary>The hash <see cref="DataLeaf.IdentityHash"/> gives this prefix however it is held.</summary>
    public static int HashOf(ulong bits) => bits.GetHashCode();

    internal override int IdentityHash() => HashOf(_bits);

    public override DataNode DeepClone() => new PackedPrefixLeaf(Schema, _bits);

    internal override bool TrySetValue(string value)
    {
        if (!TryPack(value, out var bits)) return false;
        _bits = bits;
        return true;
    }

    public override ReadOnlySpan<char> ValueChars(Span<char> scratch)
    {
        var address = (uint)(_bits >> 8);
        var n = 0;
        for (var shift = 24; shift >= 0; shift -= 8)
        {
            ((address >> shift) & 0xFF).TryFormat(scratch[n..], out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
            n += written;
            scratch[n++] = shift > 0 ? '.' : '/';
        }
        ((uint)(_bits & 0xFF)).TryFormat(scratch[n..], out var w, provider: System.Globalization.CultureInfo.InvariantCulture);
        return scratch[..(n + w)];
    }

    // A decimal number without leading zeros, at most max.
    private static bool TryDecimal(ReadOnlySpan<char> text, ref int i, uint max, out uint value)
    {
        value = 0;
        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]) && i - start < 3) value = value * 10 + (uint)(text[i++] - '0');
        var digits = i - start;
        return digits > 0 && value <= max && (digits == 1 || text[start] != '0') && (i >= text.Length || !char.IsAsciiDigit(text[i]));
    }
}
