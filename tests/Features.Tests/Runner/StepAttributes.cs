namespace Mgmt.Features.Tests.Runner;

/// <summary>Binds a method to step text: a regular expression (anchored) or a cucumber expression with {int}, {string}, {word}, {float}.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public abstract class StepAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;
}

public sealed class GivenAttribute(string pattern) : StepAttribute(pattern);

public sealed class WhenAttribute(string pattern) : StepAttribute(pattern);

public sealed class ThenAttribute(string pattern) : StepAttribute(pattern);

/// <summary>Marks a class whose methods are step definitions; one instance per scenario, sharing a <see cref="ScenarioContext"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class BindingAttribute : Attribute;

/// <summary>State shared by the step classes of one scenario.</summary>
public sealed class ScenarioContext
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    public T Get<T>(string key) => _values.TryGetValue(key, out var v) ? (T)v! : throw new KeyNotFoundException($"no \"{key}\" in the scenario context");

    public void Set<T>(string key, T value) => _values[key] = value;

    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>A temp directory for this scenario, deleted when it ends.</summary>
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("feature-").FullName;
}
