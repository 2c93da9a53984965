using System.Diagnostics;

using static Mgmt.Dataplane.Tests.HostCommands;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// Network namespaces for the load balancer's tests with real servers: R, where the dataplane owns one end of each
/// veth pair, a client namespace C and three server namespaces S[0..2], each with "eth0" on its link and a default
/// route through the dataplane; the servers' processes and their files, removed with the namespaces. Needs root.
/// </summary>
public abstract class LbNamespaceFixture : IDisposable
{
    protected LbNamespaceFixture(string prefix)
    {
        Assert.SkipUnless(Environment.UserName == "root" && (File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip")), "needs root and iproute2 (network namespaces)");
        _prefix = prefix;
        R = $"{prefix}-r-{Tag}";
        C = $"{prefix}-c-{Tag}";
        S = [.. Enumerable.Range(1, 3).Select(n => $"{prefix}-s{n}-{Tag}")];
        Cleanup();
        Ip($"netns add {R}");
    }

    private readonly string _prefix;

    protected string Tag { get; } = $"{Environment.ProcessId % 100000}";

    protected string R { get; }

    protected string C { get; }

    protected string[] S { get; }

    protected string Root { get; } = Directory.CreateTempSubdirectory("lb-servers-").FullName;

    protected Dataplane Dp { get; } = new();

    protected List<Process> ServerProcesses { get; } = [];

    /// <summary>
    /// A namespace with "eth0" at <paramref name="address"/> (with its prefix length; IPv6 without duplicate address
    /// detection) and a default route via <paramref name="gateway"/> (the dataplane), joined to R's "<paramref name="name"/>".
    /// </summary>
    protected void Link(string ns, string name, string address, string gateway)
    {
        Ip($"netns add {ns}");
        var temporary = $"{_prefix}{name}{Tag}"; // in the root namespace for a moment: unique among the test classes
        Ip($"link add {temporary} type veth peer name eth0 netns {ns}");
        Ip($"link set {temporary} netns {R}");
        Ip($"-n {R} link set {temporary} name {name}");
        Run("ip", $"netns exec {R} sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
        Ip($"-n {R} link set {name} up");
        var v6 = address.Contains(':');
        Ip($"-n {ns} addr add {address} dev eth0{(v6 ? " nodad" : "")}");
        Ip($"-n {ns} link set eth0 up");
        Ip($"-n {ns} link set lo up");
        Ip($"-n {ns} {(v6 ? "-6 " : "")}route add default via {gateway}");
    }

    /// <summary>Fetches a URL from the client namespace on new connections, <paramref name="count"/> times: the answers, or the errors.</summary>
    protected string[] Who(int count, string url)
    {
        var script = $"import urllib.request\nfor i in range({count}):\n  try: print(urllib.request.urlopen('{url}', timeout=3).read().decode())\n  except Exception as e: print('error', type(e).__name__, e)";
        var (code, output) = Run("ip", $"netns exec {C} python3 -c \"{script}\"", check: false);
        Assert.True(code == 0, output);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public void Dispose()
    {
        Dp.Dispose();
        foreach (var s in ServerProcesses) s.Kill(entireProcessTree: true);
        Cleanup();
        Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }

    private void Cleanup()
    {
        foreach (var ns in S.Prepend(C).Append(R)) Run("ip", $"netns del {ns}", check: false);
    }
}
