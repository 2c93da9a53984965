using System.Text;

namespace Mgmt.Yang.Parsing;

/// <summary>
/// Parses YANG text (RFC 7950 §6) into a <see cref="Statement"/> tree. Hand-written, one pass over the
/// string, no regular expressions: statements are <c>keyword [argument] (";" / "{" *stmt "}")</c>,
/// arguments are unquoted strings or quoted strings joined with <c>+</c>.
/// </summary>
public static class YangParser
{
    /// <summary>Deepest statement nesting accepted; real modules stay far below it.</summary>
    public const int MaxDepth = 256;

    /// <summary>Parses one module or submodule; anything after its closing brace other than whitespace and comments is an error.</summary>
    public static Statement Parse(string text, string fileName) => Parse(text.AsSpan(), fileName, null);

    /// <param name="text">The module text; statements keep copies of what they need, so the caller may reuse the buffer.</param>
    /// <param name="fileName">Used in locations.</param>
    /// <param name="pool">Shares short argument strings across files (see <see cref="StringPool"/>); null for none.</param>
    /// <param name="dropDocumentation">
    /// Checks but does not keep description, reference, organization and contact: left out of the tree, or with ""
    /// as their argument when they have substatements (extensions, kept and checked); over a third of a large
    /// module set's statements, needed by printers but not by compiling or validating.
    /// </param>
    public static Statement Parse(ReadOnlySpan<char> text, string fileName, StringPool? pool, bool dropDocumentation = false)
    {
        var reader = new Reader(text, fileName, pool) { DropDocumentation = dropDocumentation, Pending = new List<Statement>(64) };
        reader.SkipBom();
        reader.SkipSeparators();
        if (reader.AtEnd) throw reader.Error("empty file: expected a module or submodule statement");
        var start = reader.Location;
        var root = ParseStatement(ref reader, 0);
        if (root is null || root.Prefix is not null || root.Keyword is not ("module" or "submodule"))
            throw new YangException(root?.Location ?? start, $"expected \"module\" or \"submodule\", found \"{root?.RawKeyword ?? "description"}\"");
        reader.SkipSeparators();
        if (!reader.AtEnd) throw reader.Error("unexpected content after the end of the module");
        return root;
    }

    // A statement, or null for documentation dropped whole (DropDocumentation: one without substatements; an
    // extension inside one is kept and checked).
    private static Statement? ParseStatement(ref Reader r, int depth)
    {
        if (depth > MaxDepth) throw r.Error($"statements nested deeper than {MaxDepth}");
        var location = r.Location;
        var (prefix, keyword) = r.ReadKeyword();
        r.SkipSeparators();
        string? argument = null;
        if (r.AtEnd) throw r.Error($"unexpected end of file after \"{keyword}\"");
        var c = r.Peek;
        if (c != ';' && c != '{')
        {
            if (r.DropDocumentation && prefix is null && keyword is "description" or "reference" or "organization" or "contact")
            {
                r.Discard = true;
                argument = r.ReadArgument();
                r.Discard = false;
            }
            else
            {
                argument = r.ReadArgument();
            }
            r.SkipSeparators();
            if (r.AtEnd) throw r.Error($"unexpected end of file: statement \"{keyword}\" is not terminated");
        }

        c = r.Peek;
        if (c == ';' && r.DropDocumentation && prefix is null && keyword is "description" or "reference" or "organization" or "contact")
        {
            r.Advance();
            return null;
        }
        var stmt = new Statement(prefix, keyword, argument, location);
        if (c == ';')
        {
            r.Advance();
            return stmt;
        }
        if (c != '{') throw r.Error($"expected \";\" or \"{{\" after the argument of \"{stmt.RawKeyword}\"");
        r.Advance();
        // The children gather on the reader's stack and go into one exact array when the block closes.
        var pending = r.Pending;
        var first = pending.Count;
        while (true)
        {
            r.SkipSeparators();
            if (r.AtEnd) throw new YangException(location, $"statement \"{stmt.RawKeyword}\" is not closed: missing \"}}\"");
            if (r.Peek == '}')
            {
                r.Advance();
                stmt.SetChildren(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)[first..]);
                pending.RemoveRange(first, pending.Count - first);
                return stmt;
            }
            if (ParseStatement(ref r, depth + 1) is { } child) pending.Add(child);
        }
    }

    /// <summary>Cursor over the text with line/column tracking.</summary>
    private ref struct Reader(ReadOnlySpan<char> text, string file, StringPool? pool)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private readonly string _file = file;
        private readonly StringPool? _pool = pool;

        public bool DropDocumentation { get; init; }

        /// <summary>The children of the statements whose blocks are open, innermost last.</summary>
        public List<Statement> Pending { get; init; } = null!;

        /// <summary>While set, arguments are checked but read as "".</summary>
        public bool Discard { get; set; }
        private int _pos;
        private int _line = 1;
        private int _lineStart;

        public readonly bool AtEnd => _pos >= _text.Length;

        public readonly char Peek => _text[_pos];

        public readonly SourceLocation Location => new(_file, _line, _pos - _lineStart + 1);

        public readonly YangException Error(string message) => new(Location, message);

        public void Advance()
        {
            if (_text[_pos] == '\n')
            {
                _line++;
                _lineStart = _pos + 1;
            }
            _pos++;
        }

        public void SkipBom()
        {
            if (!AtEnd && _text[0] == '\uFEFF')
            {
                _pos = 1;
                _lineStart = 1;
            }
        }

        /// <summary>Skips whitespace and comments.</summary>
        public void SkipSeparators()
        {
            while (_pos < _text.Length)
            {
                var c = _text[_pos];
                if (c is ' ' or '\t' or '\r' or '\n')
                {
                    Advance();
                }
                else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
                {
                    while (_pos < _text.Length && _text[_pos] != '\n') _pos++;
                }
                else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '*')
                {
                    var start = Location;
                    _pos += 2;
                    while (true)
                    {
                        if (_pos + 1 >= _text.Length) throw new YangException(start, "unterminated comment: missing \"*/\"");
                        if (_text[_pos] == '*' && _text[_pos + 1] == '/')
                        {
                            _pos += 2;
                            break;
                        }
                        Advance();
                    }
                }
                else
                {
                    return;
                }
            }
        }

        /// <summary>keyword = [prefix ":"] identifier (RFC 7950 §6.2, identifiers of letters, digits, _ - .).</summary>
        public (string? Prefix, string Keyword) ReadKeyword()
        {
            var start = _pos;
            var first = ReadIdentifier("a statement keyword");
            if (!AtEnd && Peek == ':')
            {
                Advance();
                var name = ReadIdentifier("an extension name after \"" + first + ":\"");
                return (first, name);
            }
            if (!AtEnd && !IsSeparatorOrTerminator(Peek))
            {
                _pos = start;
                throw Error($"invalid character '{Escape(_text[start + first.Length])}' in statement keyword");
            }
            return (null, first);
        }

        private string ReadIdentifier(string what)
        {
            var start = _pos;
            if (AtEnd || !(char.IsAsciiLetter(Peek) || Peek == '_'))
                throw Error(AtEnd ? $"unexpected end of file: expected {what}" : $"expected {what}, found '{Escape(Peek)}'");
            _pos++;
            while (_pos < _text.Length)
            {
                var c = _text[_pos];
                if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') _pos++;
                else break;
            }
            return Intern(_text.Slice(start, _pos - start));
        }

        private static bool IsSeparatorOrTerminator(char c) => c is ' ' or '\t' or '\r' or '\n' or ';' or '{' or '"' or '\'' or '/';

        /// <summary>argument = unquoted string, or quoted strings joined with "+".</summary>
        public string ReadArgument()
        {
            var c = Peek;
            if (c is '"' or '\'')
            {
                var first = ReadQuoted();
                StringBuilder? sb = null;
                while (true)
                {
                    var save = (_pos, _line, _lineStart);
                    SkipSeparators();
                    if (!AtEnd && Peek == '+')
                    {
                        Advance();
                        SkipSeparators();
                        if (AtEnd || Peek is not ('"' or '\'')) throw Error("expected a quoted string after \"+\"");
                        sb ??= new StringBuilder(first);
                        sb.Append(ReadQuoted());
                        continue;
                    }
                    (_pos, _line, _lineStart) = save;
                    return Discard ? "" : sb?.ToString() ?? first;
                }
            }
            return ReadUnquoted();
        }

        /// <summary>RFC 7950 §6.1.3: an unquoted string ends at whitespace, ";" or "{"; it may not contain quotes or start a comment.</summary>
        private string ReadUnquoted()
        {
            var start = _pos;
            while (_pos < _text.Length)
            {
                var c = _text[_pos];
                if (c is ' ' or '\t' or '\r' or '\n' or ';' or '{') break;
                if (c == '}') throw Error("unexpected \"}\" in an unquoted argument");
                if (c is '"' or '\'') throw Error("a quote character is not allowed inside an unquoted string");
                if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] is '/' or '*')
                    break;
                _pos++;
            }
            if (_pos == start) throw Error("expected an argument");
            return Slice(start, _pos - start);
        }

        private readonly string Slice(int start, int length) =>
            Discard ? "" : _pool is null ? _text.Slice(start, length).ToString() : _pool.Get(_text.Slice(start, length));

        private string ReadQuoted()
        {
            var quote = Peek;
            var start = Location;
            var quoteColumn = _pos - _lineStart; // 0-based column of the opening quote
            Advance();
            if (quote == '\'')
            {
                var s = _pos;
                while (true)
                {
                    if (AtEnd) throw new YangException(start, "unterminated single-quoted string");
                    if (Peek == '\'') break;
                    Advance();
                }
                var value = Slice(s, _pos - s);
                Advance();
                return value;
            }
            return ReadDoubleQuoted(start, quoteColumn);
        }

        /// <summary>
        /// Double-quoted string (RFC 7950 §6.1.3): escapes \n \t \" \\; whitespace before a line break is
        /// removed; after a line break, indentation up to the column after the opening quote is removed
        /// (a tab counts as 8 columns).
        /// </summary>
        private string ReadDoubleQuoted(SourceLocation start, int quoteColumn)
        {
            // Fast path: no escapes and no line breaks.
            var scan = _pos;
            while (scan < _text.Length)
            {
                var ch = _text[scan];
                if (ch == '"')
                {
                    var simple = Slice(_pos, scan - _pos);
                    _pos = scan + 1;
                    return simple;
                }
                if (ch is '\\' or '\n') break;
                scan++;
            }

            var sb = t_scratch ??= new StringBuilder(4096);
            sb.Clear();
            sb.Append(_text.Slice(_pos, scan - _pos));
            _pos = scan; // no line break before scan, so the line bookkeeping stays valid
            var indentLimit = quoteColumn + 1;
            while (true)
            {
                if (AtEnd) throw new YangException(start, "unterminated double-quoted string");
                var c = Peek;
                if (c == '"')
                {
                    Advance();
                    return Discard ? "" : sb.ToString();
                }
                if (c == '\\')
                {
                    var escLocation = Location;
                    Advance();
                    if (AtEnd) throw new YangException(start, "unterminated double-quoted string");
                    var e = Peek;
                    switch (e)
                    {
                        case 'n': sb.Append('\n'); break;
                        case 't': sb.Append('\t'); break;
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        default:
                            throw new YangException(escLocation, $"invalid escape sequence \"\\{Escape(e)}\" in a double-quoted string (allowed: \\n \\t \\\" \\\\)");
                    }
                    Advance();
                    continue;
                }
                if (c == '\n')
                {
                    // Trailing whitespace before a line break is dropped.
                    var len = sb.Length;
                    while (len > 0 && sb[len - 1] is ' ' or '\t') len--;
                    if (len > 0 && sb[len - 1] == '\r') len--;
                    sb.Length = len;
                    sb.Append('\n');
                    Advance();
                    // Strip indentation up to the column after the opening quote.
                    var col = 0;
                    while (!AtEnd && col < indentLimit)
                    {
                        var w = Peek;
                        if (w == ' ') col++;
                        else if (w == '\t')
                        {
                            var next = col + 8;
                            if (next > indentLimit)
                            {
                                // A tab crossing the limit is kept as the spaces beyond it.
                                sb.Append(' ', next - indentLimit);
                                Advance();
                                break;
                            }
                            col = next;
                        }
                        else break;
                        Advance();
                    }
                    continue;
                }
                sb.Append(c);
                Advance();
            }
        }

        /// <summary>Reused for strings with escapes or line breaks (descriptions), so each costs one final string only.</summary>
        [ThreadStatic]
        private static StringBuilder? t_scratch;

        private static string Escape(char c) => c < ' ' ? $"\\u{(int)c:x4}" : c.ToString();

        private static readonly Dictionary<string, string> Interned = CreateInterned();

        private static Dictionary<string, string> CreateInterned()
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var k in Keywords.All) d[k] = k;
            return d;
        }

        private static string Intern(ReadOnlySpan<char> s)
        {
            var lookup = Interned.GetAlternateLookup<ReadOnlySpan<char>>();
            return lookup.TryGetValue(s, out var v) ? v : s.ToString();
        }
    }
}
