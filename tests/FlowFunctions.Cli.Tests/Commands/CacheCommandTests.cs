using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.Commands;

/// <summary>The step cache through the CLI: a second run is Cached in `flow status`, `flow cache clear` counts and invalidates.</summary>
public sealed class CacheCommandTests : IDisposable
{
    private const string Spec = """
        name: cached-greeting
        inputs:
          who: { type: string, default: ann }
        nodes:
          - id: greet
            type: echo
            with: { greeting: "hello ${{ inputs.who }}" }
            cache: { ttl: 1h }
          - { id: after, type: echo, needs: [greet], with: "${{ nodes.greet.output.greeting }}" }
        outputs:
          said: "${{ nodes.after.output }}"
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("flow-cache-").FullName;

    private string Store => Path.Combine(_dir, "flow.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task SecondRun_IsCachedInStatus_ClearCountsPerScope_AndTheNextRunExecutesAgain()
    {
        var spec = Path.Combine(_dir, "cached.yaml");
        await File.WriteAllTextAsync(spec, Spec);
        (await RunAsync(spec)).Greet["status"]!.GetValue<string>().ShouldBe("Succeeded");
        await RunAsync(spec, "who=bob");

        var (runId, greet) = await RunAsync(spec);
        (greet["status"]!.GetValue<string>(), greet["attempts"]!.GetValue<int>(), greet["error"]).ShouldBe(("Cached", 0, null));
        greet["output"]!.ToJsonString().ShouldBe("""{"greeting":"hello ann"}""");
        var text = await CliRunner.RunAsync("status", runId, "--store", Store);
        text.Stdout.ShouldContain("Cached");
        text.Stdout.ShouldContain("output from the step cache");

        (await CliRunner.RunAsync("cache", "clear", "--workflow", "other", "--store", Store)).Stdout.Trim().ShouldBe("Removed 0 cache entries.");
        var one = await CliRunner.RunAsync("cache", "clear", "--workflow", "cached-greeting", "--node", "greet", "--store", Store, "--output", "json");
        (one.ExitCode, one.Stdout.Trim()).ShouldBe((0, """{"removed":2}"""));
        (await RunAsync(spec)).Greet["status"]!.GetValue<string>().ShouldBe("Succeeded");

        var all = await CliRunner.RunAsync("cache", "clear", "--store", Store);
        (all.ExitCode, all.Stdout.Trim(), all.Stderr).ShouldBe((0, "Removed 1 cache entry.", string.Empty));
    }

    [AzureFact]
    public async Task OnAzureStorage_ASecondRunIsCached_AndClearRemovesTheEntry()
    {
        // A workflow name of its own: the account is shared with other tests and may outlive this run.
        var workflow = "cached-" + Guid.NewGuid().ToString("N")[..12];
        var spec = Path.Combine(_dir, "cached.yaml");
        await File.WriteAllTextAsync(spec, Spec.Replace("name: cached-greeting", "name: " + workflow, StringComparison.Ordinal));
        var azure = Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)!;

        (await RunAsync(spec, store: azure)).Greet["status"]!.GetValue<string>().ShouldBe("Succeeded");
        (await RunAsync(spec, store: azure)).Greet["status"]!.GetValue<string>().ShouldBe("Cached");
        (await CliRunner.RunAsync("cache", "clear", "--workflow", workflow, "--store", azure)).Stdout.Trim().ShouldBe("Removed 1 cache entry.");
        (await RunAsync(spec, store: azure)).Greet["status"]!.GetValue<string>().ShouldBe("Succeeded");
        (await CliRunner.RunAsync("cache", "clear", "--workflow", workflow, "--store", azure)).ExitCode.ShouldBe(0);
    }

    private async Task<(string RunId, JsonNode Greet)> RunAsync(string spec, string input = "who=ann", string? store = null)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("run", spec, "--input", input, "--store", store ?? Store, "--output", "json");
        code.ShouldBe(0, stderr);
        var document = JsonNode.Parse(stdout)!;
        return (document["runId"]!.GetValue<string>(), document["nodes"]!["greet"]!);
    }
}
