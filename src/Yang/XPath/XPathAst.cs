using Mgmt.Yang.Schema;

namespace Mgmt.Yang.XPath;

/// <summary>A number, string literal, function call, operator or location path of an XPath 1.0 expression.</summary>
internal sealed class XNumber(double value) : XPathExpr
{
    public double Value { get; } = value;
}

internal sealed class XLiteral(string value) : XPathExpr
{
    public string Value { get; } = value;
}

internal sealed class XCall(string name, IReadOnlyList<XPathExpr> args) : XPathExpr
{
    public string Name { get; } = name;

    public IReadOnlyList<XPathExpr> Args { get; } = args;
}

internal sealed class XBinary(string op, XPathExpr left, XPathExpr right) : XPathExpr
{
    public string Op { get; } = op;

    public XPathExpr Left { get; } = left;

    public XPathExpr Right { get; } = right;
}

internal sealed class XNegate(XPathExpr operand) : XPathExpr
{
    public XPathExpr Operand { get; } = operand;
}

/// <summary>A filter expression (primary with predicates) optionally followed by a relative path.</summary>
internal sealed class XFilter(XPathExpr primary, IReadOnlyList<XPathExpr> predicates, XPath? path) : XPathExpr
{
    public XPathExpr Primary { get; } = primary;

    public IReadOnlyList<XPathExpr> Predicates { get; } = predicates;

    public XPath? Path { get; } = path;
}

internal enum Axis
{
    Child, Descendant, DescendantOrSelf, Parent, Ancestor, AncestorOrSelf, Self,
    FollowingSibling, PrecedingSibling, Following, Preceding, Attribute, Namespace,
}

/// <summary>One location step: axis, node test (name with resolved module, <c>*</c>, <c>prefix:*</c>, node(), text()) and predicates.</summary>
internal sealed record XStep(Axis Axis, string? Name, YangModule? Module, bool AnyModule, string? NodeType, IReadOnlyList<XPathExpr> Predicates);

/// <summary>A location path, absolute (from the root) or relative.</summary>
internal sealed class XPath(bool absolute, IReadOnlyList<XStep> steps) : XPathExpr
{
    public bool Absolute { get; } = absolute;

    public IReadOnlyList<XStep> Steps { get; } = steps;
}
