using System.Diagnostics;

namespace Mgmt.Dataplane.Tests;

/// <summary>Runs one of the scapy scripts in Golden/ with Debian's python3 (which has scapy); returns its exit code and output.</summary>
internal static class GoldenScript
{
    public static (int Code, string Output) Run(string script, string args)
    {
        var path = Path.Combine(Mgmt.Tests.Shared.RepoPaths.Root, "tests", "Dataplane.Tests", "Golden", script);
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", $"{path} {args}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, output.Result + error.Result);
    }
}
