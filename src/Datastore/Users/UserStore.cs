using System.Text;
using System.Text.Json;
using Mgmt.Datastore.Persistence;

namespace Mgmt.Datastore.Users;

/// <summary>One account shared by every northbound.</summary>
public sealed record User(string Name, IReadOnlyList<string> Groups, string? PasswordHash, IReadOnlyList<SshPublicKey> SshKeys);

/// <summary>
/// The user store in the state dir (<c>users.json</c>, mode 0600). Every change is written atomically
/// (temp file, fsync, rename), so a crash leaves the old or the new file, never a torn one.
/// </summary>
public sealed class UserStore
{
    public const string FileName = "users.json";

    private readonly string _path;
    private readonly SortedDictionary<string, User> _users = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private UserStore(string path)
    {
        _path = path;
    }

    public string FilePath => _path;

    /// <summary>Opens the store of a state dir (creating the dir); a missing file is an empty store.</summary>
    public static UserStore Open(string stateDir)
    {
        Directory.CreateDirectory(stateDir);
        var store = new UserStore(Path.Combine(stateDir, FileName));
        lock (store._lock) store.Refresh();
        return store;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                Refresh();
                return _users.Count;
            }
        }
    }

    public IReadOnlyList<User> List()
    {
        lock (_lock)
        {
            Refresh();
            return [.. _users.Values];
        }
    }

    public User? Find(string name)
    {
        lock (_lock)
        {
            Refresh();
            return _users.GetValueOrDefault(name);
        }
    }

    // What the file looked like when last read or written: `mgmt user add` changes it under a running daemon.
    private (DateTime Time, long Length) _seen;

    /// <summary>Re-reads the file when another process replaced it (a stat per lookup; logins are rare).</summary>
    private void Refresh()
    {
        var info = new FileInfo(_path);
        var now = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, 0L);
        if (now == _seen) return;
        _users.Clear();
        if (info.Exists) Read();
        _seen = now;
    }

    /// <summary>True when a user name is acceptable: 1-64 characters of letters, digits, '.', '_' and '-', not starting with '-'.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name[0] != '-' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public void Add(User user)
    {
        if (!IsValidName(user.Name)) throw new ArgumentException($"invalid user name \"{user.Name}\"");
        foreach (var g in user.Groups)
            if (!IsValidName(g)) throw new ArgumentException($"invalid group name \"{g}\"");
        lock (_lock)
        {
            Refresh();
            if (_users.ContainsKey(user.Name)) throw new InvalidOperationException($"user \"{user.Name}\" already exists");
            _users[user.Name] = user;
            Write();
        }
    }

    public void Update(User user)
    {
        lock (_lock)
        {
            Refresh();
            if (!_users.ContainsKey(user.Name)) throw new InvalidOperationException($"user \"{user.Name}\" does not exist");
            _users[user.Name] = user;
            Write();
        }
    }

    public bool Remove(string name)
    {
        lock (_lock)
        {
            Refresh();
            if (!_users.Remove(name)) return false;
            Write();
            return true;
        }
    }

    /// <summary>Checks a password; false for unknown users and users without a password.</summary>
    public bool VerifyPassword(string name, string password)
    {
        var user = Find(name);
        return user?.PasswordHash is { } hash && PasswordHasher.Verify(password, hash);
    }

    private void Read()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(_path));
        foreach (var u in doc.RootElement.GetProperty("users").EnumerateArray())
        {
            var name = u.GetProperty("name").GetString()!;
            var groups = u.TryGetProperty("groups", out var g) ? g.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            var hash = u.TryGetProperty("password", out var p) ? p.GetString() : null;
            var keys = new List<SshPublicKey>();
            if (u.TryGetProperty("ssh-keys", out var k))
                foreach (var line in k.EnumerateArray())
                    if (SshPublicKey.TryParse(line.GetString() ?? "", out var key, out _)) keys.Add(key!);
            _users[name] = new User(name, groups, hash, keys);
        }
    }

    private void Write()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("users");
            foreach (var u in _users.Values)
            {
                w.WriteStartObject();
                w.WriteString("name", u.Name);
                w.WriteStartArray("groups");
                foreach (var g in u.Groups) w.WriteStringValue(g);
                w.WriteEndArray();
                if (u.PasswordHash is not null) w.WriteString("password", u.PasswordHash);
                w.WriteStartArray("ssh-keys");
                foreach (var k in u.SshKeys) w.WriteStringValue(k.ToString());
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        AtomicFile.Write(_path, buffer.ToArray());
        var info = new FileInfo(_path);
        _seen = (info.LastWriteTimeUtc, info.Length);
    }
}
