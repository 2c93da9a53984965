using System.Xml.Linq;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Printing;

namespace Mgmt.Yang.Tests.Printing;

public sealed class YinPrinterTests
{
    private static readonly SourceLocation Here = new("test.yang", 1, 1);
    private static readonly XNamespace Yin = YinPrinter.YinNamespace;

    private static Statement S(string keyword, string? arg, params Statement[] children) => S(null, keyword, arg, children);

    private static Statement S(string? prefix, string keyword, string? arg, params Statement[] children)
    {
        var s = new Statement(prefix, keyword, arg, Here);
        foreach (var c in children) s.Add(c);
        return s;
    }

    private static Statement Sample() =>
        S("module", "ex",
            S("yang-version", "1.1"),
            S("namespace", "urn:example:ex"),
            S("prefix", "ex"),
            S("description", "Line one & <two>\nline two."),
            S("extension", "note", S("argument", "text", S("yin-element", "true"))),
            S("extension", "tag", S("argument", "name")),
            S("container", "top",
                S("must", "a < b and c = \"x\""),
                S("ex", "note", "hello"),
                S("ex", "tag", "t1"),
                S("leaf", "a", S("type", "string")),
                S("error-message", "bad value")),
            S("rpc", "reset", S("input", null)));

    [Fact]
    public void Arguments_become_attributes_or_yin_elements_as_rfc7950_section_13_says()
    {
        var doc = XDocument.Parse(YinPrinter.ToString(Sample()));
        var module = doc.Root!;
        Assert.Equal(Yin + "module", module.Name);
        Assert.Equal("ex", (string?)module.Attribute("name"));
        Assert.Equal("urn:example:ex", module.GetNamespaceOfPrefix("ex")?.NamespaceName);
        Assert.Equal("1.1", (string?)module.Element(Yin + "yang-version")?.Attribute("value"));
        Assert.Equal("urn:example:ex", (string?)module.Element(Yin + "namespace")?.Attribute("uri"));
        Assert.Equal("Line one & <two>\nline two.", (string?)module.Element(Yin + "description")?.Element(Yin + "text"));

        var top = module.Element(Yin + "container")!;
        Assert.Equal("a < b and c = \"x\"", (string?)top.Element(Yin + "must")?.Attribute("condition"));
        Assert.Equal("bad value", (string?)top.Element(Yin + "error-message")?.Element(Yin + "value"));
        Assert.Equal("string", (string?)top.Element(Yin + "leaf")?.Element(Yin + "type")?.Attribute("name"));
        Assert.NotNull(module.Element(Yin + "rpc")?.Element(Yin + "input"));
        Assert.Empty(module.Element(Yin + "rpc")!.Element(Yin + "input")!.Attributes());
    }

    [Fact]
    public void Extension_statements_use_the_extension_namespace_and_its_own_argument_mapping()
    {
        var doc = XDocument.Parse(YinPrinter.ToString(Sample()));
        XNamespace ex = "urn:example:ex";
        var top = doc.Root!.Element(Yin + "container")!;
        Assert.Equal("hello", (string?)top.Element(ex + "note")?.Element(ex + "text"));
        Assert.Equal("t1", (string?)top.Element(ex + "tag")?.Attribute("name"));
    }

    [Fact]
    public void Newlines_in_attribute_arguments_survive_xml_attribute_normalisation()
    {
        var module = S("module", "m", S("namespace", "urn:m"), S("prefix", "m"),
            S("container", "c", S("when", "a and\nb")));
        var doc = XDocument.Parse(YinPrinter.ToString(module));
        Assert.Equal("a and\nb", (string?)doc.Root!.Element(Yin + "container")?.Element(Yin + "when")?.Attribute("condition"));
    }
}
