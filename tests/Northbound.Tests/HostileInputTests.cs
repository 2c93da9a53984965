using System.Text;
using CsCheck;
using Mgmt.Datastore.Transactions;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>
/// Fuzzed framing and rpc messages, and a flood of silent connections: each ends in a message, an rpc-error
/// or a closed session; the server keeps serving and the datastore stays as it was.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private static readonly Lazy<SchemaContext> Schema = TestWorld.Schema;

    private readonly string _dir = Directory.CreateTempSubdirectory("hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly byte[] ChunkSeed = Encoding.ASCII.GetBytes("\n#12\n<rpc><get/>\n#5\n</rpc\n#1\n>\n##\n\n#4\nabcd\n##\n");

    private static readonly Gen<(int Pos, int Len, byte B, int Mode)> Mutation =
        Gen.Select(Gen.Int[0, 1000], Gen.Int[1, 12], Gen.Byte, Gen.Int[0, 2]);

    private static byte[] Mutate(byte[] seed, (int Pos, int Len, byte B, int Mode) m)
    {
        var pos = m.Pos % seed.Length;
        var len = Math.Min(m.Len, seed.Length - pos);
        return m.Mode switch
        {
            0 => [.. seed[..pos], .. seed[(pos + len)..]],
            1 => [.. seed[..pos], .. Enumerable.Repeat(m.B, len), .. seed[pos..]],
            _ => seed[..pos],
        };
    }

    [Fact]
    public void Any_byte_stream_yields_messages_or_a_framing_error_within_the_size_limit()
    {
        Mutation.Sample(m =>
        {
            foreach (var chunked in new[] { true, false })
            {
                var framer = new Framer(new MemoryStream(Mutate(ChunkSeed, m)), maxMessageBytes: 64) { Chunked = chunked };
                try
                {
                    for (var i = 0; i < 100; i++)
                    {
                        var message = framer.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
                        if (message is null) break;
                        Assert.True(message.Length <= 64);
                    }
                }
                catch (FramingException)
                {
                }
            }
        }, iter: 3000);
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            var framer = new Framer(new MemoryStream(bytes), 128) { Chunked = true };
            try
            {
                while (framer.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is not null) { }
            }
            catch (FramingException)
            {
            }
        }, iter: 3000);
    }

    [Fact]
    public async Task Mutated_rpcs_get_replies_or_a_closed_session_and_change_nothing()
    {
        var users = Mgmt.Datastore.Users.UserStore.Open(_dir);
        users.Add(new Mgmt.Datastore.Users.User("admin", ["admin"], null, []));
        var ds = Datastores.Open(Schema.Value, _dir);
        var server = new NetconfServer(ds);
        var before = ds.Read(Mgmt.Datastore.DatastoreName.Running, t => Mgmt.Yang.Encoding.XmlDataWriter.ToString(t));
        string[] seeds =
        [
            """<rpc message-id="7" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source><filter type="subtree"><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth0</name></interface></interfaces></filter></get-config></rpc>""",
            """<rpc message-id="8" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><action xmlns="urn:ietf:params:xml:ns:yang:1"><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth0</name><nothing/></interface></interfaces></action></rpc>""",
            // continue-on-error over parts that all fail (no type): nothing may be applied, whatever the mutation.
            """<rpc message-id="9" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><running/></target><error-option>continue-on-error</error-option><config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>x</name><description>d</description></interface><interface><name>y</name></interface></interfaces></config></edit-config></rpc>""",
        ];
        await using var c = await NetconfTestClient.ConnectAsync(server, "admin");
        foreach (var seed in seeds)
        foreach (var (pos, len, ch, mode) in Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Int[1, 20], Gen.Char["<>/\"'=&;#x \n]!-"], Gen.Int[0, 2]).Array[150].Single())
        {
            var l = Math.Min(len, seed.Length - pos);
            var text = mode switch { 0 => seed.Remove(pos, l), 1 => seed.Insert(pos, new string(ch, l)), _ => seed[..pos] };
            if (text.Length == 0) continue; // an empty chunked message cannot be framed (chunk size 0 is a framing error)
            await c.SendRawAsync(Encoding.UTF8.GetBytes(text));
            var reply = await c.ReceiveAsync();
            Assert.True(reply is not null, "no reply to: " + text + " / " + c.ServerTask.Exception); // a reply to every message, well-formed or not
            Assert.Equal("rpc-reply", reply!.Name.LocalName);
        }
        Assert.Equal(before, ds.Read(Mgmt.Datastore.DatastoreName.Running, t => Mgmt.Yang.Encoding.XmlDataWriter.ToString(t)));
    }

    [Fact]
    public async Task A_flood_of_silent_connections_is_bounded_and_timed_out_and_service_continues()
    {
        Mgmt.Datastore.Users.UserStore.Open(_dir).Add(new Mgmt.Datastore.Users.User("admin", ["admin"], null, []));
        var server = new NetconfServer(Datastores.Open(Schema.Value, _dir),
            new NetconfOptions { MaxSessions = 16, HelloTimeout = TimeSpan.FromMilliseconds(500) });
        var silent = new List<(Stream Client, Task Server)>();
        for (var i = 0; i < 40; i++)
        {
            var (client, serverEnd) = DuplexPipe.Create();
            silent.Add((client, Task.Run(() => server.RunSessionAsync(serverEnd, "admin", false, CancellationToken.None), TestContext.Current.CancellationToken)));
        }
        Assert.True(server.SessionCount <= 16);
        // The hello timeout ends every silent session.
        await Task.WhenAll(silent.Select(s => s.Server)).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(0, server.SessionCount);
        foreach (var (client, _) in silent) await client.DisposeAsync();
        await using var c = await NetconfTestClient.ConnectAsync(server, "admin");
        Assert.NotNull((await c.RpcAsync("<get/>")).Element(XmlNames.Nc + "data"));
    }
}

internal static class XmlNames
{
    public static readonly System.Xml.Linq.XNamespace Nc = NetconfNames.BaseNs;
}
