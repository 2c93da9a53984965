using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Cli;

/// <summary><c>mgmt yang validate|convert</c>: instance documents against compiled modules.</summary>
internal static class DataCommands
{
    public static int Validate(Args a, CliIo io)
    {
        if (!Load(a, io, out var ctx, out var tree, out var config)) return 1;
        var errors = DataValidator.Validate(tree!, new ValidationOptions(ConfigOnly: config));
        foreach (var e in errors) io.Error.WriteLine(e.ToString());
        return errors.Count == 0 ? 0 : 1;
    }

    public static int Convert(Args a, CliIo io)
    {
        var to = a.One("--to") ?? throw new UsageException("yang convert: --to json|xml is required");
        if (to is not ("json" or "xml")) throw new UsageException("yang convert: --to must be json or xml");
        if (!Load(a, io, out _, out var tree, out _)) return 1;
        var options = new DataWriteOptions(WithDefaults: WithDefaultsMode.Explicit);
        if (to == "json") io.Out.WriteLine(JsonDataWriter.ToString(tree!, options));
        else io.Out.WriteLine(XmlDataWriter.ToString(tree!, options));
        return 0;
    }

    private static bool IsJson(string path)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return true;
        if (path.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)) return false;
        using var f = File.OpenRead(path);
        int b;
        while ((b = f.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF) { }
        return b == '{';
    }

    private static bool Load(Args a, CliIo io, out SchemaContext? ctx, out DataRoot? tree, out bool config)
    {
        tree = null;
        var schemas = a.All("--schema");
        if (schemas.Count == 0) throw new UsageException("--schema FILE is required");
        if (a.Positionals.Count != 1) throw new UsageException("exactly one instance document is required");
        var type = a.One("--type") ?? "data";
        if (type is not ("config" or "data")) throw new UsageException("--type must be config or data");
        config = type == "config";
        if (!YangCommands.Compile(a, schemas, io, out _, out ctx)) return false;
        var doc = a.Positionals[0];
        if (!File.Exists(doc))
        {
            io.Error.WriteLine($"mgmt: {doc}: no such file");
            return false;
        }
        var options = new DataParseOptions(config ? DataContent.Config : DataContent.Data);
        try
        {
            // Streamed in both encodings: the document is never held whole, only the tree it becomes.
            using var stream = File.OpenRead(doc);
            tree = IsJson(doc) ? JsonDataReader.Parse(ctx!, stream, options) : XmlDataReader.Parse(ctx!, stream, options);
            return true;
        }
        catch (DataException e)
        {
            foreach (var err in e.Errors) io.Error.WriteLine(err.ToString());
            return false;
        }
    }
}
