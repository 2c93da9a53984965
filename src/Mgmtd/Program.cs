namespace Mgmt.Mgmtd; internal static class Program { private static int Main() => 0; }
