namespace Mgmt.Yang.Schema;

/// <summary>
/// Maps the prefixes of a value or XPath expression to modules: YANG import prefixes in schema text,
/// XML namespace prefixes in XML documents, module names in JSON. A null or empty prefix asks for the
/// default module (which may be null: then the name matches any module).
/// </summary>
public interface IPrefixResolver
{
    YangModule? Resolve(string? prefix);
}
