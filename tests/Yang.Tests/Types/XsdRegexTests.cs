using System.Text.RegularExpressions;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Types;

public sealed class XsdRegexTests
{
    private static bool Matches(string xsd, string value) => XsdRegex.Compile(xsd).IsMatch(value);

    [Fact]
    public void EveryPatternInTheCorpusTranslates()
    {
        var arg = new Regex("""\bpattern\s+(?:'([^']*)'|"((?:[^"\\]|\\.)*)")((?:\s*\+\s*(?:'[^']*'|"(?:[^"\\]|\\.)*"))*)""", RegexOptions.Singleline);
        var piece = new Regex("""'([^']*)'|"((?:[^"\\]|\\.)*)"(?!\s*\+)?""", RegexOptions.Singleline);
        var failures = new List<string>();
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(CorpusLocator.Directory, "*.yang"))
        {
            var text = File.ReadAllText(file);
            foreach (Match m in arg.Matches(text))
            {
                var whole = m.Groups[1].Success ? m.Groups[1].Value : Unescape(m.Groups[2].Value);
                foreach (Match p in piece.Matches(m.Groups[3].Value))
                    whole += p.Groups[1].Success ? p.Groups[1].Value : Unescape(p.Groups[2].Value);
                count++;
                if (!XsdRegex.TryTranslate(whole, out _, out var error))
                    failures.Add($"{Path.GetFileName(file)}: {whole}: {error}");
            }
        }
        Assert.True(count > 100, $"only {count} patterns found");
        Assert.Empty(failures);
    }

    // Double-quoted YANG strings: \\ → \, \" → ", \n, \t; other backslashes are kept (YANG 1.0 modules use them).
    private static string Unescape(string s) =>
        Regex.Replace(s, """\\([\\"nt])""", m => m.Groups[1].Value switch { "n" => "\n", "t" => "\t", var v => v });

    private const string Ipv4 =
        @"(([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\.){3}([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])(%[\p{N}\p{L}]+)?";

    [Theory]
    [InlineData("192.0.2.1", true)]
    [InlineData("255.255.255.255%eth0", true)]
    [InlineData("256.1.1.1", false)]
    [InlineData("1.2.3", false)]
    [InlineData(" 1.2.3.4", false)]
    [InlineData("1.2.3.4\n", false)]
    public void Ipv4AddressPatternMatchesOnlyWholeAddresses(string value, bool expected) =>
        Assert.Equal(expected, Matches(Ipv4, value));

    private const string Ipv6a =
        @"((:|[0-9a-fA-F]{0,4}):)([0-9a-fA-F]{0,4}:){0,5}((([0-9a-fA-F]{0,4}:)?(:|[0-9a-fA-F]{0,4}))|(((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])))(%[\p{N}\p{L}]+)?";
    private const string Ipv6b =
        @"(([^:]+:){6}(([^:]+:[^:]+)|(.*\..*)))|((([^:]+:)*[^:]+)?::(([^:]+:)*[^:]+)?)(%.+)?";

    [Theory]
    [InlineData("2001:db8::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1%eth0", true)]
    [InlineData("::ffff:192.0.2.1", true)]
    [InlineData("2001:db8::g", false)]
    [InlineData("192.0.2.1", false)]
    public void Ipv6AddressPatternsOfIetfInetTypes(string value, bool expected) =>
        Assert.Equal(expected, Matches(Ipv6a, value) && Matches(Ipv6b, value));

    private const string DomainName =
        @"((([a-zA-Z0-9_]([a-zA-Z0-9\-_]){0,61})?[a-zA-Z0-9]\.)*([a-zA-Z0-9_]([a-zA-Z0-9\-_]){0,61})?[a-zA-Z0-9]\.?)|\.";

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("example.com.", true)]
    [InlineData(".", true)]
    [InlineData("-bad.com", false)]
    [InlineData("a..b", false)]
    public void DomainNamePattern(string value, bool expected) => Assert.Equal(expected, Matches(DomainName, value));

    private const string DateAndTime =
        @"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[\+\-]\d{2}:\d{2})";

    [Theory]
    [InlineData("2024-01-31T12:00:00Z", true)]
    [InlineData("2024-01-31T12:00:00.123+02:00", true)]
    [InlineData("2024-01-31 12:00:00Z", false)]
    [InlineData("2024-01-31T12:00:00", false)]
    public void DateAndTimePattern(string value, bool expected) => Assert.Equal(expected, Matches(DateAndTime, value));

    [Fact]
    public void DollarAndCaretAreLiteralCharacters()
    {
        Assert.True(Matches("a$b^", "a$b^"));
        Assert.False(Matches("ab$", "ab"));
    }

    [Fact]
    public void DotExcludesOnlyLineBreaks()
    {
        Assert.True(Matches("a.c", "a\tc"));
        Assert.False(Matches("a.c", "a\nc"));
        Assert.False(Matches("a.c", "a\rc"));
    }

    [Fact]
    public void ClassSubtractionRemovesCharacters()
    {
        Assert.True(Matches("[a-z-[aeiou]]+", "bcd"));
        Assert.False(Matches("[a-z-[aeiou]]+", "bad"));
    }

    [Fact]
    public void NameEscapesFollowXmlNames()
    {
        Assert.True(Matches(@"\i\c*", "_a-1.b"));
        Assert.False(Matches(@"\i\c*", "1a"));
        Assert.True(Matches(@"\I", "1"));
        Assert.True(Matches(@"\C", " "));
    }

    [Fact]
    public void CategoryAndBlockEscapesAreUnderstood()
    {
        Assert.True(Matches(@"\p{L}+", "héllo"));
        Assert.False(Matches(@"\p{L}+", "a1"));
        Assert.True(Matches(@"\p{IsBasicLatin}*", "plain ascii"));
        Assert.False(Matches(@"\p{IsBasicLatin}*", "é"));
        Assert.True(Matches(@"\p{IsGreek}", "λ"));
        Assert.True(Matches(@"\P{Nd}", "x"));
    }

    [Fact]
    public void AlternativesAreAnchoredAsAWhole()
    {
        Assert.False(Matches("a|b", "ab"));
        Assert.True(Matches("a|b", "b"));
    }

    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData(@"(?i)abc")]
    [InlineData(@"[abc")]
    [InlineData(@"\p{IsNoSuchBlock}")]
    [InlineData(@"a\")]
    public void InvalidXsdPatternsAreRejected(string pattern)
    {
        Assert.False(XsdRegex.TryTranslate(pattern, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void CompiledRegexHasATimeoutAndIsCultureInvariant()
    {
        var r = XsdRegex.Compile("a+");
        Assert.NotEqual(Regex.InfiniteMatchTimeout, r.MatchTimeout);
        Assert.True(r.Options.HasFlag(RegexOptions.CultureInvariant));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_pattern_gives_the_same_verdicts_before_and_after_it_is_compiled_to_IL(bool invert)
    {
        var xsd = @"(([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\.){3}([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])";
        var p = new PatternRestriction(xsd, XsdRegex.Translate(xsd), invert, null, null);
        var rng = new Random(7);
        for (var i = 0; i < PatternRestriction.CompileAfter * 2; i++)
        {
            var value = $"{rng.Next(300)}.{rng.Next(300)}.{rng.Next(300)}.{rng.Next(300)}{(rng.Next(10) == 0 ? "x" : "")}";
            var expected = Regex.IsMatch(value, @"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$");
            Assert.Equal(expected != invert, p.IsSatisfiedBy(value));
        }
        Assert.True(p.Regex.Options.HasFlag(RegexOptions.Compiled));
        Assert.NotEqual(Regex.InfiniteMatchTimeout, p.Regex.MatchTimeout);
        // Its caches (the compiled regex, the use count) are not part of what it is.
        var fresh = new PatternRestriction(xsd, XsdRegex.Translate(xsd), invert, null, null);
        Assert.Equal(fresh, p);
        Assert.Equal(fresh.GetHashCode(), p.GetHashCode());
        Assert.NotEqual(fresh with { InvertMatch = !invert }, p);
    }
}
