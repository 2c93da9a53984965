namespace Mgmt.Yang.Encoding;

/// <summary>
/// Shares the string of a leaf value that repeats across a document (a next-hop address, an MTU, "true", an
/// identity): a reader keeps the first string of a value and hands it out again for later equal values, so a
/// large document holds each repeated value once. A direct-mapped table of recent values: a value that differs
/// from the one in its slot replaces it, so memory stays fixed and unique values (names, prefixes) cost one
/// comparison.
/// </summary>
internal sealed class ValueInterner
{
    private const int Slots = 4096; // a power of two
    private const int MaxLength = 40;

    private readonly string?[] _table = new string?[Slots];

    /// <summary>An equal string seen before, or <paramref name="value"/> itself (now remembered).</summary>
    public string Intern(string value)
    {
        if (value.Length is 0 or > MaxLength) return value;
        ref var slot = ref _table[string.GetHashCode(value.AsSpan()) & (Slots - 1)];
        if (slot is { } seen && seen == value) return seen;
        slot = value;
        return value;
    }
}
