using System.Text.Json;
using Mgmt.Datastore.Operational;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// ietf-yang-library 1.1 (RFC 8525) state: one module set with every implemented module (features, deviations,
/// submodules) and the import-only ones, one schema for all datastores, and the content-id that changes when
/// the modules do (also in the yang-library capability). Added when the module is served.
/// </summary>
internal sealed class YangLibraryState : IStateProvider
{
    public const string Module = "ietf-yang-library";
    public const string Revision = "2019-01-04";
    public const string Namespace = "urn:ietf:params:xml:ns:yang:ietf-yang-library";

    /// <summary>The capability a NMDA server announces (RFC 8526 §2).</summary>
    public static string Capability(SchemaContext context) => $"{CapabilityBase}?revision={Revision}&content-id={context.ContentId}";

    public const string CapabilityBase = "urn:ietf:params:netconf:capability:yang-library:1.1";

    public void AddState(DataRoot operational)
    {
        if (operational.Context.GetModule(Module) is not { Implemented: true }) return;
        var state = JsonDataReader.Parse(operational.Context, Render(operational.Context), new DataParseOptions(DataContent.Data));
        foreach (var node in state.Children.ToArray())
        {
            state.Remove(node);
            operational.Add(node);
        }
    }

    private static byte[] Render(SchemaContext context)
    {
        var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer))
        {
            j.WriteStartObject();
            j.WriteStartObject(Module + ":yang-library");
            j.WriteStartArray("module-set");
            j.WriteStartObject();
            j.WriteString("name", "all");
            j.WriteStartArray("module");
            foreach (var m in context.Modules.Where(m => m.Implemented))
            {
                j.WriteStartObject();
                j.WriteString("name", m.Name);
                if (m.Revision is not null) j.WriteString("revision", m.Revision);
                j.WriteString("namespace", m.Namespace);
                Submodules(j, m);
                var features = m.Features.Values.Where(f => f.Enabled).Select(f => f.Name).ToList();
                if (features.Count > 0)
                {
                    j.WriteStartArray("feature");
                    foreach (var f in features) j.WriteStringValue(f);
                    j.WriteEndArray();
                }
                if (m.DeviatedBy.Count > 0)
                {
                    j.WriteStartArray("deviation");
                    foreach (var d in m.DeviatedBy.Where(d => d.Implemented)) j.WriteStringValue(d.Name);
                    j.WriteEndArray();
                }
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteStartArray("import-only-module");
            foreach (var m in context.Modules.Where(m => !m.Implemented))
            {
                j.WriteStartObject();
                j.WriteString("name", m.Name);
                j.WriteString("revision", m.Revision ?? "");
                j.WriteString("namespace", m.Namespace);
                Submodules(j, m);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteEndArray();

            j.WriteStartArray("schema");
            j.WriteStartObject();
            j.WriteString("name", "all");
            j.WriteStartArray("module-set");
            j.WriteStringValue("all");
            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteEndArray();

            j.WriteStartArray("datastore");
            foreach (var ds in new[] { "running", "candidate", "startup", "intended", "operational" })
            {
                j.WriteStartObject();
                j.WriteString("name", "ietf-datastores:" + ds);
                j.WriteString("schema", "all");
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteString("content-id", context.ContentId);
            j.WriteEndObject();
            j.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Submodules(Utf8JsonWriter j, YangModule m)
    {
        if (m.Submodules.Count == 0) return;
        j.WriteStartArray("submodule");
        foreach (var s in m.Submodules)
        {
            j.WriteStartObject();
            j.WriteString("name", s.Name);
            if (s.Revision is not null) j.WriteString("revision", s.Revision);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }
}
