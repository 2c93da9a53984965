using Mgmt.Datastore.Notifications;
using Mgmt.Datastore.Persistence;

namespace Mgmt.Northbound.Netconf;

/// <summary>
/// The capabilities a server announced last, kept in its state dir: a server that starts with other modules,
/// features or deviations than the run before (an upgrade, a module added to the YANG dir) begins its event
/// stream with RFC 6470 netconf-capability-change (changed by the server) and, when the YANG library changed,
/// RFC 8525 yang-library-update. A controller that replays the stream after reconnecting learns of it there.
/// </summary>
internal static class CapabilityChanges
{
    public const string FileName = "netconf-capabilities";

    public static void Announce(NetconfServer server)
    {
        var path = Path.Combine(server.Datastores.StateDir, FileName);
        var current = server.Capabilities;
        var previous = File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToList() : null;
        if (previous is not null && Compare(previous, current, DateTimeOffset.UtcNow) is { } change)
        {
            var bus = server.Datastores.Events;
            bus.Publish(change);
            var library = change.Modified.Concat(change.Added).FirstOrDefault(IsYangLibrary);
            if (library is not null && server.Datastores.Context.GetModule(YangLibraryState.Module) is { Implemented: true })
                bus.Publish(new YangLibraryUpdateEvent(change.Time, server.Datastores.Context.ContentId));
        }
        if (previous is null || !previous.SequenceEqual(current, StringComparer.Ordinal))
            AtomicFile.WriteText(path, string.Join('\n', current) + "\n");
    }

    /// <summary>
    /// What changed from <paramref name="before"/> to <paramref name="after"/>, or null when nothing did. A
    /// capability whose base URI (before <c>?</c>) stays with other parameters is modified (RFC 6470 §2.2).
    /// </summary>
    public static CapabilityChangeEvent? Compare(IReadOnlyList<string> before, IReadOnlyList<string> after, DateTimeOffset time)
    {
        var old = ByBase(before);
        var now = ByBase(after);
        var added = after.Where(c => !old.ContainsKey(Base(c))).ToList();
        var deleted = before.Where(c => !now.ContainsKey(Base(c))).ToList();
        var modified = after.Where(c => old.TryGetValue(Base(c), out var was) && was != c).ToList();
        return added.Count + deleted.Count + modified.Count == 0 ? null : new CapabilityChangeEvent(time, null, added, deleted, modified);
    }

    private static Dictionary<string, string> ByBase(IReadOnlyList<string> capabilities)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in capabilities) map.TryAdd(Base(c), c);
        return map;
    }

    private static string Base(string capability)
    {
        var q = capability.IndexOf('?');
        return q < 0 ? capability : capability[..q];
    }

    private static bool IsYangLibrary(string capability) => Base(capability) == YangLibraryState.CapabilityBase;
}
