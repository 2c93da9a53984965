using Mgmt.Features.Tests.Runner;

namespace Mgmt.Features.Tests;

/// <summary>Every scenario of features/*.feature as one xunit case, tagged with its Category traits.</summary>
public sealed class FeatureTests
{
    internal static readonly string RepoRoot = Mgmt.Tests.Shared.RepoPaths.Root;

    private static readonly StepRegistry Registry = new(typeof(FeatureTests).Assembly);

    private static readonly Dictionary<string, ScenarioCase> Cases = [];

    public static IEnumerable<ITheoryDataRow> Scenarios()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoRoot, "features"), "*.feature").Order())
        {
            foreach (var sc in FeatureRunner.Load(file))
            {
                var id = $"{Path.GetFileName(file)}: {sc.Name}";
                lock (Cases) Cases[id] = sc;
                var row = new TheoryDataRow<string>(id) { TestDisplayName = sc.ToString() };
                foreach (var t in sc.Tags) row.WithTrait("Category", t);
                yield return row;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario(string id)
    {
        ScenarioCase sc;
        lock (Cases)
        {
            if (!Cases.ContainsKey(id)) foreach (var _ in Scenarios()) { }
            sc = Cases[id];
        }
        FeatureRunner.Run(sc, Registry);
    }
}
