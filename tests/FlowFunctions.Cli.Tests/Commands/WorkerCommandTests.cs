namespace FlowFunctions.Cli.Tests.Commands;

public sealed class WorkerCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-worker-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("soon")]
    [InlineData("0s")]
    public async Task Worker_InvalidRetention_ExitsInvalidNamingTheOption(string retention)
    {
        var (code, _, stderr) = await CliRunner.RunAsync("worker", "--store", Path.Combine(_dir, "flow.db"), "--retention", retention);

        code.ShouldBe(2);
        stderr.ShouldContain("--retention");
    }
}
