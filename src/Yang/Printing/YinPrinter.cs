using System.Text;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Printing;

/// <summary>
/// Prints a parsed module or submodule in YIN, the XML form of YANG (RFC 7950 §13). Each statement
/// becomes an element in the YIN namespace; its argument becomes an attribute or, for the keywords
/// RFC 7950 §13.1.1 marks yin-element (description, contact, ...), a child element. Extension
/// statements become elements in the namespace of the module that defines the extension, with the
/// argument mapped as that extension's own <c>argument</c>/<c>yin-element</c> say.
/// </summary>
public static class YinPrinter
{
    public const string YinNamespace = "urn:ietf:params:xml:ns:yang:yin:1";

    /// <summary>Prints without knowledge of imported modules: their prefixes get no namespace declaration
    /// and extensions from them map their argument to a <c>value</c> attribute.</summary>
    public static void Print(Statement module, TextWriter w) => Print(module, w, null);

    /// <summary>Prints using <paramref name="compiled"/> (the module the statement belongs to) to declare
    /// the namespaces of imported prefixes and to map imported extensions' arguments.</summary>
    public static void Print(Statement module, TextWriter w, YangModule? compiled)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(w);
        new YinWriter(module, w, compiled).Write();
    }

    /// <summary>Prints the parsed statement of a compiled module.</summary>
    public static void Print(YangModule module, TextWriter w)
    {
        ArgumentNullException.ThrowIfNull(module);
        var statement = module.Statement
            ?? throw new InvalidOperationException($"module {module.Name} was compiled without its statements (SchemaContextBuilder.KeepStatements)");
        Print(statement, w, module);
    }

    public static string ToString(Statement module, YangModule? compiled = null)
    {
        var sw = new StringWriter();
        Print(module, sw, compiled);
        return sw.ToString();
    }

    private sealed class YinWriter(Statement root, TextWriter w, YangModule? compiled)
    {
        private readonly Dictionary<string, string> _namespaces = new(StringComparer.Ordinal);
        private readonly Dictionary<string, YangModule> _prefixModules = new(StringComparer.Ordinal);
        private readonly StringBuilder _sb = new();

        public void Write()
        {
            CollectPrefixes();
            w.Write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            var open = "<" + root.Keyword + " ";
            w.Write(open);
            w.Write("name=\"");
            w.Write(EscapeAttribute(root.Argument ?? ""));
            w.Write('"');
            var pad = new string(' ', open.Length);
            w.Write('\n');
            w.Write(pad);
            w.Write("xmlns=\"" + YinNamespace + "\"");
            foreach (var (prefix, ns) in _namespaces)
            {
                w.Write('\n');
                w.Write(pad);
                w.Write("xmlns:" + prefix + "=\"" + EscapeAttribute(ns) + "\"");
            }
            if (root.Children.Count == 0)
            {
                w.Write("/>\n");
                return;
            }
            w.Write(">\n");
            foreach (var c in root.Children) WriteStatement(c, 1);
            w.Write("</" + root.Keyword + ">\n");
        }

        /// <summary>The module's own prefix and its imports' prefixes, with namespaces where known.</summary>
        private void CollectPrefixes()
        {
            string? ownPrefix = root.Keyword == "submodule" ? root.Find("belongs-to")?.ArgOf("prefix") : root.ArgOf("prefix");
            string? ownNamespace = root.ArgOf("namespace") ?? compiled?.Namespace;
            if (ownPrefix is not null && !string.IsNullOrEmpty(ownNamespace))
            {
                _namespaces[ownPrefix] = ownNamespace;
                if (compiled is not null) _prefixModules[ownPrefix] = compiled;
            }

            foreach (var imp in root.FindAll("import"))
            {
                if (imp.ArgOf("prefix") is not { } p || imp.Argument is null) continue;
                // Extension instances use import prefixes as XML prefixes: without the compiled imports their
                // namespace is not known, but the prefix must still be declared for the document to be XML.
                _namespaces.TryAdd(p, "urn:mgmt:yin:unresolved-import:" + imp.Argument);
                if (compiled is null) continue;
                YangModule? target = null;
                foreach (var i in compiled.Imports)
                    if (i.Module.Name == imp.Argument) target = i.Module;
                target ??= compiled.PrefixMap.GetValueOrDefault(p) is { } byPrefix && byPrefix.Name == imp.Argument ? byPrefix : null;
                if (target is null) continue;
                _prefixModules[p] = target;
                if (target.Namespace.Length > 0) _namespaces[p] = target.Namespace;
            }
        }

        private void WriteStatement(Statement s, int depth)
        {
            var indent = new string(' ', depth * 2);
            string element;
            string? argName = null;
            var argElement = false;
            if (s.IsExtension)
            {
                element = s.RawKeyword;
                (argName, argElement) = ExtensionArgument(s);
            }
            else
            {
                element = s.Keyword;
                if (YinKeywords.TryGet(s.Keyword, out var a, out var e))
                {
                    argName = a;
                    argElement = e;
                }
            }

            var sb = _sb.Clear();
            sb.Append(indent).Append('<').Append(element);
            if (s.Argument is not null && argName is not null && !argElement)
                sb.Append(' ').Append(argName).Append("=\"").Append(EscapeAttribute(s.Argument)).Append('"');
            else if (s.Argument is not null && argName is null)
                sb.Append(" value=\"").Append(EscapeAttribute(s.Argument)).Append('"');

            var hasArgElement = s.Argument is not null && argName is not null && argElement;
            if (!hasArgElement && s.Children.Count == 0)
            {
                sb.Append("/>\n");
                w.Write(sb.ToString());
                return;
            }

            sb.Append(">\n");
            if (hasArgElement)
            {
                var argTag = s.IsExtension ? s.Prefix + ":" + argName : argName!;
                sb.Append(indent).Append("  <").Append(argTag).Append('>')
                  .Append(EscapeText(s.Argument!))
                  .Append("</").Append(argTag).Append(">\n");
            }
            w.Write(sb.ToString());
            foreach (var c in s.Children) WriteStatement(c, depth + 1);
            w.Write(indent + "</" + element + ">\n");
        }

        /// <summary>The argument mapping of an extension statement, from its definition when it can be found.</summary>
        private (string? Name, bool Element) ExtensionArgument(Statement s)
        {
            if (s.Argument is null) return (null, false);
            var ownPrefix = root.Keyword == "submodule" ? root.Find("belongs-to")?.ArgOf("prefix") : root.ArgOf("prefix");
            if (s.Prefix == ownPrefix)
            {
                foreach (var ext in root.FindAll("extension"))
                {
                    if (ext.Argument != s.Keyword) continue;
                    var arg = ext.Find("argument");
                    if (arg?.Argument is null) return ("value", false);
                    return (arg.Argument, arg.ArgOf("yin-element") == "true");
                }
            }

            if (s.Prefix is not null && _prefixModules.TryGetValue(s.Prefix, out var module)
                && module.ExtensionDefinitions.TryGetValue(s.Keyword, out var def) && def.ArgumentName is not null)
                return (def.ArgumentName, def.YinElement);

            return ("value", false);
        }

        private static string EscapeAttribute(string value)
        {
            if (value.AsSpan().IndexOfAny("&<>\"\n\t\r") < 0) return value;
            var sb = new StringBuilder(value.Length + 16);
            foreach (var ch in value)
            {
                switch (ch)
                {
                    case '&': sb.Append("&amp;"); break;
                    case '<': sb.Append("&lt;"); break;
                    case '>': sb.Append("&gt;"); break;
                    case '"': sb.Append("&quot;"); break;
                    // Character references keep line breaks and tabs through XML attribute normalisation.
                    case '\n': sb.Append("&#10;"); break;
                    case '\t': sb.Append("&#9;"); break;
                    case '\r': sb.Append("&#13;"); break;
                    default: sb.Append(ch); break;
                }
            }
            return sb.ToString();
        }

        private static string EscapeText(string value)
        {
            if (value.AsSpan().IndexOfAny("&<>") < 0) return value;
            return value.Replace("&", "&amp;", StringComparison.Ordinal)
                .Replace("<", "&lt;", StringComparison.Ordinal)
                .Replace(">", "&gt;", StringComparison.Ordinal);
        }
    }
}
