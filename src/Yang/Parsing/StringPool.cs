namespace Mgmt.Yang.Parsing;

/// <summary>
/// Shares one string instance per distinct short argument ("string", "name", "config", ...) across every
/// file parsed with the same pool: in a corpus of a few hundred modules a third of all argument memory
/// is repeats of a few thousand identifiers. Lookups by span do not allocate. Not thread-safe: one pool
/// per <see cref="Compilation.ModuleRepository"/>.
/// </summary>
public sealed class StringPool
{
    /// <summary>Longer strings (descriptions, paths) are nearly always unique and are not pooled.</summary>
    public const int MaxPooledLength = 48;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

    public string Get(ReadOnlySpan<char> value)
    {
        if (value.Length > MaxPooledLength) return value.ToString();
        var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(value, out var pooled)) return pooled;
        var s = value.ToString();
        _strings.Add(s, s);
        return s;
    }
}
