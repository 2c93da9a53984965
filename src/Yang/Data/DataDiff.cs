using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Data;

public enum DiffKind { Created, Deleted, Modified, Moved }

/// <summary>One difference between two trees; <see cref="Before"/>/<see cref="After"/> are the nodes on each side.</summary>
public sealed record DataChange(DiffKind Kind, string Path, DataNode? Before, DataNode? After)
{
    /// <summary>The parent the node was in (a deleted node is detached by the time anyone looks).</summary>
    public DataInner? Parent { get; init; }

    public override string ToString() => Kind switch
    {
        DiffKind.Modified => $"~ {Path}: {(Before as DataLeaf)?.Value} -> {(After as DataLeaf)?.Value}",
        DiffKind.Created => "+ " + Path,
        DiffKind.Deleted => "- " + Path,
        _ => "> " + Path,
    };
}

/// <summary>
/// The difference of two data trees, linear in their size: list entries are matched by key, leaf-list
/// entries by value, everything else by schema node. A created or deleted subtree is one change.
/// </summary>
public static class DataDiff
{
    public static IReadOnlyList<DataChange> Compute(DataInner before, DataInner after)
    {
        var changes = new List<DataChange>();
        Compare(before, after, changes);
        return changes;
    }

    private static void Compare(DataInner before, DataInner after, List<DataChange> changes)
    {
        foreach (var b in before.Children)
        {
            var a = Match(after, b);
            if (a is null)
            {
                changes.Add(new DataChange(DiffKind.Deleted, b.Path, b, null));
                continue;
            }
            switch (b)
            {
                case DataLeaf bl when a is DataLeaf al && b.Schema.Kind == SchemaNodeKind.Leaf && bl.Value != al.Value:
                    changes.Add(new DataChange(DiffKind.Modified, a.Path, b, a));
                    break;
                case DataAny ba when a is DataAny aa && ba.Value != aa.Value:
                    changes.Add(new DataChange(DiffKind.Modified, a.Path, b, a));
                    break;
                case DataInner bi when a is DataInner ai:
                    Compare(bi, ai, changes);
                    break;
            }
        }
        foreach (var a in after.Children)
            if (Match(before, a) is null) changes.Add(new DataChange(DiffKind.Created, a.Path, null, a));
        DetectMoves(before, after, changes);
    }

    private static DataNode? Match(DataInner other, DataNode n) => n switch
    {
        DataInner e when n.Schema is ListSchema { Keys.Length: > 0 } ls => other.FindListEntry(ls, e.KeyValues()!),
        DataLeaf l when n.Schema is LeafListSchema lls => other.FindLeafListEntry(lls, l.Value),
        _ when n.Schema is ListSchema => null,
        _ => other.Find(n.Schema),
    };

    /// <summary>In ordered-by user lists and leaf-lists, entries present on both sides whose relative order changed are moved.</summary>
    private static void DetectMoves(DataInner before, DataInner after, List<DataChange> changes)
    {
        var seen = new HashSet<SchemaNode>(ReferenceEqualityComparer.Instance);
        foreach (var a in after.Children)
        {
            if (a.Schema is not (ListSchema { OrderedByUser: true } or LeafListSchema { OrderedByUser: true }) || !seen.Add(a.Schema)) continue;
            var beforeOrder = new Dictionary<DataNode, int>(ReferenceEqualityComparer.Instance);
            var i = 0;
            foreach (var b in before.FindAll(a.Schema)) beforeOrder[b] = i++;
            var last = -1;
            foreach (var entry in after.FindAll(a.Schema))
            {
                var b = Match(before, entry);
                if (b is null) continue;
                var pos = beforeOrder[b];
                if (pos < last) changes.Add(new DataChange(DiffKind.Moved, entry.Path, b, entry));
                else last = pos;
            }
        }
    }
}
