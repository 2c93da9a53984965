namespace Mgmt.Cli;

/// <summary>The mgmt tool: <c>mgmt user ...</c> and <c>mgmt yang ...</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var io = new CliIo(Console.In, Console.Out, Console.Error);
        try
        {
            if (Environment.GetEnvironmentVariable("MGMT_MEMSTATS") is not null)
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    var i = GC.GetGCMemoryInfo();
                    Console.Error.WriteLine($"gc: alloc {GC.GetTotalAllocatedBytes() >> 20} MB, heap {i.HeapSizeBytes >> 20} MB, committed {i.TotalCommittedBytes >> 20} MB, gcs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, " +
                        string.Join(", ", File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM") || l.StartsWith("RssAnon") || l.StartsWith("RssFile"))));
                };
            return args switch
            {
                ["user", .. var rest] => UserCommands.Run(rest, io),
                ["netconf-forward", .. var rest] => NetconfForward.Run(rest, io),
                ["config", .. var rest] => ConfigCommands.Run(rest, io),
                ["-c", var command] => NetconfForward.FromLoginShell(command, io),
                ["yang", .. var rest] => YangCommands.Run(rest, io),
                [] or ["--help" or "-h" or "help"] => Usage(io.Out, 0),
                _ => Usage(io.Error, 2),
            };
        }
        catch (UsageException e)
        {
            io.Error.WriteLine("mgmt: " + e.Message);
            return 2;
        }
    }

    internal static int Usage(TextWriter w, int code)
    {
        w.WriteLine("""
            usage: mgmt <command> [options]

              user add NAME [--password-stdin] [--ssh-key FILE] [--group G]... [--state-dir DIR]
              user list [--state-dir DIR]
              user del NAME [--state-dir DIR]
              user passwd NAME [--password-stdin] [--state-dir DIR]

              config history [--state-dir DIR]
              config diff FROM-ID [TO-ID] [--state-dir DIR] [--yang-dir DIR]
              netconf-forward [--socket PATH] [--user NAME]   (sshd's netconf subsystem)

              yang check -p DIR [-p DIR ...] FILE...
              yang tree  -p DIR [-p DIR ...] FILE...
              yang yin   -p DIR [-p DIR ...] FILE...      (RFC 7950 §13 YIN)
              yang validate -p DIR --schema FILE... [--type config|data] DOC
              yang convert  -p DIR --schema FILE... --to json|xml DOC
            """);
        return code;
    }
}

/// <summary>Standard streams, injectable for tests.</summary>
public sealed record CliIo(TextReader In, TextWriter Out, TextWriter Error);

public sealed class UsageException(string message) : Exception(message);

/// <summary>A tiny option reader: flags with values, repeated flags, positionals.</summary>
internal sealed class Args
{
    private readonly List<string> _positionals = [];
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private string? Pending { get; set; }

    public Args(IEnumerable<string> args, string[] valueOptions, string[] flagOptions)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext()) Handle(e.Current, e, valueOptions, flagOptions);
    }

    private void Handle(string a, IEnumerator<string> e, string[] valueOptions, string[] flagOptions)
    {
        {
            if (Array.IndexOf(valueOptions, a) >= 0)
            {
                if (!e.MoveNext()) throw new UsageException($"option {a} needs a value");
                if (!_values.TryGetValue(a, out var list)) _values[a] = list = [];
                list.Add(e.Current);
                // --schema FILE... takes every following .yang file.
                if (a == "--schema")
                {
                    while (e.MoveNext())
                    {
                        if (e.Current.EndsWith(".yang", StringComparison.Ordinal)) { list.Add(e.Current); continue; }
                        Pending = e.Current;
                        break;
                    }
                    if (Pending is not null) { var p = Pending; Pending = null; Handle(p, e, valueOptions, flagOptions); }
                }
            }
            else if (Array.IndexOf(flagOptions, a) >= 0) _flags.Add(a);
            else if (a.StartsWith('-') && a.Length > 1) throw new UsageException($"unknown option {a}");
            else _positionals.Add(a);
        }
    }

    public IReadOnlyList<string> Positionals => _positionals;

    public IReadOnlyList<string> All(string option) => _values.TryGetValue(option, out var l) ? l : [];

    public string? One(string option) => _values.TryGetValue(option, out var l) ? l[^1] : null;

    public bool Has(string flag) => _flags.Contains(flag);
}
