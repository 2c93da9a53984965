namespace Mgmt.Tests.Shared;

/// <summary>Where the repository is (yang/, features/, ../shared), wherever the test build output goes.</summary>
internal static class RepoPaths
{
    public static readonly string Root = typeof(RepoPaths).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;

    public static string Yang => Path.Combine(Root, "yang");
}
