using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// A datastore saved as one RFC 7951 JSON document in the state dir (<c>running.json</c>, <c>startup.json</c>),
/// replaced atomically on every save: after a crash the file holds the old or the new configuration.
/// </summary>
public sealed class ConfigFile(string path)
{
    public string Path { get; } = path;

    public bool Exists => File.Exists(Path);

    public void Save(DataRoot config)
    {
        using var buffer = new MemoryStream();
        JsonDataWriter.Write(config, buffer, new DataWriteOptions(WithDefaults: WithDefaultsMode.Explicit));
        AtomicFile.Write(Path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Loads and fully validates the saved configuration; an invalid file is an error naming the file and the node.</summary>
    public DataRoot Load(SchemaContext context)
    {
        DataRoot tree;
        try
        {
            tree = JsonDataReader.Parse(context, File.ReadAllBytes(Path).AsMemory(), new DataParseOptions(DataContent.Config));
        }
        catch (DataException e)
        {
            throw new InvalidDataException($"{Path}: {e.Errors[0]}", e);
        }
        var errors = DataValidator.Validate(tree, new ValidationOptions(ConfigOnly: true));
        if (errors.Count > 0) throw new InvalidDataException($"{Path}: {errors[0]}");
        return tree;
    }

    public void Delete()
    {
        if (File.Exists(Path)) File.Delete(Path);
    }
}
