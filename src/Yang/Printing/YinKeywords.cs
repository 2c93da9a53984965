namespace Mgmt.Yang.Printing;

/// <summary>
/// RFC 7950 §13.1.1: for each YANG keyword, the name of its argument in YIN and whether the argument
/// is a child element (true) or an XML attribute (false). Keywords without an argument are absent.
/// </summary>
internal static class YinKeywords
{
    private static readonly Dictionary<string, (string Argument, bool Element)> Table = new(StringComparer.Ordinal)
    {
        ["action"] = ("name", false),
        ["anydata"] = ("name", false),
        ["anyxml"] = ("name", false),
        ["argument"] = ("name", false),
        ["augment"] = ("target-node", false),
        ["base"] = ("name", false),
        ["belongs-to"] = ("module", false),
        ["bit"] = ("name", false),
        ["case"] = ("name", false),
        ["choice"] = ("name", false),
        ["config"] = ("value", false),
        ["contact"] = ("text", true),
        ["container"] = ("name", false),
        ["default"] = ("value", false),
        ["description"] = ("text", true),
        ["deviate"] = ("value", false),
        ["deviation"] = ("target-node", false),
        ["enum"] = ("name", false),
        ["error-app-tag"] = ("value", false),
        ["error-message"] = ("value", true),
        ["extension"] = ("name", false),
        ["feature"] = ("name", false),
        ["fraction-digits"] = ("value", false),
        ["grouping"] = ("name", false),
        ["identity"] = ("name", false),
        ["if-feature"] = ("name", false),
        ["import"] = ("module", false),
        ["include"] = ("module", false),
        ["key"] = ("value", false),
        ["leaf"] = ("name", false),
        ["leaf-list"] = ("name", false),
        ["length"] = ("value", false),
        ["list"] = ("name", false),
        ["mandatory"] = ("value", false),
        ["max-elements"] = ("value", false),
        ["min-elements"] = ("value", false),
        ["modifier"] = ("value", false),
        ["module"] = ("name", false),
        ["must"] = ("condition", false),
        ["namespace"] = ("uri", false),
        ["notification"] = ("name", false),
        ["ordered-by"] = ("value", false),
        ["organization"] = ("text", true),
        ["path"] = ("value", false),
        ["pattern"] = ("value", false),
        ["position"] = ("value", false),
        ["prefix"] = ("value", false),
        ["presence"] = ("value", false),
        ["range"] = ("value", false),
        ["reference"] = ("text", true),
        ["refine"] = ("target-node", false),
        ["require-instance"] = ("value", false),
        ["revision"] = ("date", false),
        ["revision-date"] = ("date", false),
        ["rpc"] = ("name", false),
        ["status"] = ("value", false),
        ["submodule"] = ("name", false),
        ["type"] = ("name", false),
        ["typedef"] = ("name", false),
        ["unique"] = ("tag", false),
        ["units"] = ("name", false),
        ["uses"] = ("name", false),
        ["value"] = ("value", false),
        ["when"] = ("condition", false),
        ["yang-version"] = ("value", false),
        ["yin-element"] = ("value", false),
    };

    /// <summary>The argument mapping of a core keyword; false for input, output and unknown keywords.</summary>
    public static bool TryGet(string keyword, out string argument, out bool element)
    {
        if (Table.TryGetValue(keyword, out var e))
        {
            argument = e.Argument;
            element = e.Element;
            return true;
        }
        argument = "";
        element = false;
        return false;
    }
}
