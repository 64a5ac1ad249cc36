using FlowFunctions.Cli.Dev;

namespace FlowFunctions.Cli.Tests.Dev;

/// <summary>Where <c>flow dev</c> installs Azurite: the nearest folder whose package.json lists it.</summary>
public sealed class ProjectRootTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-root-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Find_FromASubfolder_ReturnsTheFolderWhosePackageJsonListsAzurite()
    {
        File.WriteAllText(Path.Combine(_dir, "package.json"), """{"devDependencies":{"azurite":"3.35.0"}}""");
        var sub = Directory.CreateDirectory(Path.Combine(_dir, "a", "b")).FullName;

        ProjectRoot.Find(sub).ShouldBe(_dir);
    }

    [Fact]
    public void Find_SkipsPackageJsonsWithoutAzurite_AndUnreadableOnes()
    {
        File.WriteAllText(Path.Combine(_dir, "package.json"), """{"dependencies":{"azurite":"^3"}}""");
        var middle = Directory.CreateDirectory(Path.Combine(_dir, "app")).FullName;
        File.WriteAllText(Path.Combine(middle, "package.json"), """{"devDependencies":{"typescript":"5.0.0"}}""");
        var inner = Directory.CreateDirectory(Path.Combine(middle, "web")).FullName;
        File.WriteAllText(Path.Combine(inner, "package.json"), "{ not json");

        ProjectRoot.Find(inner).ShouldBe(_dir);
    }

    [Fact]
    public void Find_NoPackageJsonListsAzurite_ReturnsNothingAtOrBelowTheStart()
    {
        File.WriteAllText(Path.Combine(_dir, "package.json"), """{"name":"x"}""");

        var found = ProjectRoot.Find(_dir);

        // Whatever is above the temp folder is not ours to control; the folder itself must not qualify.
        (found is null || !found.StartsWith(_dir, StringComparison.Ordinal)).ShouldBeTrue(found);
    }

    [Fact]
    public void TheRepository_IsAProjectRoot()
    {
        ProjectRoot.Find(RepositoryPaths.Samples).ShouldBe(RepositoryPaths.Root);
    }
}
