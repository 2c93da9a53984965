using System.Buffers.Binary;
using System.Text;

namespace Mgmt.Datastore.Users;

/// <summary>An OpenSSH public key line: <c>TYPE BASE64 [comment]</c>, checked for a known type and a blob of that type.</summary>
public sealed record SshPublicKey(string Type, string Blob, string? Comment)
{
    private static readonly string[] KnownTypes =
    [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ];

    public override string ToString() => Comment is null ? $"{Type} {Blob}" : $"{Type} {Blob} {Comment}";

    public static bool TryParse(string line, out SshPublicKey? key, out string? error)
    {
        key = null;
        var parts = line.Trim().Split([' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            error = "expected \"TYPE BASE64 [comment]\"";
            return false;
        }
        if (Array.IndexOf(KnownTypes, parts[0]) < 0)
        {
            error = $"unsupported key type \"{parts[0]}\"";
            return false;
        }
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[1]);
        }
        catch (FormatException)
        {
            error = "the key is not valid base64";
            return false;
        }
        // The blob starts with the key type as an SSH string (uint32 length + bytes).
        if (blob.Length < 4)
        {
            error = "the key blob is truncated";
            return false;
        }
        var len = BinaryPrimitives.ReadUInt32BigEndian(blob);
        if (len > blob.Length - 4 || Encoding.ASCII.GetString(blob, 4, (int)len) != parts[0])
        {
            error = "the key blob does not match its type";
            return false;
        }
        if (parts[0] == "ssh-ed25519" && blob.Length != 4 + 11 + 4 + 32)
        {
            error = "an ed25519 key blob must hold a 32-byte key";
            return false;
        }
        key = new SshPublicKey(parts[0], parts[1], parts.Length > 2 ? parts[2] : null);
        error = null;
        return true;
    }
}
