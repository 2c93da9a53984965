using System.Text;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Printing;

/// <summary>Writes the sections of one module's tree diagram (RFC 8340 §2).</summary>
internal sealed class TreeDiagramWriter(YangModule module, TextWriter w, int lineLength)
{
    /// <summary>Spaces between the longest aligned name and the type column.</summary>
    private const int TypeGap = 4;

    /// <summary>Continuation lines start this many columns right of the node's status character.</summary>
    private const int ContinuationIndent = 8;

    private readonly StringBuilder _line = new();

    public void Write()
    {
        w.Write("module: ");
        w.Write(module.Name);
        w.Write('\n');

        var data = new List<SchemaNode>();
        var rpcs = new List<SchemaNode>();
        var notifications = new List<SchemaNode>();
        foreach (var n in module.TopLevel)
        {
            switch (n.Kind)
            {
                case SchemaNodeKind.Rpc:
                    rpcs.Add(n);
                    break;
                case SchemaNodeKind.Notification:
                    notifications.Add(n);
                    break;
                default:
                    data.Add(n);
                    break;
            }
        }

        WriteCompiled(data, "  ");

        var first = true;
        foreach (var augment in AugmentsOfOtherModules())
        {
            if (first) w.Write('\n');
            first = false;
            WriteAugmentHeader(augment.Argument!);
            WriteParsed(ParsedTreeLines.Children(augment), "    ", parentIsChoice: false);
        }

        if (rpcs.Count > 0)
        {
            w.Write("\n  rpcs:\n");
            WriteCompiled(rpcs, "    ");
        }

        if (notifications.Count > 0)
        {
            w.Write("\n  notifications:\n");
            WriteCompiled(notifications, "    ");
        }
    }

    /// <summary>
    /// The module's own top-level augments whose target is in another module (augments of its own nodes
    /// show in place). Like yanglint, augments written in submodules are not drawn here.
    /// </summary>
    private IEnumerable<Statement> AugmentsOfOtherModules()
    {
        var stmt = module.Statement!;
        var own = stmt.ArgOf("prefix") ?? module.Prefix;
        foreach (var a in stmt.FindAll("augment"))
        {
            if (a.Argument is not { } path) continue;
            var firstStep = path.AsSpan().TrimStart().TrimStart('/');
            var slash = firstStep.IndexOf('/');
            if (slash >= 0) firstStep = firstStep[..slash];
            var colon = firstStep.IndexOf(':');
            if (colon < 0 || firstStep[..colon].Trim().SequenceEqual(own)) continue;
            yield return a;
        }
    }

    private void WriteAugmentHeader(string path)
    {
        const string lead = "  augment ";
        if (lead.Length + path.Length + 1 <= lineLength)
        {
            w.Write(lead);
            w.Write(path);
            w.Write(":\n");
            return;
        }

        // Too long: break before a '/' and continue two columns right of "augment".
        var indent = new string(' ', lead.Length + 2);
        var start = 0;
        var first = true;
        while (start < path.Length)
        {
            var room = lineLength - (first ? lead.Length : indent.Length);
            var end = path.Length;
            if (end - start + 1 > room)
            {
                var cut = path.LastIndexOf('/', Math.Min(path.Length - 1, start + room));
                if (cut > start) end = cut;
                else if (path.IndexOf('/', start + 1) is var next and > 0) end = next;
            }
            w.Write(first ? lead : indent);
            w.Write(path.AsSpan(start, end - start));
            if (end == path.Length) w.Write(':');
            w.Write('\n');
            start = end;
            first = false;
        }
    }

    private void WriteCompiled(IReadOnlyList<SchemaNode> nodes, string indent)
    {
        if (nodes.Count == 0) return;
        var lines = new TreeNodeLine[nodes.Count];
        for (var i = 0; i < nodes.Count; i++) lines[i] = CompiledTreeLines.For(nodes[i], module);
        var longest = Longest(lines);

        for (var i = 0; i < lines.Length; i++)
        {
            var hasNext = i < lines.Length - 1;
            WriteNode(lines[i], indent, hasNext, longest);
            var children = CompiledTreeLines.Children(nodes[i]);
            if (children.Count > 0) WriteCompiled(children, indent + (hasNext ? "|  " : "   "));
        }
    }

    private void WriteParsed(IReadOnlyList<Statement> stmts, string indent, bool parentIsChoice)
    {
        if (stmts.Count == 0) return;
        var lines = new TreeNodeLine[stmts.Count];
        var longest = 0;
        var shorthandLongest = 0;
        for (var i = 0; i < stmts.Count; i++)
        {
            var shorthand = parentIsChoice && stmts[i].Keyword != "case";
            lines[i] = shorthand ? ParsedTreeLines.ImplicitCase(stmts[i]) : ParsedTreeLines.For(stmts[i]);
            if (!lines[i].TakesPartInAlignment) continue;
            longest = Math.Max(longest, lines[i].AlignLength);

            // A shorthand node is aligned with the choice's other direct children by its own name.
            shorthandLongest = Math.Max(shorthandLongest, shorthand ? lines[i].AlignLength - 2 : lines[i].AlignLength);
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var s = stmts[i];
            var hasNext = i < lines.Length - 1;
            var childIndent = indent + (hasNext ? "|  " : "   ");
            WriteNode(lines[i], indent, hasNext, longest);
            if (parentIsChoice && s.Keyword != "case")
            {
                // yanglint draws the shorthand node under its implicit case and continues the case's
                // vertical line through the node's own children.
                var node = ParsedTreeLines.For(s);
                var nodeChildren = ParsedTreeLines.Children(s);
                WriteNode(node, childIndent, hasNext, shorthandLongest);
                WriteParsed(nodeChildren, childIndent + (hasNext ? "|  " : "   "), s.Keyword == "choice");
                continue;
            }
            WriteParsed(ParsedTreeLines.Children(s), childIndent, s.Keyword == "choice");
        }
    }

    private static int Longest(TreeNodeLine[] lines)
    {
        var longest = 0;
        foreach (var l in lines)
            if (l.TakesPartInAlignment && l.AlignLength > longest) longest = l.AlignLength;
        return longest;
    }

    private void WriteNode(TreeNodeLine line, string indent, bool hasNext, int longest)
    {
        var sb = _line.Clear();
        sb.Append(indent).Append(line.Head);
        var afterHead = sb.Length;

        // What follows the name: the aligned type, or the keys after one space.
        string? body = null;
        var gap = 1;
        if (line.Type is not null)
        {
            body = line.Type;
            gap = Math.Max(1, longest + TypeGap - line.AlignLength - line.Opts.Length);
        }
        else if (line.Keys is not null)
        {
            body = line.Keys;
        }

        // Continuation lines start two columns right of where the name starts (one more for a case).
        var continuation = indent + (hasNext ? "|" : " ") + new string(' ', ContinuationIndent - (line.IsCase ? 0 : 1));
        if (body is not null)
        {
            if (afterHead + gap + body.Length <= lineLength)
            {
                sb.Append(' ', gap).Append(body);
            }
            else if (IsLeafref(body) && continuation.Length + body.Length - LeafrefArrow.Length > lineLength + 1)
            {
                // A leafref path too long even for a line of its own is shown as the bare type name.
                if (afterHead + gap + LeafrefName.Length <= lineLength)
                {
                    sb.Append(' ', gap).Append(LeafrefName);
                }
                else
                {
                    EndLine(sb);
                    sb.Append(continuation).Append(LeafrefName);
                }
            }
            else
            {
                EndLine(sb);
                sb.Append(continuation).Append(body);
            }
        }

        if (line.Features is not null)
        {
            if (sb.Length + 1 + line.Features.Length > lineLength)
            {
                // yanglint repeats a list's keys in front of if-features moved to their own line.
                EndLine(sb);
                sb.Append(continuation).Append(line.Keys).Append(line.Features);
            }
            else
            {
                sb.Append(' ').Append(line.Features);
            }
        }
        EndLine(sb);
    }

    private const string LeafrefArrow = "-> ";
    private const string LeafrefName = "leafref";

    private static bool IsLeafref(string type) => type.StartsWith(LeafrefArrow, StringComparison.Ordinal);

    private void EndLine(StringBuilder sb)
    {
        sb.Append('\n');
        foreach (var chunk in sb.GetChunks()) w.Write(chunk.Span);
        sb.Clear();
    }
}
