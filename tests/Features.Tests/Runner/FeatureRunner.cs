using System.Reflection;
using Gherkin;
using Gherkin.Ast;

namespace Mgmt.Features.Tests.Runner;

/// <summary>One runnable scenario (an Examples row of an outline is its own scenario).</summary>
public sealed record ScenarioCase(string FeatureFile, string FeatureName, string Name, IReadOnlyList<string> Tags, IReadOnlyList<Step> Steps)
{
    public override string ToString() => $"{FeatureName}: {Name}";
}

/// <summary>Reads feature files into scenarios and runs them against step definitions.</summary>
public static class FeatureRunner
{
    public static IEnumerable<ScenarioCase> Load(string featureFile) => Load(File.ReadAllText(featureFile), featureFile);

    public static IEnumerable<ScenarioCase> Load(string text, string fileName)
    {
        var doc = new Parser().Parse(new StringReader(text));
        var feature = doc.Feature ?? throw new InvalidOperationException($"{fileName}: no Feature");
        var featureTags = feature.Tags.Select(t => t.Name.TrimStart('@')).ToList();
        return Expand(feature.Children, [], featureTags, fileName, feature.Name);
    }

    private static IEnumerable<ScenarioCase> Expand(IEnumerable<IHasLocation> children, List<Step> background, List<string> tags, string file, string featureName)
    {
        var bg = new List<Step>(background);
        foreach (var child in children)
        {
            switch (child)
            {
                case Background b:
                    bg.AddRange(b.Steps);
                    break;
                case Rule r:
                    foreach (var s in Expand(r.Children, bg, [.. tags, .. r.Tags.Select(t => t.Name.TrimStart('@'))], file, featureName)) yield return s;
                    break;
                case Scenario sc:
                    var scTags = tags.Concat(sc.Tags.Select(t => t.Name.TrimStart('@'))).ToList();
                    if (!sc.Examples.Any())
                    {
                        yield return new ScenarioCase(file, featureName, sc.Name, scTags, [.. bg, .. sc.Steps]);
                        break;
                    }
                    foreach (var ex in sc.Examples)
                    {
                        var header = ex.TableHeader.Cells.Select(c => c.Value).ToList();
                        var exTags = scTags.Concat(ex.Tags.Select(t => t.Name.TrimStart('@'))).ToList();
                        var row = 0;
                        foreach (var r in ex.TableBody)
                        {
                            row++;
                            var values = r.Cells.Select(c => c.Value).ToList();
                            string Sub(string s)
                            {
                                for (var i = 0; i < header.Count; i++) s = s.Replace("<" + header[i] + ">", values[i], StringComparison.Ordinal);
                                return s;
                            }
                            var steps = sc.Steps.Select(st => new Step(st.Location, st.Keyword, st.KeywordType, Sub(st.Text), st.DataTable,
                                st.DocString is { } d ? new DocString(d.Location, d.ContentType, Sub(d.Content), d.Delimiter) : null)).ToList();
                            yield return new ScenarioCase(file, featureName, $"{Sub(sc.Name)} (example {row})", exTags, [.. bg, .. steps]);
                        }
                    }
                    break;
            }
        }
    }

    /// <summary>Runs every step in order; an undefined step or a failing step fails the scenario.</summary>
    public static void Run(ScenarioCase scenario, StepRegistry registry)
    {
        var context = new ScenarioContext();
        var instances = new Dictionary<Type, object>();
        try
        {
            foreach (var step in scenario.Steps)
            {
                var match = registry.Match(step.Text, step)
                    ?? throw new UndefinedStepException($"{Path.GetFileName(scenario.FeatureFile)}:{step.Location.Line}: undefined step: {step.Keyword.Trim()} {step.Text}");
                var (method, args) = match;
                var type = method.DeclaringType!;
                if (!instances.TryGetValue(type, out var target))
                {
                    var ctor = type.GetConstructor([typeof(ScenarioContext)]);
                    target = ctor is not null ? ctor.Invoke([context]) : Activator.CreateInstance(type)!;
                    instances[type] = target;
                }
                try
                {
                    // A step may be async: it finishes before the next one starts.
                    if (method.Invoke(target, args) is Task task) task.GetAwaiter().GetResult();
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                }
            }
        }
        finally
        {
            foreach (var i in instances.Values)
            {
                if (i is IAsyncDisposable a) a.DisposeAsync().AsTask().GetAwaiter().GetResult();
                else (i as IDisposable)?.Dispose();
            }
            try { Directory.Delete(context.WorkDir, true); } catch (IOException) { }
        }
    }
}

public sealed class UndefinedStepException(string message) : Exception(message);
