namespace Mgmt.Yang.Bench;

/// <summary>Where the benchmark inputs live: the repo (found from the current directory) and the shared corpus.</summary>
internal static class Paths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Corpus { get; } = Environment.GetEnvironmentVariable("MGMT_YANG_CORPUS")
        ?? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "yang-corpus"));

    /// <summary>The corpus modules libyang accepts, in import order (bench/yang/corpus-modules.txt).</summary>
    public static string[] CorpusModules() =>
        [.. File.ReadAllLines(Path.Combine(RepoRoot, "bench", "yang", "corpus-modules.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => Path.Combine(Corpus, l))];

    private static string FindRoot()
    {
        var baked = typeof(Paths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        var dir = new DirectoryInfo(Environment.GetEnvironmentVariable("MGMT_REPO") ?? baked ?? Directory.GetCurrentDirectory());
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mgmt.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("run from inside the Mgmt checkout or set MGMT_REPO");
    }
}
