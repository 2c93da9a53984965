using System.Xml.Linq;
using Mgmt.Datastore.Transactions;
using Mgmt.Datastore.Users;
using Mgmt.Northbound.Netconf;
using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Northbound.Tests;

/// <summary>What the in-memory NETCONF tests share: the served schema, namespaces, a state dir with users.</summary>
internal static class TestWorld
{
    public static readonly Lazy<SchemaContext> Schema = new(() => SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang, NetconfServer.UnsupportedFeatures));

    public static readonly XNamespace Nc = NetconfNames.BaseNs;
    public static readonly XNamespace If = "urn:ietf:params:xml:ns:yang:ietf-interfaces";

    /// <summary>A state dir whose users are all in group admin, and the datastores over it.</summary>
    public static Datastores OpenDatastores(string dir, params string[] admins)
    {
        var users = UserStore.Open(dir);
        foreach (var name in admins) users.Add(new User(name, ["admin"], null, []));
        return Datastores.Open(Schema.Value, dir);
    }
}
