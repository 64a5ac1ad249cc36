using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.Commands;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public static TheoryData<string> SampleFiles() => [.. Directory.GetFiles(RepositoryPaths.Samples).Select(f => Path.GetFileName(f))];

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public async Task Validate_EverySample_IsValid(string sample)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("validate", Path.Combine(RepositoryPaths.Samples, sample));

        stderr.ShouldBeEmpty();
        code.ShouldBe(0);
        stdout.ShouldContain("valid");
    }

    [Fact]
    public void Samples_AreAtLeastFiveAndIncludeBothFormats()
    {
        var files = Directory.GetFiles(RepositoryPaths.Samples);

        files.Length.ShouldBeGreaterThanOrEqualTo(5);
        files.ShouldContain(f => f.EndsWith(".json", StringComparison.Ordinal));
        files.ShouldContain(f => f.EndsWith(".yaml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_InvalidSpec_PrintsOneLinePerErrorToStderrAndExits2()
    {
        var path = Write("bad.yaml", "name: ok\nnodes:\n  - id: a\n    type: echo\n    needs: [nope]\n  - id: a\n    type: ech\n");

        var (code, stdout, stderr) = await CliRunner.RunAsync("validate", path);

        code.ShouldBe(2);
        stdout.ShouldBeEmpty();
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(
        [
            $"{path}:5:13: /nodes/0/needs/0: node 'a' needs 'nope', which is not a node",
            $"{path}:6:9: /nodes/1/id: duplicate node id 'a' (first declared at /nodes/0)",
            $"{path}:7:11: /nodes/1/type: unknown node type 'ech'; did you mean 'echo'? Known types: delay, echo, fail, http, map, transform, wait",
        ]);
    }

    [Fact]
    public async Task Validate_OutputJson_PrintsTheErrorDocument()
    {
        var path = Write("bad.json", "{\n  \"name\": \"ok\",\n  \"nodes\": [\n    {\"id\": \"a\", \"type\": \"echo\", \"needs\": [\"b\"]}\n  ]\n}\n");

        var (code, stdout, _) = await CliRunner.RunAsync("validate", path, "--output", "json");

        code.ShouldBe(2);
        var json = JsonNode.Parse(stdout)!;
        json["valid"]!.GetValue<bool>().ShouldBeFalse();
        var error = json["errors"]!.AsArray().ShouldHaveSingleItem()!;
        error.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).ShouldBe("""{"path":"/nodes/0/needs/0","line":4,"column":43,"message":"node 'a' needs 'b', which is not a node"}""");
    }

    [Fact]
    public async Task Validate_OutputJson_ForAValidSpec()
    {
        var path = Write("ok.yaml", "name: ok\nnodes: [{ id: a, type: echo }]\n");

        var (code, stdout, stderr) = await CliRunner.RunAsync("validate", path, "--output", "json");

        code.ShouldBe(0);
        stderr.ShouldBeEmpty();
        stdout.Trim().ShouldBe("""{"valid":true,"errors":[]}""");
    }

    [Theory]
    [InlineData("missing.yaml", "file not found")]
    [InlineData("spec.txt", "cannot tell the format")]
    public async Task Validate_FileProblems_ArePlainMessagesWithExit2(string name, string message)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("validate", Path.Combine(_dir, name));

        code.ShouldBe(2);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain(message);
        stderr.ShouldNotContain(" at ");
    }

    [Fact]
    public async Task Validate_ADirectory_IsAPlainError()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("validate", Directory.CreateDirectory(Path.Combine(_dir, "d.yaml")).FullName);

        code.ShouldBe(2);
        stderr.ShouldContain("is a directory");
    }

    [Fact]
    public async Task Validate_FormatOption_OverridesTheExtension()
    {
        var path = Write("spec.txt", "{\"name\": \"ok\", \"nodes\": [{\"id\": \"a\", \"type\": \"echo\"}]}");

        (await CliRunner.RunAsync("validate", path, "--format", "json")).ExitCode.ShouldBe(0);
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("validate", "a.yaml", "--output", "xml")]
    [InlineData("nonsense")]
    public async Task BadUsage_Exits2(params string[] args)
    {
        var (code, _, stderr) = await CliRunner.RunAsync(args);

        code.ShouldBe(2);
        stderr.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task TheBuiltExecutable_ReturnsTheSameExitCodes()
    {
        var bad = Write("bad.yaml", "name: x\n");
        var flow = Path.Combine(AppContext.BaseDirectory, "flow.dll");
        var start = new ProcessStartInfo("dotnet", [flow, "validate", bad]) { RedirectStandardError = true, RedirectStandardOutput = true };

        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.ShouldBe(2);
        stderr.Trim().ShouldBe($"{bad}:1:1: /: missing required field 'nodes'");
    }
}
