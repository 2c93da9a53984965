using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Gherkin.Ast;

namespace Mgmt.Features.Tests.Runner;

/// <summary>All step definitions of an assembly, matched against step text.</summary>
public sealed partial class StepRegistry
{
    private readonly List<(Regex Regex, MethodInfo Method, string Pattern)> _steps = [];

    public StepRegistry(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetCustomAttribute<BindingAttribute>() is null) continue;
            foreach (var m in type.GetMethods(BindingFlags.Public | BindingFlags.Instance))
                foreach (var a in m.GetCustomAttributes<StepAttribute>())
                    _steps.Add((ToRegex(a.Pattern), m, a.Pattern));
        }
    }

    public int Count => _steps.Count;

    [GeneratedRegex(@"\{(int|float|word|string|)\}")]
    private static partial Regex CucumberParameter();

    /// <summary>Cucumber expressions become regexes; a pattern starting with ^ is taken as a regex.</summary>
    public static Regex ToRegex(string pattern)
    {
        if (pattern.StartsWith('^')) return new Regex(pattern.EndsWith('$') ? pattern : pattern + "$", RegexOptions.CultureInvariant);
        var escaped = Regex.Escape(pattern).Replace(@"\{", "{").Replace(@"\}", "}");
        var body = CucumberParameter().Replace(escaped, m => m.Groups[1].Value switch
        {
            "int" => @"(-?\d+)",
            "float" => @"(-?\d+(?:\.\d+)?)",
            "word" => @"(\S+)",
            "string" => "(?:\"([^\"]*)\"|'([^']*)')",
            _ => "(.*)",
        });
        return new Regex("^" + body + "$", RegexOptions.CultureInvariant);
    }

    /// <summary>Finds the one definition matching <paramref name="text"/>; null when none (an undefined step).</summary>
    public (MethodInfo Method, object?[] Args)? Match(string text, Step step)
    {
        (MethodInfo Method, object?[] Args)? found = null;
        foreach (var (regex, method, pattern) in _steps)
        {
            var m = regex.Match(text);
            if (!m.Success) continue;
            if (found is not null) throw new InvalidOperationException($"step \"{text}\" matches more than one definition (also \"{pattern}\")");
            var captures = m.Groups.Cast<Group>().Skip(1).Where(g => g.Success).Select(g => g.Value).ToList();
            found = (method, BindArguments(method, captures, step));
        }
        return found;
    }

    private static object?[] BindArguments(MethodInfo method, List<string> captures, Step step)
    {
        var ps = method.GetParameters();
        var args = new object?[ps.Length];
        var ci = 0;
        for (var i = 0; i < ps.Length; i++)
        {
            var t = ps[i].ParameterType;
            if (t == typeof(DataTable)) args[i] = step.DataTable;
            else if (t == typeof(DocString) || (t == typeof(string) && ci >= captures.Count && step.DocString is not null))
                args[i] = t == typeof(string) ? step.DocString!.Content : step.DocString;
            else
            {
                if (ci >= captures.Count) throw new InvalidOperationException($"step method {method.Name} needs more arguments than the step gives");
                args[i] = Convert.ChangeType(captures[ci++], t, CultureInfo.InvariantCulture);
            }
        }
        return args;
    }
}
