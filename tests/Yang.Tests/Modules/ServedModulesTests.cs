using System.Diagnostics;
using Mgmt.Yang.Compilation;

namespace Mgmt.Yang.Tests.Modules;

/// <summary>The modules in yang/ are our own text but schema-identical to the published ones.</summary>
public sealed class ServedModulesTests
{
    [Fact]
    public void Every_served_module_is_schema_identical_to_the_published_module_per_yanglint()
    {
        var psi = new ProcessStartInfo("bash", $"\"{Path.Combine(CorpusLocator.RepoRoot, "yang", "check-identical.sh")}\" \"{CorpusLocator.Directory}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(300_000), "check-identical.sh did not finish");
        Assert.True(p.ExitCode == 0, output);
        Assert.Contains("0 different", output);
    }

    [Fact]
    public void The_served_modules_compile_as_the_daemon_loads_them()
    {
        var ctx = SchemaContextBuilder.FromDirectory(Path.Combine(CorpusLocator.RepoRoot, "yang"));
        foreach (var name in new[] { "ietf-interfaces", "ietf-ip", "ietf-routing", "ietf-access-control-list", "ietf-nat" })
            Assert.True(ctx.GetModule(name)?.Implemented, name);
        Assert.Contains(ctx.GetModule("ietf-ipv6-unicast-routing")!.Submodules, s => s.Name == "ietf-ipv6-router-advertisements");
    }
}
