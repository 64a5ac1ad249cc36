namespace FlowFunctions.Host.Tests.Deployment;

/// <summary>Files of the repository the tests read (infra/, azure.yaml, host.json, scripts/).</summary>
internal static class Repository
{
    /// <summary>The repository root: the nearest ancestor of the test binaries holding test.sh.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The full path of a repository file given with '/' separators.</summary>
    public static string PathOf(string relative) => Path.Combine([Root, .. relative.Split('/')]);

    /// <summary>The text of a repository file given with '/' separators.</summary>
    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "test.sh")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
