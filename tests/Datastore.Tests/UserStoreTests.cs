using Mgmt.Datastore.Users;

namespace Mgmt.Datastore.Tests;

public sealed class UserStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("users-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Password_hashes_are_salted_slow_and_verified_in_constant_time()
    {
        var a = PasswordHasher.Hash("correct horse", 1000);
        var b = PasswordHasher.Hash("correct horse", 1000);
        Assert.NotEqual(a, b);
        Assert.StartsWith("$pbkdf2-sha256$1000$", a);
        Assert.True(PasswordHasher.Verify("correct horse", a));
        Assert.False(PasswordHasher.Verify("correct horsf", a));
        Assert.False(PasswordHasher.Verify("correct horse", "$md5$x$y$z"));
        Assert.StartsWith($"$pbkdf2-sha256${PasswordHasher.DefaultIterations}$", PasswordHasher.Hash("x"));
    }

    [Fact]
    public void Users_survive_reopening_the_store()
    {
        var store = UserStore.Open(_dir);
        SshPublicKey.TryParse(TestKeys.Ed25519, out var key, out _);
        store.Add(new User("alice", ["ops", "admin"], PasswordHasher.Hash("alice-password", 1000), [key!]));
        var again = UserStore.Open(_dir);
        var alice = again.Find("alice")!;
        Assert.Equal(["ops", "admin"], alice.Groups);
        Assert.Single(alice.SshKeys);
        Assert.True(again.VerifyPassword("alice", "alice-password"));
        Assert.Throws<InvalidOperationException>(() => again.Add(alice));
        Assert.True(again.Remove("alice"));
        Assert.Null(UserStore.Open(_dir).Find("alice"));
    }

    [Theory]
    [InlineData("ssh-ed25519 AAAA", "truncated")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "unsupported key type")]
    [InlineData("ssh-ed25519 !!!notbase64", "not valid base64")]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh", "does not match its type")]
    [InlineData("just-one-field", "expected")]
    public void Malformed_ssh_keys_are_rejected_with_a_reason(string line, string reason)
    {
        Assert.False(SshPublicKey.TryParse(line, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_real_ed25519_key_line_parses_with_its_comment()
    {
        Assert.True(SshPublicKey.TryParse(TestKeys.Ed25519, out var key, out _));
        Assert.Equal("ssh-ed25519", key!.Type);
        Assert.Equal("test@mgmt", key.Comment);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-dash")]
    [InlineData("white space")]
    [InlineData("semi;colon")]
    public void Invalid_user_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => UserStore.Open(_dir).Add(new User(name, [], null, [])));

    [Fact]
    public void A_store_sees_users_that_another_process_added_meanwhile()
    {
        var daemonView = UserStore.Open(_dir);
        Assert.Null(daemonView.Find("late"));
        var cliView = UserStore.Open(_dir);
        cliView.Add(new User("late", ["admin"], PasswordHasher.Hash("late-password"), []));
        Assert.NotNull(daemonView.Find("late"));
        daemonView.Add(new User("later", [], PasswordHasher.Hash("later-password"), []));
        Assert.Equal(["late", "later"], cliView.List().Select(u => u.Name));
    }

}

internal static class TestKeys
{
    /// <summary>An ed25519 public key blob: string "ssh-ed25519" + 32 key bytes ('a').</summary>
    public static readonly string Ed25519 = "ssh-ed25519 " + Convert.ToBase64String(
        [0, 0, 0, 11, .. "ssh-ed25519"u8.ToArray(), 0, 0, 0, 32, .. Enumerable.Repeat((byte)'a', 32)]) + " test@mgmt";
}
