using BenchmarkDotNet.Attributes;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Bench;

/// <summary>In-process compile of the corpus modules libyang accepts (compare: bench/libyang/ref compile).</summary>
[MemoryDiagnoser]
public class CorpusBenchmarks
{
    private string[] _modules = [];

    [GlobalSetup]
    public void Setup() => _modules = Paths.CorpusModules();

    [Benchmark]
    public SchemaContext CompileCorpus()
    {
        var builder = new SchemaContextBuilder().AddSearchPath(Paths.Corpus);
        foreach (var file in _modules) builder.LoadFile(file);
        return builder.Build();
    }
}
