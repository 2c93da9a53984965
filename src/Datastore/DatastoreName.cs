namespace Mgmt.Datastore;

/// <summary>The NMDA datastores (RFC 8342 §5).</summary>
public enum DatastoreName { Running, Candidate, Startup, Intended, Operational }

public static class DatastoreNames
{
    /// <summary>The ietf-datastores identity (RFC 8342 §7), e.g. <c>ietf-datastores:running</c>.</summary>
    public static string Identity(this DatastoreName name) => "ietf-datastores:" + Wire(name);

    /// <summary>The name as NETCONF writes it (<c>&lt;running/&gt;</c>) and RESTCONF in <c>/ds/ietf-datastores:…</c>.</summary>
    public static string Wire(this DatastoreName name) => name switch
    {
        DatastoreName.Running => "running",
        DatastoreName.Candidate => "candidate",
        DatastoreName.Startup => "startup",
        DatastoreName.Intended => "intended",
        _ => "operational",
    };

    public static bool TryParse(string wire, out DatastoreName name)
    {
        var local = wire.StartsWith("ietf-datastores:", StringComparison.Ordinal) ? wire["ietf-datastores:".Length..] : wire;
        (var ok, name) = local switch
        {
            "running" => (true, DatastoreName.Running),
            "candidate" => (true, DatastoreName.Candidate),
            "startup" => (true, DatastoreName.Startup),
            "intended" => (true, DatastoreName.Intended),
            "operational" => (true, DatastoreName.Operational),
            _ => (false, DatastoreName.Running),
        };
        return ok;
    }

    /// <summary>Datastores that hold configuration a client may write (intended and operational are read-only).</summary>
    public static bool IsWritable(this DatastoreName name) => name is DatastoreName.Running or DatastoreName.Candidate or DatastoreName.Startup;
}
