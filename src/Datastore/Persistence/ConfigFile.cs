using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// A datastore saved in the state dir: a snapshot (<c>running.json</c>, RFC 7951 JSON, replaced atomically)
/// and, when <see cref="Journaled"/>, a <see cref="ConfigJournal"/> of the commits since (<c>running.journal</c>).
/// A small commit appends its change document to the journal; a large one, or a journal grown past
/// <see cref="JournalLimit"/>, writes a new snapshot. After a crash at any moment loading gives the
/// configuration of the last acknowledged commit or of the one before it, never a mix.
/// </summary>
public sealed class ConfigFile
{
    /// <summary>Journal size after which the next commit writes a snapshot instead.</summary>
    public const long JournalLimit = 8 << 20;

    /// <summary>A commit changing more nodes than this writes a snapshot: its change document would be as big.</summary>
    public const int MaxJournaledChanges = 10_000;

    private readonly ConfigJournal? _journal;
    private string _snapshotHash = "";

    public ConfigFile(string path, bool journaled = false)
    {
        Path = path;
        if (journaled) _journal = new ConfigJournal(System.IO.Path.ChangeExtension(path, ".journal"));
    }

    public string Path { get; }

    public bool Journaled => _journal is not null;

    public bool Exists => File.Exists(Path);

    /// <summary>Writes a snapshot of the whole configuration (and starts an empty journal after it).</summary>
    public void Save(DataRoot config)
    {
        using var buffer = new MemoryStream();
        JsonDataWriter.Write(config, buffer, new DataWriteOptions(WithDefaults: WithDefaultsMode.Explicit));
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        AtomicFile.Write(Path, bytes);
        var hash = ConfigJournal.HashOf(bytes);
        if (_journal is not null)
        {
            _snapshotHash = hash;
            _journal.Reset(_snapshotHash);
        }
        WriteSeal(hash, config.Context);
    }

    /// <summary>
    /// Saves a commit: its change document appended to the journal when there is one, it is not too big and
    /// the changes have that form; otherwise a snapshot of <paramref name="config"/>. Returns the journal
    /// record written, or null for a snapshot.
    /// </summary>
    /// <param name="config">The configuration after the commit.</param>
    /// <param name="changes">What the commit changed.</param>
    /// <param name="snapshot">Write a snapshot whatever the size (e.g. when the history needs a base to rebuild from).</param>
    public byte[]? Commit(DataRoot config, IReadOnlyList<DataChange> changes, bool snapshot = false)
    {
        if (!snapshot && _journal is not null && _snapshotHash.Length > 0 && _journal.Length < JournalLimit
            && changes.Count <= MaxJournaledChanges && ChangeDocument.Build(config.Context, changes) is { } doc)
        {
            var record = System.Text.Encoding.UTF8.GetBytes(XmlDataWriter.ToString(doc, new DataWriteOptions(Indent: false) { Marks = doc.Edit }));
            if (record.Length < JournalLimit / 4)
            {
                _journal.Append(record);
                return record;
            }
        }
        Save(config);
        return null;
    }

    /// <summary>
    /// Loads the snapshot, replays the journal after it, and validates the result; an invalid file is an error
    /// naming it and the node. A snapshot this daemon wrote or validated for the same schema carries a seal
    /// (<see cref="SealPath"/>: its SHA-256, the schema's content-id and the YANG engine's build): then its values are taken as canonical
    /// and the whole-tree validation is skipped, as both were done when it was committed. A file changed by hand,
    /// or a changed schema, is validated in full (and sealed when valid).
    /// </summary>
    public DataRoot Load(SchemaContext context)
    {
        var bytes = File.ReadAllBytes(Path);
        // The snapshot is hashed on another core while it is parsed: when the seal names this schema and engine,
        // the parse takes the values as canonical, and is done again in full should the hash not match.
        var hashing = Task.Run(() => ConfigJournal.HashOf(bytes));
        var seal = ReadSeal();
        var sealedHere = seal?.Split('\n') is [_, var sealedHash, ..] && seal == Seal(sealedHash, context);
        DataRoot? tree = null;
        using var bulk = BulkLoad.Begin(bytes.Length);
        try
        {
            if (sealedHere) tree = ParseSnapshot(context, bytes, canonical: true);
        }
        catch (DataException)
        {
            // Parsed again below, in full, which reports the error.
        }
        var hash = hashing.GetAwaiter().GetResult();
        var trusted = tree is not null && seal == Seal(hash, context);
        try
        {
            if (!trusted) tree = ParseSnapshot(context, bytes, canonical: false);
            if (_journal is not null)
            {
                _snapshotHash = hash;
                foreach (var record in _journal.Read(_snapshotHash)) Replay(context, tree!, record);
            }
        }
        catch (DataException e)
        {
            throw new InvalidDataException($"{Path}: {e.Errors[0]}", e);
        }
        if (trusted)
        {
            DataDefaults.Add(tree!, configOnly: true);
            return tree!;
        }
        var errors = DataValidator.Validate(tree!, new ValidationOptions(ConfigOnly: true));
        if (errors.Count > 0) throw new InvalidDataException($"{Path}: {errors[0]}");
        WriteSeal(hash, context);
        return tree!;
    }

    private static DataRoot ParseSnapshot(SchemaContext context, byte[] bytes, bool canonical) =>
        JsonDataReader.Parse(context, bytes.AsMemory(), new DataParseOptions(DataContent.Config) { CanonicalValues = canonical });

    /// <summary>Where the seal of the snapshot is kept: <c>running.json.seal</c> beside <c>running.json</c>.</summary>
    public string SealPath => Path + ".seal";

    // The engine's build is part of the seal: another build may parse or canonicalize values differently.
    private static readonly string EngineBuild = typeof(ValueParser).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    private static string Seal(string snapshotHash, SchemaContext context) => $"mgmt-seal 1\n{snapshotHash}\n{context.ContentId}\n{EngineBuild}\n";

    private string? ReadSeal()
    {
        try
        {
            return File.ReadAllText(SealPath);
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Written after the snapshot it names: a crash in between leaves a seal of the old snapshot, which no longer matches.
    private void WriteSeal(string snapshotHash, SchemaContext context) => AtomicFile.WriteText(SealPath, Seal(snapshotHash, context));

    /// <summary>Applies one journal record (a change document) to a configuration.</summary>
    public static void Replay(SchemaContext context, DataRoot tree, byte[] record)
    {
        var edit = XmlDataReader.Parse(context, new MemoryStream(record), new DataParseOptions(DataContent.Edit));
        DataEditor.Apply(tree, edit, EditOperation.Merge);
    }

    public void Delete()
    {
        if (File.Exists(Path)) File.Delete(Path);
        _journal?.Delete();
        _snapshotHash = "";
    }
}
