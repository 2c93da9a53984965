using BenchmarkDotNet.Attributes;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Yang.Bench;

/// <summary>Parse + validate of the 10k-entry config documents written by bench/yang/gen-data.py.</summary>
[MemoryDiagnoser]
public class DataBenchmarks
{
    private static readonly DataParseOptions Config = new(DataContent.Config);
    private static readonly ValidationOptions ConfigOnly = new(ConfigOnly: true);

    private SchemaContext _schema = null!;
    private string _xml = "";
    private string _json = "";

    [Params("interfaces", "acl", "routes")]
    public string Kind { get; set; } = "interfaces";

    [GlobalSetup]
    public void Setup()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mgmt-bench-data");
        if (!File.Exists(Path.Combine(dir, $"{Kind}-10000.xml")))
        {
            using var gen = System.Diagnostics.Process.Start("python3", [Path.Combine(Paths.RepoRoot, "bench", "yang", "gen-data.py"), dir, "10000"]);
            gen.WaitForExit();
        }
        _xml = File.ReadAllText(Path.Combine(dir, $"{Kind}-10000.xml"));
        _json = File.ReadAllText(Path.Combine(dir, $"{Kind}-10000.json"));
        _schema = SchemaContextBuilder.FromDirectory(Path.Combine(Paths.RepoRoot, "yang"));
    }

    [Benchmark]
    public int Xml10k() => Check(XmlDataReader.Parse(_schema, _xml, Config));

    [Benchmark]
    public int Json10k() => Check(JsonDataReader.Parse(_schema, _json, Config));

    private static int Check(DataRoot tree)
    {
        var errors = DataValidator.Validate(tree, ConfigOnly);
        return errors.Count == 0 ? 0 : throw new InvalidOperationException(errors[0].ToString());
    }
}
