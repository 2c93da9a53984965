using System.Globalization;
using System.Text;
using System.Text.Json;
using Mgmt.Datastore;
using Mgmt.Datastore.Operational;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// ietf-netconf-monitoring (RFC 6022) state: capabilities, datastores and their locks, the schemas get-schema
/// serves, sessions with their counters, and server statistics, under /netconf-state when the module is served.
/// </summary>
internal sealed class NetconfMonitoringState(NetconfServer server) : IStateProvider
{
    public const string Module = "ietf-netconf-monitoring";

    public void AddState(DataRoot operational)
    {
        if (operational.Context.GetModule(Module) is not { Implemented: true }) return;
        var state = JsonDataReader.Parse(operational.Context, Render(operational), new DataParseOptions(DataContent.Data));
        foreach (var node in state.Children.ToArray())
        {
            state.Remove(node);
            operational.Add(node);
        }
    }

    private byte[] Render(DataRoot operational)
    {
        var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer))
        {
            j.WriteStartObject();
            j.WriteStartObject(Module + ":netconf-state");

            j.WriteStartObject("capabilities");
            j.WriteStartArray("capability");
            foreach (var c in server.Capabilities) j.WriteStringValue(c);
            j.WriteEndArray();
            j.WriteEndObject();

            j.WriteStartObject("datastores");
            j.WriteStartArray("datastore");
            var locks = server.Datastores.Locks.Snapshot();
            foreach (var ds in new[] { DatastoreName.Running, DatastoreName.Candidate, DatastoreName.Startup })
            {
                j.WriteStartObject();
                j.WriteString("name", ds.Wire());
                if (locks.FirstOrDefault(l => l.Datastore == ds) is { Owner: not null } held)
                {
                    j.WriteStartObject("locks");
                    j.WriteStartObject("global-lock");
                    j.WriteNumber("locked-by-session", held.Owner.Id);
                    j.WriteString("locked-time", Time(held.Since));
                    j.WriteEndObject();
                    j.WriteEndObject();
                }
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();

            j.WriteStartObject("schemas");
            j.WriteStartArray("schema");
            var seen = new HashSet<(string, string)>();
            foreach (var m in operational.Context.Modules)
            {
                foreach (var (name, revision, ns) in new[] { (m.Name, m.Revision, m.Namespace) }.Concat(m.Submodules.Select(s => (s.Name, s.Revision, m.Namespace))))
                {
                    if (!seen.Add((name, revision ?? ""))) continue;
                    j.WriteStartObject();
                    j.WriteString("identifier", name);
                    j.WriteString("version", revision ?? "");
                    j.WriteString("format", Module + ":yang");
                    j.WriteString("namespace", ns);
                    j.WriteStartArray("location");
                    j.WriteStringValue("NETCONF");
                    j.WriteEndArray();
                    j.WriteEndObject();
                }
            }
            j.WriteEndArray();
            j.WriteEndObject();

            j.WriteStartObject("sessions");
            j.WriteStartArray("session");
            foreach (var s in server.Sessions.OrderBy(s => s.Info.Id))
            {
                j.WriteStartObject();
                j.WriteNumber("session-id", s.Info.Id);
                j.WriteString("transport", Module + ":" + s.Transport);
                j.WriteString("username", s.Info.User);
                if (s.SourceHost is not null) j.WriteString("source-host", s.SourceHost);
                j.WriteString("login-time", Time(s.LoginTime));
                Counters(j, s.Counters);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();

            j.WriteStartObject("statistics");
            j.WriteString("netconf-start-time", Time(server.StartTime));
            j.WriteNumber("in-bad-hellos", (uint)server.Counters.InBadHellos);
            j.WriteNumber("in-sessions", (uint)server.Counters.InSessions);
            j.WriteNumber("dropped-sessions", (uint)server.Counters.DroppedSessions);
            Counters(j, server.Counters);
            j.WriteEndObject();

            j.WriteEndObject();
            j.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Counters(Utf8JsonWriter j, NetconfCounters c)
    {
        // zero-based-counter32: they wrap at 2^32 (RFC 6991).
        j.WriteNumber("in-rpcs", (uint)c.InRpcs);
        j.WriteNumber("in-bad-rpcs", (uint)c.InBadRpcs);
        j.WriteNumber("out-rpc-errors", (uint)c.OutRpcErrors);
        j.WriteNumber("out-notifications", (uint)c.OutNotifications);
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
