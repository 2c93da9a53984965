namespace Mgmt.Yang.Parsing;

/// <summary>
/// One parsed YANG statement (RFC 7950 §6.3): <c>keyword [argument] (";" / "{" *statement "}")</c>.
/// Core statements have <see cref="Prefix"/> null; extension (unknown) statements carry the
/// prefix of the module that defines the extension and <see cref="Keyword"/> is the local name.
/// The argument is already unquoted, concatenated and whitespace-normalised per RFC 7950 §6.1.3.
/// </summary>
public sealed class Statement
{
    private static readonly List<Statement> NoChildren = [];

    public Statement(string? prefix, string keyword, string? argument, SourceLocation location)
    {
        Prefix = prefix;
        Keyword = keyword;
        Argument = argument;
        Location = location;
    }

    /// <summary>Extension prefix, or null for a core YANG keyword.</summary>
    public string? Prefix { get; }

    /// <summary>Keyword (for an extension, its local name).</summary>
    public string Keyword { get; }

    public string? Argument { get; }

    /// <summary>Where the keyword starts.</summary>
    public SourceLocation Location { get; }

    /// <summary>Where the argument starts (same as <see cref="Location"/> when there is none).</summary>
    public SourceLocation ArgumentLocation { get; set; }

    public Statement? Parent { get; private set; }

    private List<Statement> _children = NoChildren;

    /// <summary>Substatements in order; a struct so that <c>foreach</c> does not allocate.</summary>
    public ListView<Statement> Children => new(_children);

    public bool IsExtension => Prefix is not null;

    /// <summary>The keyword as written, <c>prefix:name</c> for extensions.</summary>
    public string RawKeyword => Prefix is null ? Keyword : Prefix + ":" + Keyword;

    /// <summary>Cuts this statement loose from its parent (which keeps it among its children).</summary>
    public void Detach() => Parent = null;

    public void Add(Statement child)
    {
        if (ReferenceEquals(_children, NoChildren)) _children = new List<Statement>(4);
        child.Parent = this;
        _children.Add(child);
    }

    /// <summary>First core substatement with this keyword, or null.</summary>
    public Statement? Find(string keyword)
    {
        foreach (var c in _children)
            if (c.Prefix is null && c.Keyword == keyword) return c;
        return null;
    }

    /// <summary>Argument of the first core substatement with this keyword, or null.</summary>
    public string? ArgOf(string keyword) => Find(keyword)?.Argument;

    /// <summary>Core substatements with this keyword, in order (allocation-free in <c>foreach</c>).</summary>
    public KeywordMatches FindAll(string keyword) => new(_children, keyword);

    /// <summary>Drops spare capacity once the statement is complete (the parser calls it at each closing brace).</summary>
    internal void TrimChildren()
    {
        if (_children.Count > 0 && _children.Capacity > _children.Count) _children.Capacity = _children.Count;
    }

    public override string ToString() => Argument is null ? RawKeyword : $"{RawKeyword} {Argument}";
}

/// <summary>Core substatements with one keyword; enumerated without allocation.</summary>
public readonly struct KeywordMatches(List<Statement> list, string keyword)
{
    public Enumerator GetEnumerator() => new(list, keyword);

    public struct Enumerator(List<Statement> list, string keyword)
    {
        private int _index = -1;

        public readonly Statement Current => list[_index];

        public bool MoveNext()
        {
            while (++_index < list.Count)
            {
                var c = list[_index];
                if (c.Prefix is null && c.Keyword == keyword) return true;
            }
            return false;
        }
    }
}
