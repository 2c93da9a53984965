using System.Text;
using System.Text.RegularExpressions;

namespace Mgmt.Yang.Schema;

/// <summary>
/// Translates XML Schema regular expressions (RFC 7950 §9.4.5, XSD Part 2 Appendix F) into .NET ones:
/// the whole value must match (implicit anchors), <c>^</c> and <c>$</c> are ordinary characters, <c>.</c>
/// excludes only CR and LF, <c>\i \c \I \C</c> become explicit classes, block escapes <c>\p{IsX}</c> are
/// kept (.NET knows the same Unicode block names), class subtraction <c>[a-z-[aeiou]]</c> is native in .NET.
/// Regexes run with a match timeout so a hostile value cannot hang a parse.
/// </summary>
public static class XsdRegex
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    private const string NameStartChars = ":A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD";
    private const string NameChars = NameStartChars + "\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040";

    private const int MaxChecked = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Checked = new(StringComparer.Ordinal);

    public static bool TryTranslate(string xsdPattern, out string dotnetPattern, out string? error)
    {
        dotnetPattern = "";
        try
        {
            dotnetPattern = Translate(xsdPattern);
            // Building the regex once checks the translation; unknown blocks or bad syntax are caught here. A
            // pattern checked before is not built again (modules repeat their types' patterns; each build is a
            // parse tree's worth of garbage).
            if (!Checked.ContainsKey(dotnetPattern))
            {
                _ = new Regex(dotnetPattern, RegexOptions.CultureInvariant, MatchTimeout);
                if (Checked.Count < MaxChecked) Checked.TryAdd(dotnetPattern, 0);
            }
            error = null;
            return true;
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    public static Regex Compile(string xsdPattern) => Build(Translate(xsdPattern));

    public static Regex Build(string dotnetPattern, bool compiled = false) =>
        new(dotnetPattern, compiled ? RegexOptions.CultureInvariant | RegexOptions.Compiled : RegexOptions.CultureInvariant, MatchTimeout);

    /// <summary>Translates one pattern; throws <see cref="FormatException"/> for constructs XSD does not allow.</summary>
    public static string Translate(string p)
    {
        var sb = new StringBuilder(p.Length + 16);
        sb.Append("\\A(?:");
        var depth = 0; // character class nesting
        for (var i = 0; i < p.Length; i++)
        {
            var c = p[i];
            if (c == '\\')
            {
                if (i + 1 >= p.Length) throw new FormatException("pattern ends with a lone backslash");
                var e = p[++i];
                switch (e)
                {
                    case 'i': sb.Append(depth > 0 ? NameStartChars : "[" + NameStartChars + "]"); break;
                    case 'I': if (depth > 0) throw new FormatException("\\I inside a character class is not supported"); sb.Append("[^" + NameStartChars + "]"); break;
                    case 'c': sb.Append(depth > 0 ? NameChars : "[" + NameChars + "]"); break;
                    case 'C': if (depth > 0) throw new FormatException("\\C inside a character class is not supported"); sb.Append("[^" + NameChars + "]"); break;
                    case 'p' or 'P':
                        var close = p.IndexOf('}', i);
                        if (i + 1 >= p.Length || p[i + 1] != '{' || close < 0) throw new FormatException("\\p needs {name}");
                        var name = p[(i + 2)..close];
                        sb.Append('\\').Append(e).Append('{').Append(MapBlock(name)).Append('}');
                        i = close;
                        break;
                    case 'n' or 'r' or 't' or '\\' or '|' or '.' or '?' or '*' or '+' or '(' or ')' or '{' or '}'
                        or '-' or '[' or ']' or '^' or 's' or 'S' or 'd' or 'D' or 'w' or 'W':
                        sb.Append('\\').Append(e);
                        break;
                    case '$':
                        sb.Append("\\$");
                        break;
                    default:
                        throw new FormatException($"invalid escape \\{e} in an XSD regular expression");
                }
                continue;
            }
            if (depth == 0)
            {
                switch (c)
                {
                    case '[':
                        depth++;
                        sb.Append('[');
                        if (i + 1 < p.Length && p[i + 1] == '^') { sb.Append('^'); i++; }
                        break;
                    case '.': sb.Append("[^\\n\\r]"); break;
                    case '^' or '$': sb.Append('\\').Append(c); break;
                    case '(':
                        // XSD has no group modifiers; make every group non-capturing and reject (?...
                        if (i + 1 < p.Length && p[i + 1] == '?') throw new FormatException("\"(?\" is not allowed in an XSD regular expression");
                        sb.Append("(?:");
                        break;
                    case ']': sb.Append("\\]"); break;
                    default: sb.Append(c); break;
                }
            }
            else
            {
                switch (c)
                {
                    case '[':
                        // Only class subtraction "-[" opens a nested class in XSD.
                        if (sb.Length > 0 && sb[^1] == '-') { depth++; sb.Append('['); }
                        else sb.Append("\\[");
                        break;
                    case ']': depth--; sb.Append(']'); break;
                    default: sb.Append(c); break;
                }
            }
        }
        if (depth != 0) throw new FormatException("unterminated character class");
        sb.Append(")\\z");
        return sb.ToString();
    }

    /// <summary>XSD block names that .NET spells differently.</summary>
    private static string MapBlock(string name) => name switch
    {
        "IsBasicLatin" => "IsBasicLatin",
        "IsLatin-1Supplement" => "IsLatin-1Supplement",
        "IsGreek" => "IsGreekandCoptic",
        "IsCombiningMarksforSymbols" => "IsCombiningDiacriticalMarksforSymbols",
        "IsPrivateUse" => "IsPrivateUseArea",
        _ => name,
    };
}
