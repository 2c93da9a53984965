using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Tests.XPath;

public sealed class XPathTests
{
    private sealed class AnyPrefix : IPrefixResolver
    {
        public static readonly YangModule Module = new("any");

        public YangModule? Resolve(string? prefix) => prefix is null ? null : Module;
    }

    [Fact]
    public void Every_when_and_must_expression_of_the_corpus_parses()
    {
        var failures = new List<string>();
        var count = 0;
        foreach (var f in Directory.EnumerateFiles(CorpusLocator.Directory, "*.yang"))
            Walk(YangParser.Parse(File.ReadAllText(f), f));
        Assert.True(count > 1000, $"only {count} expressions found");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));

        void Walk(Statement s)
        {
            if (s.Prefix is null && s.Keyword is "when" or "must" && s.Argument is { } text)
            {
                count++;
                try { XPathParser.Parse(text, new AnyPrefix()); }
                catch (XPathSyntaxException e) { failures.Add($"{s.Location}: {text}: {e.Message}"); }
            }
            foreach (var c in s.Children) Walk(c);
        }
    }

    [Theory]
    [InlineData("1 +", "expected")]
    [InlineData("count(a", "expected")]
    [InlineData("foo(1)", "unknown function")]
    [InlineData("count()", "wrong number of arguments")]
    [InlineData("'open", "unterminated")]
    [InlineData("$var", "variable")]
    [InlineData("a ! b", "must be followed")]
    [InlineData("bad:name", "unknown prefix")]
    public void Malformed_expressions_raise_a_syntax_error(string text, string fragment)
    {
        var e = Assert.Throws<XPathSyntaxException>(() => XPathParser.Parse(text, new Prefixes()));
        Assert.Contains(fragment, e.Message);
    }

    private sealed class Prefixes : IPrefixResolver
    {
        public YangModule? Resolve(string? prefix) => prefix is null or "x" ? AnyPrefix.Module : null;
    }

    private static readonly Lazy<SchemaContext> Ctx = new(() =>
    {
        var b = new SchemaContextBuilder();
        b.LoadText("""
            module xp {
              yang-version 1.1;
              namespace "urn:t:xp";
              prefix xp;
              identity proto;
              identity tcp { base proto; }
              identity udp { base proto; }
              container c {
                leaf kind { type identityref { base proto; } }
                leaf port {
                  type uint16;
                  when "derived-from-or-self(../kind, 'xp:tcp')";
                }
                leaf low { type int32; }
                leaf high {
                  type int32;
                  must ". >= ../low" { error-message "high must not be below low"; error-app-tag "range-order"; }
                }
                list e {
                  key n;
                  leaf n { type string; }
                  must "count(../e) <= 3";
                }
                leaf name { type string; must "string-length(.) > 2 and not(contains(., ' '))"; }
              }
            }
            """, "xp.yang");
        return b.Build();
    });

    private static IReadOnlyList<DataError> Validate(string inner) =>
        DataValidator.Validate(XmlDataReader.Parse(Ctx.Value, $"<c xmlns=\"urn:t:xp\" xmlns:xp=\"urn:t:xp\">{inner}</c>", new DataParseOptions(DataContent.Config)));

    [Fact]
    public void Satisfied_when_and_must_conditions_pass() =>
        Assert.Empty(Validate("<kind>xp:tcp</kind><port>80</port><low>1</low><high>5</high><e><n>a</n></e><name>abc</name>"));

    [Fact]
    public void A_node_whose_when_is_false_is_reported()
    {
        var errors = Validate("<kind>xp:udp</kind><port>53</port>");
        var e = Assert.Single(errors);
        Assert.Equal("/xp:c/port", e.Path);
        Assert.Equal("when-violation", e.AppTag);
    }

    [Fact]
    public void A_failed_must_reports_its_error_message_and_app_tag()
    {
        var e = Assert.Single(Validate("<low>5</low><high>1</high>"));
        Assert.Equal(("high must not be below low", "range-order", "/xp:c/high"), (e.Message, e.AppTag, e.Path));
    }

    [Fact]
    public void Must_with_count_and_string_functions_is_evaluated()
    {
        Assert.Contains(Validate("<e><n>a</n></e><e><n>b</n></e><e><n>c</n></e><e><n>d</n></e>"), x => x.AppTag == "must-violation" && x.Path == "/xp:c/e[n='a']");
        Assert.Contains(Validate("<name>a b c</name>"), x => x.AppTag == "must-violation" && x.Path == "/xp:c/name");
        Assert.Contains(Validate("<name>ab</name>"), x => x.AppTag == "must-violation");
    }

    [Theory]
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("10 div 4", "2.5")]
    [InlineData("7 mod 3", "1")]
    [InlineData("-7 mod 3", "-1")]
    [InlineData("concat('a', 'b', 'c')", "abc")]
    [InlineData("substring('12345', 2, 3)", "234")]
    [InlineData("substring-before('a:b', ':')", "a")]
    [InlineData("translate('bar', 'abc', 'ABC')", "BAr")]
    [InlineData("normalize-space('  a   b ')", "a b")]
    [InlineData("round(2.5)", "3")]
    [InlineData("floor(-1.5)", "-2")]
    [InlineData("number('x')", "NaN")]
    [InlineData("1 div 0", "Infinity")]
    [InlineData("true() and not(false())", "true")]
    [InlineData("re-match('eth0', '[a-z]+[0-9]+')", "true")]
    [InlineData("re-match('eth0 ', '[a-z]+[0-9]+')", "false")]
    public void Core_functions_and_operators_follow_xpath_1(string expr, string expected)
    {
        var root = new DataRoot(Ctx.Value);
        Assert.Equal(expected, XPathEvaluator.Evaluate(XPathParser.Parse(expr, new Prefixes()), root).ToStringValue());
    }
}
