using System.Diagnostics;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// Commands the namespace tests run on the host: `ip`, and Python in a namespace as an HTTP server or client
/// (Debian's python3; every test that needs them skips unless root).
/// </summary>
internal static class HostCommands
{
    public static void Ip(string args) => Run("ip", args);

    /// <summary>Runs a program to its end (killed after <paramref name="timeoutMs"/>); its exit code and output. Throws on failure when <paramref name="check"/>.</summary>
    public static (int Code, string Output) Run(string file, string args, bool check = true, int timeoutMs = 30_000)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        var output = stdout.Result + stderr.Result;
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{file} {args}: exit {p.ExitCode}: {output}");
        return (p.ExitCode, output);
    }

    /// <summary>Starts <c>python3 -m http.server</c> in a namespace, serving a directory on one address and port.</summary>
    public static Process HttpServer(string ns, string address, int port, string directory) =>
        Process.Start(new ProcessStartInfo("ip", $"netns exec {ns} python3 -m http.server {port} --bind {address} --directory {directory}")
            { RedirectStandardOutput = true, RedirectStandardError = true })!;

    /// <summary>Fetches a URL from a namespace (retrying while the server starts); exit code and the length of what came.</summary>
    public static (int Code, string Output) HttpGetLength(string ns, string url)
    {
        var script = $"import urllib.request,time\nfor i in range(50):\n  try:\n    print(len(urllib.request.urlopen('{url}', timeout=2).read())); break\n  except Exception as e:\n    time.sleep(0.1)\nelse:\n  raise SystemExit('no answer')";
        return Run("ip", $"netns exec {ns} python3 -c \"{script}\"", check: false);
    }
}
