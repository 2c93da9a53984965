using System.Diagnostics;

namespace Mgmt.Datastore.Users;

/// <summary>
/// The operating-system accounts behind NETCONF over SSH. sshd only authenticates accounts that exist, and
/// runs a subsystem through the account's login shell; so when Mgmt runs as root each Mgmt user gets an
/// account in group <see cref="Group"/> whose shell is <c>mgmt</c> (which runs nothing but the NETCONF
/// forwarder) and whose password is the user's. Accounts outside that group are never touched.
/// </summary>
public static class SystemAccounts
{
    public const string Group = "mgmt";

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Root manages accounts unless <c>MGMT_SYSTEM_ACCOUNTS=off</c> (tests on a shared machine, or accounts managed elsewhere).</summary>
    public static bool Managed => IsRoot && Environment.GetEnvironmentVariable("MGMT_SYSTEM_ACCOUNTS") != "off";

    /// <summary>The account name of a uid, from the passwd file; null when there is none.</summary>
    public static string? NameOf(uint uid, string passwdFile = "/etc/passwd")
    {
        foreach (var f in Entries(passwdFile))
            if (uint.TryParse(f[2], out var u) && u == uid) return f[0];
        return null;
    }

    /// <summary>Creates or updates the account of a Mgmt user (root only). Returns an error message, or null.</summary>
    public static string? Ensure(string name, string? password, string shell)
    {
        if (!Managed) return "system accounts are not managed here (not root, or MGMT_SYSTEM_ACCOUNTS=off)";
        var existing = Entries("/etc/passwd").FirstOrDefault(f => f[0] == name);
        if (existing is not null && !InMgmtGroup(name))
            return $"system account {name} exists and is not a Mgmt account ({Group} group); it is left alone";
        if (Run("getent", "group", Group) != 0 && Run("groupadd", "--system", Group) != 0) return "groupadd failed";
        var rc = existing is null
            ? Run("useradd", "--no-create-home", "--home-dir", "/nonexistent", "--gid", Group, "--shell", shell, name)
            : Run("usermod", "--gid", Group, "--shell", shell, name);
        if (rc != 0) return $"useradd/usermod {name} failed";
        if (password is null) return Run("usermod", "--lock", name) == 0 ? null : "usermod --lock failed";
        return RunWithInput("chpasswd", $"{name}:{password}\n") == 0 ? null : "chpasswd failed";
    }

    /// <summary>Removes the account of a deleted Mgmt user (only if it is a Mgmt account).</summary>
    public static void Remove(string name)
    {
        if (Managed && InMgmtGroup(name)) Run("userdel", name);
    }

    private static bool InMgmtGroup(string name)
    {
        var groupLine = Entries("/etc/group").FirstOrDefault(f => f[0] == Group);
        var passwd = Entries("/etc/passwd").FirstOrDefault(f => f[0] == name);
        if (groupLine is null || passwd is null) return false;
        return passwd[3] == groupLine[2] || (groupLine.Length > 3 && groupLine[3].Split(',').Contains(name));
    }

    private static IEnumerable<string[]> Entries(string file) =>
        File.Exists(file) ? File.ReadLines(file).Select(l => l.Split(':')).Where(f => f.Length >= 4) : [];

    private static int Run(string tool, params string[] args) => RunWithInput(tool, null, args);

    private static int RunWithInput(string tool, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardInput = stdin is not null, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
