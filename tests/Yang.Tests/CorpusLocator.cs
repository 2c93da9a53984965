namespace Mgmt.Yang.Tests;

/// <summary>Finds the shared corpus of published YANG modules (<c>../shared/yang-corpus</c> beside the repository).</summary>
internal static class CorpusLocator
{
    private static readonly Lazy<string> Dir = new(Find);

    public static string Directory => Dir.Value;

    /// <summary>The repository root (the folder holding Mgmt.sln).</summary>
    public static string RepoRoot { get; } = Mgmt.Tests.Shared.RepoPaths.Root;

    private static string Find()
    {
        var env = Environment.GetEnvironmentVariable("MGMT_YANG_CORPUS");
        if (!string.IsNullOrEmpty(env)) return env;
        var candidate = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "yang-corpus"));
        if (File.Exists(Path.Combine(candidate, "MANIFEST.tsv"))) return candidate;
        throw new InvalidOperationException("the YANG corpus was not found at " + candidate);
    }

    /// <summary>The MANIFEST.tsv rows: file, kind, note.</summary>
    public static IEnumerable<(string File, string Kind, string Note)> Manifest()
    {
        foreach (var line in File.ReadLines(Path.Combine(Directory, "MANIFEST.tsv")).Skip(1))
        {
            var cols = line.Split('\t');
            if (cols.Length < 2) continue;
            yield return (cols[0], cols[1], cols.Length > 5 ? cols[5] : "");
        }
    }
}
