using System.Diagnostics;
using System.Text;

namespace Mgmt.Tests.Shared;

/// <summary>The real mgmtd (mgmtd.dll beside the test assembly) as a child process, with its output captured.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    public DaemonProcess(string args, string? adminPassword, bool systemAccounts = false)
    {
        // No sshd unless the test asks for one (parallel daemons would contend for its port).
        if (!args.Contains("--netconf-ssh", StringComparison.Ordinal)) args += " --netconf-ssh none";
        var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "mgmtd.dll")}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment.Remove("MGMT_ADMIN_PASSWORD");
        // Tests run as root on shared machines: no system accounts unless a test asks for them.
        psi.Environment["MGMT_SYSTEM_ACCOUNTS"] = systemAccounts ? "on" : "off";
        if (adminPassword is not null) psi.Environment["MGMT_ADMIN_PASSWORD"] = adminPassword;
        Process = Process.Start(psi)!;
        Process.OutputDataReceived += (_, e) => { lock (_out) _out.AppendLine(e.Data); };
        Process.ErrorDataReceived += (_, e) => { lock (_err) _err.AppendLine(e.Data); };
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Out { get { lock (_out) return _out.ToString(); } }

    public string Err { get { lock (_err) return _err.ToString(); } }

    public bool WaitForOutput(string text, int seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (Out.Contains(text, StringComparison.Ordinal)) return true;
            if (Process.HasExited) return Out.Contains(text, StringComparison.Ordinal);
            Thread.Sleep(50);
        }
        return false;
    }

    public void Dispose()
    {
        // Killed and gone before the caller cleans up: a daemon still dying may write into its state directory
        // while the test deletes it ("directory not empty").
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.WaitForExit(TimeSpan.FromSeconds(30));
        Process.Dispose();
    }
}
