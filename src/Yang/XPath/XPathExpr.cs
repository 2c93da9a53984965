namespace Mgmt.Yang.XPath;

/// <summary>
/// Root of the compiled XPath 1.0 expression tree. Name tests in the tree carry their resolved
/// module, so evaluation never consults prefixes again.
/// </summary>
public abstract class XPathExpr
{
}
