using Mgmt.Features.Tests.Runner;

namespace Mgmt.Features.Tests;

/// <summary>The runner's own behaviour, on feature text written here.</summary>
public sealed class RunnerSelfTests
{
    private static readonly StepRegistry Registry = new(typeof(RunnerSelfTests).Assembly);

    [Fact]
    public void An_undefined_step_fails_the_scenario_naming_the_step()
    {
        var sc = FeatureRunner.Load("Feature: f\n  Scenario: s\n    Given a step nobody defined\n", "self.feature").Single();
        var e = Assert.Throws<UndefinedStepException>(() => FeatureRunner.Run(sc, Registry));
        Assert.Contains("undefined step: Given a step nobody defined", e.Message);
        Assert.Contains("self.feature:3", e.Message);
    }

    [Fact]
    public void Outlines_expand_to_one_scenario_per_example_row_with_feature_and_scenario_tags()
    {
        var text = "@feat\nFeature: f\n  Background:\n    Given the counter starts at 1\n  @outline\n  Scenario Outline: add <n>\n    When I add <n>\n    Then the counter is <sum>\n  Examples:\n    | n | sum |\n    | 2 | 3   |\n    | 5 | 6   |\n";
        var cases = FeatureRunner.Load(text, "self.feature").ToList();
        Assert.Equal(2, cases.Count);
        Assert.Equal(["feat", "outline"], cases[0].Tags);
        Assert.Equal("add 5 (example 2)", cases[1].Name);
        Assert.Equal(3, cases[1].Steps.Count);
        foreach (var c in cases) FeatureRunner.Run(c, Registry);
    }

    [Fact]
    public void A_failing_assertion_in_a_step_fails_the_scenario()
    {
        var sc = FeatureRunner.Load("Feature: f\n  Scenario: s\n    Given the counter starts at 1\n    Then the counter is 2\n", "self.feature").Single();
        Assert.ThrowsAny<Exception>(() => FeatureRunner.Run(sc, Registry));
    }

    [Fact]
    public void Doc_strings_and_data_tables_reach_the_step_and_the_context_is_shared_between_step_classes()
    {
        var text = "Feature: f\n  Scenario: s\n    Given the note:\n      \"\"\"\n      hello\n      \"\"\"\n"
            + "    And the rows:\n      | a | b |\n      | 1 | 2 |\n    Then the context holds \"hello\" and 2 rows\n";
        FeatureRunner.Run(FeatureRunner.Load(text, "self.feature").Single(), Registry);
    }

    [Theory]
    [InlineData("the value is {int}", "the value is -42", "-42")]
    [InlineData("a file named {string}", "a file named \"x y.yang\"", "x y.yang")]
    [InlineData("the {word} module", "the ietf-ip module", "ietf-ip")]
    public void Cucumber_expressions_capture_their_parameters(string pattern, string text, string captured)
    {
        var m = StepRegistry.ToRegex(pattern).Match(text);
        Assert.True(m.Success);
        Assert.Equal(captured, m.Groups.Cast<System.Text.RegularExpressions.Group>().Skip(1).First(g => g.Success).Value);
    }
}

[Binding]
public sealed class CounterSteps
{
    private int _counter;

    [Given("the counter starts at {int}")]
    public void Start(int value) => _counter = value;

    [When("I add {int}")]
    public void AddValue(int n) => _counter += n;

    [Then("the counter is {int}")]
    public void Check(int expected) => Assert.Equal(expected, _counter);
}

[Binding]
public sealed class ArgumentSteps(ScenarioContext ctx)
{
    [Given("the note:")]
    public void Note(string text) => ctx.Set("note", text);

    [Given("the rows:")]
    public void Rows(Gherkin.Ast.DataTable table) => ctx.Set("rows", table.Rows.Count());
}

[Binding]
public sealed class ContextCheckSteps(ScenarioContext ctx)
{
    [Then("the context holds {string} and {int} rows")]
    public void Holds(string note, int rows)
    {
        Assert.Equal(note, ctx.Get<string>("note"));
        Assert.Equal(rows, ctx.Get<int>("rows"));
    }
}
