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
    private const int Slots = 1 << 12;
    private const int MaxLength = 40;

    private readonly string?[] _table = new string?[Slots];
    private readonly uint[] _hashes = new uint[Slots];

    /// <summary>An equal string seen before, or <paramref name="value"/> itself (now remembered).</summary>
    public string Intern(string value)
    {
        if (value.Length is 0 or > MaxLength) return value;
        var hash = Hash(value);
        var i = (int)(hash >> 20); // the top 12 bits: Slots is 4096
        if (_hashes[i] == hash && _table[i] is { } seen && seen == value) return seen;
        _table[i] = value;
        _hashes[i] = hash;
        return value;
    }

    /// <summary>
    /// An equal string seen before, or a new one (now remembered): a reader that has the characters in a buffer
    /// makes no string for a value that repeats (a protocol number, an operator, an identity), which would
    /// otherwise be garbage the moment it is interned.
    /// </summary>
    public string Intern(ReadOnlySpan<char> value)
    {
        if (value.Length == 0) return "";
        if (value.Length > MaxLength) return new string(value);
        var hash = Hash(value);
        var i = (int)(hash >> 20);
        if (_hashes[i] == hash && _table[i] is { } seen && value.SequenceEqual(seen)) return seen;
        var made = new string(value);
        _table[i] = made;
        _hashes[i] = hash;
        return made;
    }

    // FNV-1a over the characters: short values, and a collision only costs a slot (no flooding to fear).
    private static uint Hash(ReadOnlySpan<char> value)
    {
        var hash = 2166136261u;
        foreach (var c in value) hash = (hash ^ c) * 16777619u;
        return hash;
    }
}
