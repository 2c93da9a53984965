namespace Mgmt.Datastore; internal static class Placeholder { }
