using Mgmt.Datastore.Users;

namespace Mgmt.Cli;

/// <summary><c>mgmt user add|list|del|passwd</c> on the user store of a state dir.</summary>
internal static class UserCommands
{
    public static int Run(string[] args, CliIo io)
    {
        if (args.Length == 0) throw new UsageException("user: expected add, list, del or passwd");
        var a = new Args(args[1..], ["--state-dir", "--ssh-key", "--group"], ["--password-stdin"]);
        var store = UserStore.Open(a.One("--state-dir") ?? "./var");
        switch (args[0])
        {
            case "add":
            {
                var name = Single(a, "user add NAME");
                var keys = new List<SshPublicKey>();
                foreach (var file in a.All("--ssh-key"))
                {
                    if (!File.Exists(file))
                    {
                        io.Error.WriteLine($"mgmt: {file}: no such file");
                        return 1;
                    }
                    foreach (var line in File.ReadAllLines(file))
                    {
                        if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
                        if (!SshPublicKey.TryParse(line, out var key, out var error))
                        {
                            io.Error.WriteLine($"mgmt: {file}: invalid SSH public key: {error}");
                            return 1;
                        }
                        keys.Add(key!);
                    }
                }
                string? hash = null;
                string? password = null;
                if (a.Has("--password-stdin"))
                {
                    password = ReadPassword(io);
                    if (password is null) return 1;
                    hash = PasswordHasher.Hash(password);
                }
                if (hash is null && keys.Count == 0)
                {
                    io.Error.WriteLine("mgmt: a user needs --password-stdin or --ssh-key");
                    return 1;
                }
                try
                {
                    store.Add(new User(name, [.. a.All("--group")], hash, keys));
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    io.Error.WriteLine("mgmt: " + e.Message);
                    return 1;
                }
                io.Out.WriteLine($"added user {name}");
                SyncAccount(name, password, io);
                return 0;
            }
            case "list":
                foreach (var u in store.List())
                    io.Out.WriteLine($"{u.Name}\tgroups={string.Join(',', u.Groups)}\tpassword={(u.PasswordHash is null ? "no" : "yes")}\tssh-keys={u.SshKeys.Count}");
                return 0;
            case "del":
            {
                var name = Single(a, "user del NAME");
                if (store.Remove(name))
                {
                    SystemAccounts.Remove(name);
                    return 0;
                }
                io.Error.WriteLine($"mgmt: no user {name}");
                return 1;
            }
            case "passwd":
            {
                var name = Single(a, "user passwd NAME");
                var user = store.Find(name);
                if (user is null)
                {
                    io.Error.WriteLine($"mgmt: no user {name}");
                    return 1;
                }
                var pw = ReadPassword(io);
                if (pw is null) return 1;
                store.Update(user with { PasswordHash = PasswordHasher.Hash(pw) });
                SyncAccount(name, pw, io);
                return 0;
            }
            default:
                throw new UsageException($"user: unknown command {args[0]}");
        }
    }

    /// <summary>
    /// As root, the user also gets a system account (shell: mgmt, the NETCONF forwarder only) with the same
    /// password, so that sshd lets them log in over NETCONF/SSH. Unprivileged, SSH logins use keys only.
    /// </summary>
    private static void SyncAccount(string name, string? password, CliIo io)
    {
        if (!SystemAccounts.Managed) return;
        var error = SystemAccounts.Ensure(name, password, ShellPath());
        if (error is not null) io.Error.WriteLine($"mgmt: warning: {error}");
    }

    /// <summary>This mgmt executable (the apphost beside mgmt.dll when run through dotnet).</summary>
    internal static string ShellPath()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "mgmt");
        return File.Exists(beside) ? beside : Environment.ProcessPath ?? "mgmt";
    }

    private static string Single(Args a, string usage) =>
        a.Positionals.Count == 1 ? a.Positionals[0] : throw new UsageException("usage: mgmt " + usage);

    /// <summary>The first line of standard input; an empty or short password is refused.</summary>
    private static string? ReadPassword(CliIo io)
    {
        var pw = io.In.ReadLine();
        if (string.IsNullOrEmpty(pw) || pw.Length < 8)
        {
            io.Error.WriteLine("mgmt: the password must have at least 8 characters");
            return null;
        }
        return pw;
    }
}
