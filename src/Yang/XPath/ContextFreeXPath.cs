using System.Runtime.CompilerServices;

namespace Mgmt.Yang.XPath;

/// <summary>
/// Whether an expression gives the same value wherever it is evaluated in one data tree: it reads the tree only
/// through absolute paths, never <c>current()</c>, and no function that defaults to the context node. Such a
/// when or must (e.g. RFC 8519's <c>derived-from-or-self(/acls/acl/type, 'acl:ipv4-acl-type')</c> on every ACL
/// entry) needs evaluating once per validation, not once per instance.
/// </summary>
internal static class ContextFreeXPath
{
    private static readonly ConditionalWeakTable<XPathExpr, StrongBox<bool>> Known = [];

    public static bool Is(XPathExpr e) => Known.GetValue(e, x => new StrongBox<bool>(Analyze(x))).Value;

    private static bool Analyze(XPathExpr e)
    {
        if (e is not UnparsedXPath u) return Free(e);
        try
        {
            return Free(XPathCache.Parse(u));
        }
        catch (XPathSyntaxException)
        {
            return false; // evaluated (and failing) every time, as before
        }
    }

    /// <summary>Free of the context node, the context position and size, and the current node.</summary>
    private static bool Free(XPathExpr e) => e switch
    {
        XNumber or XLiteral => true,
        XNegate n => Free(n.Operand),
        XBinary b => Free(b.Left) && Free(b.Right),
        XCall c => c.Name switch
        {
            "current" or "position" or "last" or "lang" => false,
            "local-name" or "namespace-uri" or "name" or "string" or "string-length" or "normalize-space" or "number" when c.Args.Count == 0 => false,
            _ => c.Args.All(Free),
        },
        XPath p => p.Absolute && p.Steps.All(StepFree),
        XFilter f => Free(f.Primary) && f.Predicates.All(NoCurrent) && (f.Path is null || f.Path.Steps.All(StepFree)),
        _ => false,
    };

    // A predicate has its own context (the node it filters): only current() reaches outside it.
    private static bool StepFree(XStep s) => s.Predicates.All(NoCurrent);

    private static bool NoCurrent(XPathExpr e) => e switch
    {
        XNumber or XLiteral => true,
        XNegate n => NoCurrent(n.Operand),
        XBinary b => NoCurrent(b.Left) && NoCurrent(b.Right),
        XCall c => c.Name != "current" && c.Args.All(NoCurrent),
        XPath p => p.Steps.All(StepFree),
        XFilter f => NoCurrent(f.Primary) && f.Predicates.All(NoCurrent) && (f.Path is null || f.Path.Steps.All(StepFree)),
        _ => false,
    };
}
