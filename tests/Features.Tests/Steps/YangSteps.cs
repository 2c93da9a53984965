using Mgmt.Features.Tests.Runner;
using Mgmt.Yang;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Features.Tests.Steps;

[Binding]
public sealed class YangSteps(ScenarioContext ctx)
{
    private static readonly Lazy<SchemaContext> Served = new(() => SchemaContextBuilder.FromDirectory(Path.Combine(FeatureTests.RepoRoot, "yang")));

    private readonly SchemaContextBuilder _builder = new();
    private SchemaContext? _schema;
    private YangException? _error;
    private DataRoot? _tree;
    private DataException? _dataError;
    private string? _json;

    [Given("the search path {string}")]
    public void SearchPath(string dir) => _builder.AddSearchPath(Path.Combine(FeatureTests.RepoRoot, dir));

    [Given("a module file {string} with:")]
    public void ModuleFile(string name, string content) => File.WriteAllText(Path.Combine(ctx.WorkDir, name), content);

    [When("I compile the module file {string}")]
    public void Compile(string file) => CompileAt(Path.Combine(FeatureTests.RepoRoot, file));

    [When("I compile the module file {string} from the work dir")]
    public void CompileFromWorkDir(string file) => CompileAt(Path.Combine(ctx.WorkDir, file));

    private void CompileAt(string path)
    {
        try
        {
            _builder.LoadFile(path);
            _schema = _builder.Build();
        }
        catch (YangException e)
        {
            _error = e;
        }
    }

    [Then("compilation succeeds")]
    public void Succeeds() => Assert.True(_error is null, _error?.ToString());

    [Then("compilation fails at line {int} with {string}")]
    public void FailsAt(int line, string message)
    {
        Assert.NotNull(_error);
        Assert.Contains(_error!.Diagnostics, d => d.Location.Line == line && d.Message.Contains(message, StringComparison.Ordinal)
            && d.ToString().StartsWith(d.Location.File + ":" + line + ":", StringComparison.Ordinal));
    }

    [Then("the schema has the data node {string}")]
    public void HasNode(string path)
    {
        SchemaNode node = _schema!.Root;
        YangModule? module = null;
        foreach (var step in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = step.IndexOf(':');
            if (colon >= 0) module = _schema.GetModule(step[..colon]);
            var name = colon >= 0 ? step[(colon + 1)..] : step;
            node = node.FindDataChild(module!, name) ?? throw new Xunit.Sdk.XunitException($"no {step} under {node.Path}");
        }
        Assert.Equal(path, node.Path);
    }

    [Given("the served modules")]
    public void ServedModules() => _schema = Served.Value;

    [When("I read the XML config:")]
    public void ReadXml(string doc) => Read(() => XmlDataReader.Parse(_schema!, doc, new DataParseOptions(DataContent.Config)));

    [When("I read the JSON config:")]
    public void ReadJson(string doc) => Read(() => JsonDataReader.Parse(_schema!, doc, new DataParseOptions(DataContent.Config)));

    private void Read(Func<DataRoot> parse)
    {
        try
        {
            _tree = parse();
        }
        catch (DataException e)
        {
            _dataError = e;
        }
    }

    [Then("the document is valid")]
    public void Valid()
    {
        Assert.Null(_dataError);
        Assert.Empty(DataValidator.Validate(_tree!, new ValidationOptions(ConfigOnly: true)));
    }

    [Then("the document is rejected at {string}")]
    public void RejectedAt(string path)
    {
        Assert.NotNull(_dataError);
        Assert.Equal(path, _dataError!.Errors[0].Path);
    }

    [Then("validation reports {string} at {string}")]
    public void ValidationReports(string appTag, string path)
    {
        Assert.Null(_dataError);
        var errors = DataValidator.Validate(_tree!, new ValidationOptions(ConfigOnly: true));
        Assert.Contains(errors, e => e.AppTag == appTag && e.Path == path);
    }

    [When("I convert it to JSON")]
    public void ToJson() => _json = JsonDataWriter.ToString(_tree!);

    [Then("the JSON contains {string}")]
    public void JsonContains(string text) => Assert.Contains(text, _json);

    [Then("converting the JSON back gives the same XML")]
    public void Back()
    {
        var again = JsonDataReader.Parse(_schema!, _json!, new DataParseOptions(DataContent.Config));
        Assert.Equal(XmlDataWriter.ToString(_tree!), XmlDataWriter.ToString(again));
    }
}
