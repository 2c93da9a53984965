using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

/// <summary>
/// A leaf whose value is an IPv6 prefix in its canonical text (RFC 5952, as <see cref="Ipv6Text"/> writes it, e.g.
/// <c>2001:db8:0:1::/64</c>), kept as 136 bits instead of a string: 56 bytes a route key instead of 96. Only text
/// that formats back to exactly itself is packed (lower case, zeros compressed, a length without leading zeros, no
/// zone), so the value reads back as it was given, whatever the leaf's type.
/// </summary>
internal sealed class PackedPrefix6Leaf : DataLeaf
{
    private ulong _high;
    private ulong _low;
    private byte _length;

    public PackedPrefix6Leaf(SchemaNode schema, ulong high, ulong low, byte length) : base(schema)
    {
        (_high, _low, _length) = (high, low, length);
    }

    /// <summary>The longest text that packs: six groups of four digits, a dotted quad and "/128".</summary>
    public const int MaxLength = 46;

    public static bool TryPack(ReadOnlySpan<char> text, out ulong high, out ulong low, out byte length)
    {
        (high, low, length) = (0, 0, 0);
        // The cheap tests first: most values are no IPv6 prefix.
        if (text.Length is < 4 or > MaxLength) return false;
        var slash = text.LastIndexOf('/');
        if (slash < 2 || slash < text.Length - 4 || text[..slash].IndexOf(':') < 0) return false;
        var digits = text[(slash + 1)..];
        if (digits.Length == 0 || digits.Length > 1 && digits[0] == '0' || !uint.TryParse(digits, System.Globalization.NumberStyles.None, null, out var bits) || bits > 128)
            return false;
        if (!Ipv6Text.TryParse(text[..slash], out var address)) return false;
        Span<char> written = stackalloc char[Ipv6Text.MaxLength];
        if (!written[..Ipv6Text.Format(address, written)].SequenceEqual(text[..slash])) return false;
        (high, low, length) = ((ulong)(address >> 64), (ulong)address, (byte)bits);
        return true;
    }

    /// <summary>The hash <see cref="DataLeaf.IdentityHash"/> gives this prefix however it is held.</summary>
    public static int HashOf(ulong high, ulong low, byte length) => HashCode.Combine(high, low, length);

    public override string Value => new(ValueChars(stackalloc char[ScratchLength]));

    public override ReadOnlySpan<char> ValueChars(Span<char> scratch)
    {
        var n = Ipv6Text.Format((UInt128)_high << 64 | _low, scratch);
        scratch[n++] = '/';
        ((uint)_length).TryFormat(scratch[n..], out var w, provider: System.Globalization.CultureInfo.InvariantCulture);
        return scratch[..(n + w)];
    }

    internal override int IdentityHash() => HashOf(_high, _low, _length);

    public override DataNode DeepClone() => new PackedPrefix6Leaf(Schema, _high, _low, _length);

    internal override bool TrySetValue(string value)
    {
        if (!TryPack(value, out var high, out var low, out var length)) return false;
        (_high, _low, _length) = (high, low, length);
        return true;
    }
}
