namespace FlowFunctions.Cli.Tests;

/// <summary>Finds files of the repository (samples, the built CLI) from the test's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Samples => Path.Combine(Root, "samples");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlowFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FlowFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}
