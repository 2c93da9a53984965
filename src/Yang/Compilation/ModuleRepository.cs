using Mgmt.Yang.Parsing;

namespace Mgmt.Yang.Compilation;

/// <summary>
/// Finds and parses module files: <c>name.yang</c> and <c>name@revision.yang</c> in the search paths, newest
/// revision when none is asked. Each file is parsed once.
/// </summary>
internal sealed class ModuleRepository
{
    private readonly List<string> _searchPaths = [];
    private readonly Dictionary<string, ModuleSource> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ModuleSource>> _byName = new(StringComparer.Ordinal);
    private Dictionary<string, List<string>>? _fileIndex;
    private readonly StringPool _strings = new();

    /// <summary>Parse files without the text of their documentation statements (see <see cref="YangParser.Parse(ReadOnlySpan{char}, string, StringPool?, bool)"/>).</summary>
    public bool DropDocumentation { get; set; }

    public void AddSearchPath(string dir)
    {
        var full = Path.GetFullPath(dir);
        if (_searchPaths.Contains(full)) return;
        _searchPaths.Add(full);
        _fileIndex = null;
    }

    public ModuleSource LoadFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (_byPath.TryGetValue(full, out var src)) return src;
        char[] buffer;
        int length;
        try
        {
            (buffer, length) = ReadText(full);
        }
        catch (IOException e)
        {
            throw new YangException(new SourceLocation(path, 0, 0), "cannot read file: " + e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new YangException(new SourceLocation(path, 0, 0), "cannot read file: " + e.Message);
        }
        try
        {
            src = new ModuleSource(YangParser.Parse(buffer.AsSpan(0, length), path, _strings, DropDocumentation), full);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
        _byPath[full] = src;
        Register(src);
        return src;
    }

    /// <summary>Reads a UTF-8 file into a pooled buffer (the caller returns it): module text is parsed once and dropped.</summary>
    private static (char[] Buffer, int Length) ReadText(string path)
    {
        using var handle = File.OpenHandle(path);
        var size = RandomAccess.GetLength(handle);
        if (size > MaxFileBytes) throw new IOException($"file is larger than {MaxFileBytes} bytes");
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent((int)size);
        try
        {
            var read = 0;
            while (read < size)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read, (int)size - read), read);
                if (n == 0) break;
                read += n;
            }
            var data = bytes.AsSpan(0, read);
            if (data.StartsWith("\uFEFF"u8)) data = data[3..];
            var chars = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(1, System.Text.Encoding.UTF8.GetMaxCharCount(data.Length)));
            return (chars, System.Text.Encoding.UTF8.GetChars(data, chars));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Largest module file read (the biggest published modules are a few hundred KB).</summary>
    private const long MaxFileBytes = 64L << 20;

    public ModuleSource LoadText(string text, string fileName)
    {
        var src = new ModuleSource(YangParser.Parse(text, fileName, _strings, DropDocumentation), null);
        Register(src);
        return src;
    }

    private void Register(ModuleSource src)
    {
        if (!_byName.TryGetValue(src.Name, out var list)) _byName[src.Name] = list = [];
        list.Add(src);
    }

    /// <summary>
    /// The module or submodule <paramref name="name"/> (at <paramref name="revision"/> if given): an already
    /// loaded one first, else a file from the search paths; null when none is found.
    /// </summary>
    public ModuleSource? FindModule(string name, string? revision, string? nearDir)
    {
        if (_byName.TryGetValue(name, out var loaded))
        {
            ModuleSource? best = null;
            foreach (var s in loaded)
            {
                if (revision is not null && s.Revision != revision) continue;
                if (best is null || string.CompareOrdinal(s.Revision ?? "", best.Revision ?? "") > 0) best = s;
            }
            if (best is not null) return best;
        }

        var index = _fileIndex ??= BuildIndex();
        string? chosen = null;
        string? chosenRev = null;
        if (nearDir is not null)
        {
            foreach (var f in CandidatesIn(nearDir, name)) Consider(f);
        }
        if (index.TryGetValue(name, out var files))
            foreach (var f in files) Consider(f);
        return chosen is null ? null : LoadFile(chosen);

        void Consider(string file)
        {
            var fileRev = RevisionOfFileName(file);
            if (revision is not null)
            {
                if (fileRev == revision) { chosen ??= file; chosenRev = fileRev; }
                else if (fileRev is null && chosen is null)
                {
                    // name.yang without a revision in its name: accept if its latest revision matches.
                    var src = LoadFile(file);
                    if (src.Revision == revision) chosen = file;
                }
                return;
            }
            if (chosen is null || string.CompareOrdinal(fileRev ?? "", chosenRev ?? "") > 0)
            {
                chosen = file;
                chosenRev = fileRev;
            }
        }
    }

    private static IEnumerable<string> CandidatesIn(string dir, string name)
    {
        if (!Directory.Exists(dir)) yield break;
        var plain = Path.Combine(dir, name + ".yang");
        if (File.Exists(plain)) yield return plain;
        foreach (var f in Directory.EnumerateFiles(dir, name + "@*.yang")) yield return f;
    }

    private Dictionary<string, List<string>> BuildIndex()
    {
        var index = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var dir in _searchPaths)
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var f in Directory.EnumerateFiles(dir, "*.yang"))
            {
                var n = Path.GetFileNameWithoutExtension(f);
                var at = n.IndexOf('@');
                if (at >= 0) n = n[..at];
                if (!index.TryGetValue(n, out var list)) index[n] = list = [];
                list.Add(f);
            }
        }
        return index;
    }

    private static string? RevisionOfFileName(string file)
    {
        var n = Path.GetFileNameWithoutExtension(file);
        var at = n.IndexOf('@');
        return at < 0 ? null : n[(at + 1)..];
    }
}
