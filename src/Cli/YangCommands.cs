using Mgmt.Yang;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Printing;
using Mgmt.Yang.Schema;

namespace Mgmt.Cli;

/// <summary><c>mgmt yang check|tree</c>: compile modules with their imports, like yanglint.</summary>
internal static class YangCommands
{
    public static int Run(string[] args, CliIo io)
    {
        if (args.Length == 0) throw new UsageException("yang: expected check or tree");
        var a = new Args(args[1..], ["-p", "--path", "--schema", "--type", "--to"], []);
        switch (args[0])
        {
            case "validate":
                return DataCommands.Validate(a, io);
            case "convert":
                return DataCommands.Convert(a, io);
        }
        if (a.Positionals.Count == 0) throw new UsageException($"yang {args[0]}: no module files given");
        switch (args[0])
        {
            case "check":
                return Compile(a, io, out _, out _) ? 0 : 1;
            case "tree":
                if (!Compile(a, a.Positionals, io, out var modules, out _, keepStatements: true)) return 1;
                foreach (var m in modules) TreePrinter.Print(m, io.Out);
                return 0;
            case "yin":
                if (!Compile(a, a.Positionals, io, out var yinModules, out _, keepStatements: true)) return 1;
                foreach (var m in yinModules) YinPrinter.Print(m, io.Out);
                return 0;
            default:
                throw new UsageException($"yang: unknown command {args[0]}");
        }
    }

    /// <summary>Compiles the given files; prints one <c>file:line:col: error: message</c> line per error.</summary>
    internal static bool Compile(Args a, CliIo io, out List<YangModule> modules, out SchemaContext? context) =>
        Compile(a, a.Positionals, io, out modules, out context);

    internal static bool Compile(Args a, IReadOnlyList<string> files, CliIo io, out List<YangModule> modules, out SchemaContext? context,
        bool keepStatements = false)
    {
        modules = [];
        context = null;
        var builder = new SchemaContextBuilder();
        if (keepStatements) builder.KeepStatements();
        else builder.DropDocumentation(); // check, validate and convert never print documentation
        foreach (var p in a.All("-p").Concat(a.All("--path"))) builder.AddSearchPath(p);
        var errors = new List<YangDiagnostic>();
        foreach (var file in files)
        {
            try
            {
                modules.Add(builder.LoadFile(file));
            }
            catch (YangException e)
            {
                errors.AddRange(e.Diagnostics);
            }
        }
        if (errors.Count == 0)
        {
            try
            {
                context = builder.Build();
            }
            catch (YangException e)
            {
                errors.AddRange(e.Diagnostics);
            }
        }
        foreach (var d in errors) io.Error.WriteLine(d.ToString());
        return errors.Count == 0;
    }
}
