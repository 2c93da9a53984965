using Mgmt.Datastore.History;
using Mgmt.Yang;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;

namespace Mgmt.Cli;

/// <summary>
/// <c>mgmt config history</c> lists the commits to running kept in the state dir; <c>mgmt config diff A [B]</c>
/// shows what changed from commit A to commit B (default: the newest). The rollback itself is an rpc
/// (mgmt-commits:rollback) so that it goes through access control like any write.
/// </summary>
internal static class ConfigCommands
{
    public static int Run(string[] args, CliIo io)
    {
        if (args.Length == 0) throw new UsageException("config: expected history or diff");
        var a = new Args(args[1..], ["--state-dir", "--yang-dir"], []);
        var history = new CommitHistory(a.One("--state-dir") ?? "./var");
        switch (args[0])
        {
            case "history":
                if (a.Positionals.Count > 0) throw new UsageException("usage: mgmt config history [--state-dir DIR]");
                foreach (var r in history.List())
                    io.Out.WriteLine($"{r.Id}\t{r.Time:yyyy-MM-ddTHH:mm:ssZ}\t{r.User}\t{r.Northbound}\t{r.Changes} change(s)\t{r.Comment}");
                return 0;
            case "diff":
                return Diff(a, history, io);
            default:
                throw new UsageException($"config: unknown command {args[0]}");
        }
    }

    private static int Diff(Args a, CommitHistory history, CliIo io)
    {
        if (a.Positionals.Count is < 1 or > 2) throw new UsageException("usage: mgmt config diff FROM-ID [TO-ID] [--state-dir DIR] [--yang-dir DIR]");
        var ids = a.Positionals.Select(p => long.TryParse(p, out var id) ? id : throw new UsageException($"not a commit id: {p}")).ToList();
        if (ids.Count == 1) ids.Add(history.List().LastOrDefault()?.Id ?? 0);
        var yangDir = a.One("--yang-dir") ?? Path.Combine(AppContext.BaseDirectory, "yang");
        try
        {
            var schema = SchemaContextBuilder.FromDirectory(yangDir);
            var configs = ids.Select(id => history.Configuration(id, schema)).ToList();
            for (var i = 0; i < 2; i++)
            {
                if (configs[i] is null)
                {
                    io.Error.WriteLine($"mgmt: commit {ids[i]} is not in the history");
                    return 1;
                }
            }
            var (from, to) = (configs[0]!, configs[1]!);
            foreach (var change in DataDiff.Compute(from, to)) io.Out.WriteLine(Describe(change));
            return 0;
        }
        catch (Exception e) when (e is YangException or InvalidDataException or IOException)
        {
            io.Error.WriteLine("mgmt: " + e.Message);
            return 1;
        }
    }

    private static string Describe(DataChange c) => c.Kind switch
    {
        DiffKind.Modified when c.Before is DataLeaf b && c.After is DataLeaf n => $"~ {c.Path}: {b.Value} -> {n.Value}",
        DiffKind.Created => $"+ {c.Path}",
        DiffKind.Deleted => $"- {c.Path}",
        _ => $"~ {c.Path}",
    };
}
