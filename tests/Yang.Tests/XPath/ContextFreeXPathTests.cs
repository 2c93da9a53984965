using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Tests.XPath;

/// <summary>
/// Expressions whose value is the same wherever they are evaluated in one tree are evaluated once per validation;
/// anything that reads the context node, its position or current() must not be taken for one.
/// </summary>
public sealed class ContextFreeXPathTests
{
    private sealed class AnyPrefix : IPrefixResolver
    {
        private static readonly YangModule Module = new("m");

        public YangModule? Resolve(string? prefix) => Module;
    }

    [Theory]
    [InlineData("derived-from-or-self(/acls/acl/type, 'acl:ipv4-acl-type')")]
    [InlineData("count(/a/b) > 1")]
    [InlineData("/a/b[c = 'x']")]
    [InlineData("/a/b[position() = 1]/c")]
    [InlineData("/a/b[../d = c]")]
    [InlineData("not(/a/b) or 1 = 1")]
    [InlineData("(/a/b)[2]/c")]
    [InlineData("string(/a/b) = concat('x', 'y')")]
    [InlineData("true()")]
    public void Expressions_without_a_context_are_context_free(string text) =>
        Assert.True(ContextFreeXPath.Is(XPathParser.Parse(text, new AnyPrefix())));

    [Theory]
    [InlineData("../type = 'x'")]
    [InlineData(". <= ../upper-port")]
    [InlineData("b")]
    [InlineData("/a/b[name = current()/../x]")]
    [InlineData("current() = 'x'")]
    [InlineData("position() = 1")]
    [InlineData("last() > 1")]
    [InlineData("string() = 'x'")]
    [InlineData("string-length() > 2")]
    [InlineData("name() = 'm:a'")]
    [InlineData("number() > 1")]
    [InlineData("/a/b = ../c")]
    [InlineData("(/a/b)[. = current()]")]
    [InlineData("lang('en')")]
    public void Expressions_that_read_their_context_are_not(string text) =>
        Assert.False(ContextFreeXPath.Is(XPathParser.Parse(text, new AnyPrefix())));
}
