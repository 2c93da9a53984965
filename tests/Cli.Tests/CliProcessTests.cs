using System.Diagnostics;

namespace Mgmt.Cli.Tests;

/// <summary>The real mgmt process.</summary>
public sealed class CliProcessTests : IDisposable
{
    private static readonly string RepoRoot = global::Mgmt.Tests.Shared.RepoPaths.Root;

    private readonly string _dir = Directory.CreateTempSubdirectory("mgmt-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Mgmt(string args, string? stdin = null)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "mgmt.dll")}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.Environment["MGMT_SYSTEM_ACCOUNTS"] = "off"; // tests run as root on shared machines
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "mgmt did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void User_add_with_a_password_from_stdin_and_an_ssh_key_is_listed()
    {
        var key = Path.Combine(_dir, "id.pub");
        File.WriteAllText(key, "ssh-ed25519 " + Convert.ToBase64String([0, 0, 0, 11, .. "ssh-ed25519"u8.ToArray(), 0, 0, 0, 32, .. new byte[32]]) + " me@host\n");
        var add = Mgmt($"user add alice --password-stdin --ssh-key \"{key}\" --group ops --group admin --state-dir \"{_dir}\"", "alice-secret\n");
        Assert.Equal(0, add.Code);
        var list = Mgmt($"user list --state-dir \"{_dir}\"");
        Assert.Equal(0, list.Code);
        Assert.Contains("alice\tgroups=ops,admin\tpassword=yes\tssh-keys=1", list.Out);
        Assert.Equal(1, Mgmt($"user add alice --password-stdin --state-dir \"{_dir}\"", "another-pw\n").Code);
    }

    [Fact]
    public void A_bad_ssh_key_or_short_password_is_refused()
    {
        var key = Path.Combine(_dir, "bad.pub");
        File.WriteAllText(key, "ssh-ed25519 AAAA not-a-key\n");
        var r = Mgmt($"user add bob --ssh-key \"{key}\" --state-dir \"{_dir}\"");
        Assert.Equal(1, r.Code);
        Assert.Contains("invalid SSH public key", r.Err);
        var s = Mgmt($"user add bob --password-stdin --state-dir \"{_dir}\"", "short\n");
        Assert.Equal(1, s.Code);
        Assert.Contains("at least 8 characters", s.Err);
        Assert.DoesNotContain("bob", Mgmt($"user list --state-dir \"{_dir}\"").Out);
    }

    [Fact]
    public void Yang_check_passes_for_the_served_modules()
    {
        var yang = Path.Combine(RepoRoot, "yang");
        var files = string.Join(' ', Directory.GetFiles(yang, "*.yang").Where(f => !Path.GetFileName(f).StartsWith("ietf-ipv6-router-adv", StringComparison.Ordinal)).Select(f => $"\"{f}\""));
        var r = Mgmt($"yang check -p \"{yang}\" {files}");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void Yang_check_prints_file_line_col_errors_and_exits_1()
    {
        var bad = Path.Combine(_dir, "bad.yang");
        File.WriteAllText(bad, "module bad {\n  namespace \"urn:bad\";\n  prefix b;\n  leaf x { type uint8; default 999; }\n}\n");
        var r = Mgmt($"yang check -p \"{_dir}\" \"{bad}\"");
        Assert.Equal(1, r.Code);
        Assert.Matches(@"bad\.yang:4:24: error: invalid default value ""999""", r.Err);
    }

    [Fact]
    public void Yang_tree_prints_an_rfc8340_diagram()
    {
        var yang = Path.Combine(RepoRoot, "yang");
        var r = Mgmt($"yang tree -p \"{yang}\" \"{Path.Combine(yang, "ietf-interfaces@2018-02-20.yang")}\"");
        Assert.Equal(0, r.Code);
        Assert.StartsWith("module: ietf-interfaces", r.Out);
        Assert.Contains("+--rw interfaces", r.Out);
        Assert.Contains("+--rw interface* [name]", r.Out);
    }
    private string WriteModule()
    {
        var mod = Path.Combine(_dir, "t.yang");
        File.WriteAllText(mod, "module t {\n  namespace \"urn:t\";\n  prefix t;\n  container c {\n    leaf n { type uint8; }\n    leaf s { type string; }\n  }\n}\n");
        return mod;
    }

    [Fact]
    public void Yang_validate_accepts_a_valid_document_and_names_the_path_of_an_invalid_one()
    {
        var mod = WriteModule();
        var good = Path.Combine(_dir, "good.xml");
        File.WriteAllText(good, "<c xmlns=\"urn:t\"><n>7</n></c>");
        var ok = Mgmt($"yang validate -p \"{_dir}\" --schema \"{mod}\" --type config \"{good}\"");
        Assert.True(ok.Code == 0, ok.Err);
        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, "{\"t:c\": {\"n\": 300}}");
        var r = Mgmt($"yang validate -p \"{_dir}\" --schema \"{mod}\" \"{bad}\"");
        Assert.Equal(1, r.Code);
        Assert.Contains("/t:c/n", r.Err + r.Out);
    }

    [Fact]
    public void Yang_convert_turns_xml_into_rfc7951_json_and_back()
    {
        var mod = WriteModule();
        var doc = Path.Combine(_dir, "doc.xml");
        File.WriteAllText(doc, "<c xmlns=\"urn:t\"><n>7</n><s>hi</s></c>");
        var json = Mgmt($"yang convert -p \"{_dir}\" --schema \"{mod}\" --to json \"{doc}\"");
        Assert.True(json.Code == 0, json.Err);
        Assert.Contains("\"t:c\"", json.Out);
        Assert.Contains("\"n\": 7", json.Out);
        var jsonFile = Path.Combine(_dir, "doc.json");
        File.WriteAllText(jsonFile, json.Out);
        var xml = Mgmt($"yang convert -p \"{_dir}\" --schema \"{mod}\" --to xml \"{jsonFile}\"");
        Assert.True(xml.Code == 0, xml.Err);
        Assert.Contains("<c xmlns=\"urn:t\">", xml.Out);
        Assert.Contains("<s>hi</s>", xml.Out);
    }

    [Fact]
    public void Config_history_lists_commits_and_diff_shows_what_changed_between_two()
    {
        var users = Datastore.Users.UserStore.Open(_dir);
        users.Add(new Datastore.Users.User("alice", ["admin"], null, []));
        var schema = Yang.Compilation.SchemaContextBuilder.FromDirectory(global::Mgmt.Tests.Shared.RepoPaths.Yang);
        var ds = Datastore.Transactions.Datastores.Open(schema, _dir);
        var alice = new Datastore.Session(Datastore.Session.NextId(), "alice", "netconf");
        foreach (var (name, mtu) in new[] { ("eth0", 1500), ("eth0", 9000) })
            ds.Edit(alice, Datastore.DatastoreName.Running, Yang.Encoding.XmlDataReader.Parse(schema, $"""
                <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
                  <interface><name>{name}</name><type>ianaift:ethernetCsmacd</type>
                    <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><mtu>{mtu}</mtu></ipv4></interface></interfaces>
                """, new Yang.Encoding.DataParseOptions(Yang.Encoding.DataContent.Edit)), comment: $"mtu {mtu}");
        var ids = ds.History.List().Select(r => r.Id).ToList();

        var history = Mgmt($"config history --state-dir \"{_dir}\"");
        Assert.Equal(0, history.Code);
        Assert.Contains("\talice\tnetconf\t", history.Out);
        Assert.Contains("mtu 9000", history.Out);

        var yang = global::Mgmt.Tests.Shared.RepoPaths.Yang;
        var diff = Mgmt($"config diff {ids[^2]} {ids[^1]} --state-dir \"{_dir}\" --yang-dir \"{yang}\"");
        Assert.True(diff.Code == 0, diff.Err);
        Assert.Equal("~ /ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4/mtu: 1500 -> 9000", diff.Out.Trim());
        Assert.Equal(1, Mgmt($"config diff 999999 --state-dir \"{_dir}\"").Code);
    }

    [Fact]
    public void Yang_yin_prints_YIN_that_yanglint_reads_as_the_same_module()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/yanglint"), "needs yanglint (libyang-tools)");
        var yang = global::Mgmt.Tests.Shared.RepoPaths.Yang;
        var module = Path.Combine(yang, "ietf-interfaces@2018-02-20.yang");
        var yin = Mgmt($"yang yin -p \"{yang}\" \"{module}\"");
        Assert.True(yin.Code == 0, yin.Err);
        var yinFile = Path.Combine(_dir, "ietf-interfaces@2018-02-20.yin");
        File.WriteAllText(yinFile, yin.Out);
        static string Tree(string file, string dir)
        {
            var psi = new ProcessStartInfo("yanglint", $"-f tree -p \"{dir}\" \"{file}\"") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return o;
        }
        var expected = Tree(module, yang);
        Assert.Contains("+--rw interfaces", expected);
        Assert.Equal(expected, Tree(yinFile, yang));
    }
}
