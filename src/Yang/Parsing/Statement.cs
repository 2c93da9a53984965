namespace Mgmt.Yang.Parsing;

/// <summary>
/// One parsed YANG statement (RFC 7950 §6.3): <c>keyword [argument] (";" / "{" *statement "}")</c>.
/// Core statements have <see cref="Prefix"/> null; extension (unknown) statements carry the
/// prefix of the module that defines the extension and <see cref="Keyword"/> is the local name.
/// The argument is already unquoted, concatenated and whitespace-normalised per RFC 7950 §6.1.3.
/// </summary>
public sealed class Statement
{
    private static readonly Statement[] NoChildren = [];

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

    public Statement? Parent { get; private set; }

    // Exactly the children, set once when the statement is complete (the parser gathers them on a stack of its
    // own): an array rather than a List, as a large context holds some 40k statements with children.
    private Statement[] _children = NoChildren;

    /// <summary>Substatements in order; a struct so that <c>foreach</c> does not allocate.</summary>
    public ArrayView<Statement> Children => new(_children, _children.Length);

    public bool IsExtension => Prefix is not null;

    /// <summary>The keyword as written, <c>prefix:name</c> for extensions.</summary>
    public string RawKeyword => Prefix is null ? Keyword : Prefix + ":" + Keyword;

    /// <summary>Cuts this statement loose from its parent (which keeps it among its children).</summary>
    public void Detach() => Parent = null;

    /// <summary>Appends a substatement (statements built by hand; the parser sets all of a statement's at once).</summary>
    public void Add(Statement child)
    {
        _children = [.. _children, child];
        child.Parent = this;
    }

    /// <summary>Sets the substatements of a statement being parsed (once, when its block closes).</summary>
    internal void SetChildren(ReadOnlySpan<Statement> children)
    {
        _children = children.Length == 0 ? NoChildren : children.ToArray();
        foreach (var c in _children) c.Parent = this;
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
    public KeywordMatches FindAll(string keyword) => new(_children, _children.Length, keyword);

    public override string ToString() => Argument is null ? RawKeyword : $"{RawKeyword} {Argument}";
}

/// <summary>Core substatements with one keyword; enumerated without allocation.</summary>
public readonly struct KeywordMatches(Statement[] list, int count, string keyword)
{
    public Enumerator GetEnumerator() => new(list, count, keyword);

    public struct Enumerator(Statement[] list, int count, string keyword)
    {
        private int _index = -1;

        public readonly Statement Current => list[_index];

        public bool MoveNext()
        {
            while (++_index < count)
            {
                var c = list[_index];
                if (c.Prefix is null && c.Keyword == keyword) return true;
            }
            return false;
        }
    }
}
