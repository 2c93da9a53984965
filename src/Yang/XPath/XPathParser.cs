using System.Globalization;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.XPath;

public sealed class XPathSyntaxException(string message, int position) : Exception(message)
{
    public int Position { get; } = position;
}

/// <summary>
/// XPath 1.0 parser (recursive descent over the grammar of the XPath 1.0 recommendation, §3). Name tests
/// are resolved to modules while parsing: a prefix through <see cref="IPrefixResolver"/>, an unprefixed
/// name to the resolver's default module (any module when it has none).
/// </summary>
public static class XPathParser
{
    public static XPathExpr Parse(string text, IPrefixResolver prefixes)
    {
        // The token list is kept for the next expression (compiling the corpus parses tens of thousands).
        var tokens = t_tokens ?? [];
        t_tokens = null; // taken: a parse within this one (none now) would make its own
        try
        {
            var p = new Parser(Tokenize(text, tokens), prefixes, text);
            var e = p.ParseOr();
            if (!p.AtEnd) throw new XPathSyntaxException($"unexpected \"{p.Peek.Text}\"", p.Peek.Pos);
            return e;
        }
        finally
        {
            tokens.Clear();
            if (tokens.Capacity <= 1024) t_tokens = tokens;
        }
    }

    [ThreadStatic] private static List<Token>? t_tokens;

    private enum T { Number, Literal, Name, Op, LParen, RParen, LBracket, RBracket, Comma, Slash, DoubleSlash, Dot, DotDot, At, Axis, Star, Pipe, End }

    private readonly record struct Token(T Kind, string Text, int Pos);

    private static List<Token> Tokenize(string s, List<Token> tokens)
    {
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            switch (c)
            {
                case '(': tokens.Add(new(T.LParen, "(", i++)); continue;
                case ')': tokens.Add(new(T.RParen, ")", i++)); continue;
                case '[': tokens.Add(new(T.LBracket, "[", i++)); continue;
                case ']': tokens.Add(new(T.RBracket, "]", i++)); continue;
                case ',': tokens.Add(new(T.Comma, ",", i++)); continue;
                case '@': tokens.Add(new(T.At, "@", i++)); continue;
                case '|': tokens.Add(new(T.Pipe, "|", i++)); continue;
                case '/':
                    if (i + 1 < s.Length && s[i + 1] == '/') { tokens.Add(new(T.DoubleSlash, "//", i)); i += 2; }
                    else tokens.Add(new(T.Slash, "/", i++));
                    continue;
                case '\'' or '"':
                    var close = s.IndexOf(c, i + 1);
                    if (close < 0) throw new XPathSyntaxException("unterminated string literal", i);
                    tokens.Add(new(T.Literal, s[(i + 1)..close], i));
                    i = close + 1;
                    continue;
                case '=' or '+' or '-':
                    tokens.Add(new(T.Op, c.ToString(), i++));
                    continue;
                case '!' or '<' or '>':
                    if (i + 1 < s.Length && s[i + 1] == '=') { tokens.Add(new(T.Op, s.Substring(i, 2), i)); i += 2; }
                    else if (c == '!') throw new XPathSyntaxException("\"!\" must be followed by \"=\"", i);
                    else tokens.Add(new(T.Op, c.ToString(), i++));
                    continue;
                case '*':
                    // XPath 1.0 §3.7: after an operand, * is the multiply operator.
                    tokens.Add(new(PrecedesOperator(tokens) ? T.Op : T.Star, "*", i++));
                    continue;
                case '$':
                    throw new XPathSyntaxException("variable references are not supported in YANG XPath", i);
            }
            if (c == '.' && (i + 1 >= s.Length || !char.IsAsciiDigit(s[i + 1])))
            {
                if (i + 1 < s.Length && s[i + 1] == '.') { tokens.Add(new(T.DotDot, "..", i)); i += 2; }
                else tokens.Add(new(T.Dot, ".", i++));
                continue;
            }
            if (char.IsAsciiDigit(c) || c == '.')
            {
                while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
                tokens.Add(new(T.Number, s[start..i], start));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '-' or '.')) i++;
                // A name may be prefix:local or prefix:*
                if (i + 1 < s.Length && s[i] == ':' && s[i + 1] != ':')
                {
                    i++;
                    if (s[i] == '*') i++;
                    else while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '-' or '.')) i++;
                }
                var word = s[start..i];
                if (PrecedesOperator(tokens) && word is "and" or "or" or "div" or "mod")
                {
                    tokens.Add(new(T.Op, word, start));
                    continue;
                }
                if (i + 1 < s.Length && s[i] == ':' && s[i + 1] == ':')
                {
                    tokens.Add(new(T.Axis, word, start));
                    i += 2;
                    continue;
                }
                tokens.Add(new(T.Name, word, start));
                continue;
            }
            throw new XPathSyntaxException($"unexpected character '{c}'", i);
        }
        tokens.Add(new(T.End, "", s.Length));
        return tokens;
    }

    /// <summary>True when the previous token ends an operand, so a following * or name is an operator.</summary>
    private static bool PrecedesOperator(List<Token> tokens)
    {
        if (tokens.Count == 0) return false;
        var k = tokens[^1].Kind;
        return k is T.Number or T.Literal or T.Name or T.RParen or T.RBracket or T.Dot or T.DotDot or T.Star;
    }

    private sealed class Parser(List<Token> tokens, IPrefixResolver prefixes, string text)
    {
        private int _i;

        public Token Peek => tokens[_i];

        public bool AtEnd => tokens[_i].Kind == T.End;

        private Token Next() => tokens[_i++];

        private bool IsOp(string op) => Peek.Kind == T.Op && Peek.Text == op;

        private void Expect(T kind, string what)
        {
            if (Peek.Kind != kind) throw new XPathSyntaxException($"expected {what} in \"{text}\"", Peek.Pos);
            _i++;
        }

        public XPathExpr ParseOr()
        {
            var e = ParseAnd();
            while (IsOp("or")) { _i++; e = new XBinary("or", e, ParseAnd()); }
            return e;
        }

        private XPathExpr ParseAnd()
        {
            var e = ParseEquality();
            while (IsOp("and")) { _i++; e = new XBinary("and", e, ParseEquality()); }
            return e;
        }

        private XPathExpr ParseEquality()
        {
            var e = ParseRelational();
            while (IsOp("=") || IsOp("!=")) { var op = Next().Text; e = new XBinary(op, e, ParseRelational()); }
            return e;
        }

        private XPathExpr ParseRelational()
        {
            var e = ParseAdditive();
            while (IsOp("<") || IsOp(">") || IsOp("<=") || IsOp(">=")) { var op = Next().Text; e = new XBinary(op, e, ParseAdditive()); }
            return e;
        }

        private XPathExpr ParseAdditive()
        {
            var e = ParseMultiplicative();
            while (IsOp("+") || IsOp("-")) { var op = Next().Text; e = new XBinary(op, e, ParseMultiplicative()); }
            return e;
        }

        private XPathExpr ParseMultiplicative()
        {
            var e = ParseUnary();
            while (IsOp("*") || IsOp("div") || IsOp("mod")) { var op = Next().Text; e = new XBinary(op, e, ParseUnary()); }
            return e;
        }

        private XPathExpr ParseUnary()
        {
            if (IsOp("-")) { _i++; return new XNegate(ParseUnary()); }
            var e = ParsePath();
            while (Peek.Kind == T.Pipe) { _i++; e = new XBinary("|", e, ParsePath()); }
            return e;
        }

        private XPathExpr ParsePath()
        {
            var t = Peek;
            var isPrimary = t.Kind is T.Number or T.Literal or T.LParen
                || (t.Kind == T.Name && tokens[_i + 1].Kind == T.LParen && t.Text is not ("node" or "text" or "comment" or "processing-instruction"));
            if (!isPrimary) return ParseLocationPath();
            var primary = ParsePrimary();
            var predicates = ParsePredicates();
            if (Peek.Kind is T.Slash or T.DoubleSlash)
            {
                var steps = new List<XStep>();
                ParseRelativeSteps(steps);
                return new XFilter(primary, predicates, new XPath(false, steps));
            }
            return predicates.Count == 0 ? primary : new XFilter(primary, predicates, null);
        }

        private XPathExpr ParsePrimary()
        {
            var t = Next();
            switch (t.Kind)
            {
                case T.Number:
                    if (!double.TryParse(t.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d))
                        throw new XPathSyntaxException($"invalid number \"{t.Text}\"", t.Pos);
                    return new XNumber(d);
                case T.Literal:
                    return new XLiteral(t.Text);
                case T.LParen:
                    var e = ParseOr();
                    Expect(T.RParen, "\")\"");
                    return e;
                default:
                    Expect(T.LParen, "\"(\"");
                    var args = new List<XPathExpr>();
                    if (Peek.Kind != T.RParen)
                    {
                        args.Add(ParseOr());
                        while (Peek.Kind == T.Comma) { _i++; args.Add(ParseOr()); }
                    }
                    Expect(T.RParen, "\")\"");
                    XPathFunctions.CheckArity(t.Text, args.Count, t.Pos);
                    return new XCall(t.Text, args);
            }
        }

        private List<XPathExpr> ParsePredicates()
        {
            var list = new List<XPathExpr>();
            while (Peek.Kind == T.LBracket)
            {
                _i++;
                list.Add(ParseOr());
                Expect(T.RBracket, "\"]\"");
            }
            return list;
        }

        private XPathExpr ParseLocationPath()
        {
            var steps = new List<XStep>();
            if (Peek.Kind == T.Slash)
            {
                _i++;
                if (StartsStep()) ParseStepInto(steps);
                else return new XPath(true, steps);
                ParseRelativeSteps(steps);
                return new XPath(true, steps);
            }
            if (Peek.Kind == T.DoubleSlash)
            {
                _i++;
                steps.Add(new XStep(Axis.DescendantOrSelf, null, null, true, "node", []));
                ParseStepInto(steps);
                ParseRelativeSteps(steps);
                return new XPath(true, steps);
            }
            ParseStepInto(steps);
            ParseRelativeSteps(steps);
            return new XPath(false, steps);
        }

        private bool StartsStep() => Peek.Kind is T.Name or T.Star or T.Dot or T.DotDot or T.At or T.Axis;

        private void ParseRelativeSteps(List<XStep> steps)
        {
            while (Peek.Kind is T.Slash or T.DoubleSlash)
            {
                if (Next().Kind == T.DoubleSlash) steps.Add(new XStep(Axis.DescendantOrSelf, null, null, true, "node", []));
                ParseStepInto(steps);
            }
        }

        private void ParseStepInto(List<XStep> steps)
        {
            var t = Peek;
            if (t.Kind == T.Dot) { _i++; steps.Add(new XStep(Axis.Self, null, null, true, "node", [])); return; }
            if (t.Kind == T.DotDot) { _i++; steps.Add(new XStep(Axis.Parent, null, null, true, "node", [])); return; }
            var axis = Axis.Child;
            if (t.Kind == T.At) { _i++; axis = Axis.Attribute; }
            else if (t.Kind == T.Axis)
            {
                _i++;
                axis = t.Text switch
                {
                    "child" => Axis.Child, "descendant" => Axis.Descendant, "descendant-or-self" => Axis.DescendantOrSelf,
                    "parent" => Axis.Parent, "ancestor" => Axis.Ancestor, "ancestor-or-self" => Axis.AncestorOrSelf,
                    "self" => Axis.Self, "following-sibling" => Axis.FollowingSibling, "preceding-sibling" => Axis.PrecedingSibling,
                    "following" => Axis.Following, "preceding" => Axis.Preceding, "attribute" => Axis.Attribute, "namespace" => Axis.Namespace,
                    _ => throw new XPathSyntaxException($"unknown axis \"{t.Text}\"", t.Pos),
                };
            }
            var nt = Next();
            XStep step;
            if (nt.Kind == T.Star)
            {
                step = new XStep(axis, null, null, true, null, []);
            }
            else if (nt.Kind == T.Name && Peek.Kind == T.LParen && nt.Text is "node" or "text" or "comment" or "processing-instruction")
            {
                _i++;
                if (Peek.Kind == T.Literal) _i++;
                Expect(T.RParen, "\")\"");
                step = new XStep(axis, null, null, true, nt.Text, []);
            }
            else if (nt.Kind == T.Name)
            {
                var colon = nt.Text.IndexOf(':');
                var prefix = colon < 0 ? null : nt.Text[..colon];
                var local = colon < 0 ? nt.Text : nt.Text[(colon + 1)..];
                var module = prefixes.Resolve(prefix);
                if (prefix is not null && module is null) throw new XPathSyntaxException($"unknown prefix \"{prefix}\"", nt.Pos);
                step = local == "*"
                    ? new XStep(axis, null, module, module is null, null, [])
                    : new XStep(axis, local, module, module is null, null, []);
            }
            else throw new XPathSyntaxException($"expected a node test in \"{text}\"", nt.Pos);
            var preds = ParsePredicates();
            steps.Add(preds.Count == 0 ? step : step with { Predicates = preds });
        }
    }
}
