namespace Mgmt.Yang.Parsing;

/// <summary>The core YANG 1.1 keywords (RFC 7950 §14), used to intern keyword strings while parsing.</summary>
public static class Keywords
{
    public static readonly string[] All =
    [
        "action", "anydata", "anyxml", "argument", "augment", "base", "belongs-to", "bit", "case", "choice",
        "config", "contact", "container", "default", "description", "deviate", "deviation", "enum",
        "error-app-tag", "error-message", "extension", "feature", "fraction-digits", "grouping", "identity",
        "if-feature", "import", "include", "input", "key", "leaf", "leaf-list", "length", "list", "mandatory",
        "max-elements", "min-elements", "modifier", "module", "must", "namespace", "notification", "ordered-by",
        "organization", "output", "path", "pattern", "position", "prefix", "presence", "range", "reference",
        "refine", "require-instance", "revision", "revision-date", "rpc", "status", "submodule", "type",
        "typedef", "unique", "units", "uses", "value", "when", "yang-version", "yin-element",
    ];
}
