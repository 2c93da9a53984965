using System.Text;
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

        WriteSiblings(data, "  ");

        var augments = AugmentSections.Find(module);
        for (var i = 0; i < augments.Count; i++)
        {
            if (i == 0) w.Write('\n');
            WriteAugmentHeader(augments[i].TargetPath);
            WriteSiblings(augments[i].Nodes, "    ");
        }

        if (rpcs.Count > 0)
        {
            w.Write("\n  rpcs:\n");
            WriteSiblings(rpcs, "    ");
        }

        if (notifications.Count > 0)
        {
            w.Write("\n  notifications:\n");
            WriteSiblings(notifications, "    ");
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

        // Too long: break before a '/' and continue under the path's first character.
        var indent = new string(' ', lead.Length + 2);
        var start = 0;
        var first = true;
        while (start < path.Length)
        {
            var room = lineLength - (first ? lead.Length : indent.Length);
            var end = path.Length;
            if (end - start + 1 > room)
            {
                var cut = path.LastIndexOf('/', Math.Min(path.Length - 1, start + room - 1));
                end = cut > start ? cut : path.IndexOf('/', start + 1) is var next && next > 0 ? next : path.Length;
            }
            w.Write(first ? lead : indent);
            w.Write(path.AsSpan(start, end - start));
            if (end == path.Length) w.Write(':');
            w.Write('\n');
            start = end;
            first = false;
        }
    }

    /// <summary>The nodes a diagram shows under <paramref name="parent"/>: its children, and for an rpc/action only a non-empty input/output.</summary>
    private static List<SchemaNode> VisibleChildren(SchemaNode parent)
    {
        var list = new List<SchemaNode>(parent.Children.Count);
        foreach (var c in parent.Children)
        {
            if (c.Kind is SchemaNodeKind.Input or SchemaNodeKind.Output && c.Children.Count == 0) continue;
            list.Add(c);
        }
        if (parent is OperationSchema op && list.Count == 0)
        {
            // Operations built without the io nodes as children still show their input and output.
            if (op.Input is { Children.Count: > 0 }) list.Add(op.Input);
            if (op.Output is { Children.Count: > 0 }) list.Add(op.Output);
        }
        return list;
    }

    private void WriteSiblings(IReadOnlyList<SchemaNode> nodes, string indent)
    {
        if (nodes.Count == 0) return;
        var lines = new TreeNodeLine[nodes.Count];
        var longest = 0;
        for (var i = 0; i < nodes.Count; i++)
        {
            lines[i] = TreeNodeLine.For(nodes[i], module);
            if (lines[i].TakesPartInAlignment && lines[i].AlignLength > longest) longest = lines[i].AlignLength;
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var hasNext = i < lines.Length - 1;
            WriteNode(lines[i], indent, hasNext, longest);
            var children = VisibleChildren(nodes[i]);
            if (children.Count > 0) WriteSiblings(children, indent + (hasNext ? "|  " : "   "));
        }
    }

    private void WriteNode(TreeNodeLine line, string indent, bool hasNext, int longest)
    {
        var sb = _line.Clear();
        sb.Append(indent).Append(line.Head);
        var afterHead = sb.Length;

        // The part that follows the name: the aligned type, or the keys after one space.
        string? body = null;
        var gap = 1;
        if (line.Type is not null)
        {
            body = line.Type;
            gap = longest + TypeGap - line.AlignLength - line.Opts.Length;
        }
        else if (line.Keys is not null)
        {
            body = line.Keys;
        }

        var continuation = indent + (hasNext ? "|" : " ") + new string(' ', ContinuationIndent - 1);
        if (body is not null)
        {
            if (afterHead + gap + body.Length <= lineLength)
            {
                sb.Append(' ', gap).Append(body);
            }
            else
            {
                EndLine(sb);
                sb.Append(continuation).Append(body);
            }
        }

        if (line.Features is not null)
        {
            if (sb.Length + 1 + line.Features.Length > lineLength && sb.Length > continuation.Length)
            {
                EndLine(sb);
                sb.Append(continuation).Append(line.Features);
            }
            else
            {
                sb.Append(' ').Append(line.Features);
            }
        }
        EndLine(sb);
    }

    private void EndLine(StringBuilder sb)
    {
        sb.Append('\n');
        foreach (var chunk in sb.GetChunks()) w.Write(chunk.Span);
        sb.Clear();
    }
}
