using Mgmt.Yang.Schema;

namespace Mgmt.Yang.XPath;

/// <summary>
/// An XPath expression kept as text with the prefix context it was written in, for when/must statements
/// until the evaluator compiles it (the text was checked for balanced syntax by the compiler).
/// </summary>
public sealed class UnparsedXPath(string text, IPrefixResolver prefixes) : XPathExpr
{
    public string Text { get; } = text;

    public IPrefixResolver Prefixes { get; } = prefixes;

    public override string ToString() => Text;
}
