using System.Text.Json.Nodes;
using FlowFunctions.Cli.Tests.Dev;

namespace FlowFunctions.Cli.Tests.Commands;

/// <summary>Runs the http sample against a real HTTP server on loopback (never the internet).</summary>
public sealed class HttpSampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-http-").FullName;
    private readonly EchoServer _api = new(request => request.Url!.AbsolutePath switch
    {
        "/customers" => (200, null, """{"customers":[{"id":"c1","plan":"gold"},{"id":"c2","plan":"silver"},{"id":"c3","plan":"free"}]}"""),
        "/scores" => (201, null, JsonNode.Parse(request.Body)!["plan"]!.GetValue<string>() switch
        {
            "gold" => """{"points":30}""",
            "silver" => """{"points":20}""",
            _ => """{"points":10}""",
        }),
        _ => (404, null, "{}"),
    });

    /// <summary>What the API received, as <c>METHOD /path body</c>.</summary>
    private IEnumerable<string> Requests => _api.Requests.Select(r => $"{r.Method} {r.Url!.AbsolutePath} {r.Body}".Trim());

    public void Dispose()
    {
        _api.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ApiEnrichmentSample_CallsTheApi_AndTotalsTheScores()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(
            "run", Path.Combine(RepositoryPaths.Samples, "api-enrichment.yaml"), "--store", Path.Combine(_dir, "flow.db"),
            "--input", $"api={_api.Url}", "--allow-host", "127.0.0.1", "--output", "json");

        stderr.ShouldBeEmpty();
        code.ShouldBe(0);
        JsonNode.Parse(stdout)!["outputs"]!.ToJsonString().ShouldBe("""{"customers":3,"points":60}""");
        Requests.Count(r => r == "GET /customers").ShouldBe(1);
        Requests.Count(r => r.StartsWith("POST /scores", StringComparison.Ordinal)).ShouldBe(3);
    }

    [Fact]
    public async Task ApiEnrichmentSample_WithoutAllowHost_IsRefusedByTheSsrfGuard()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(
            "run", Path.Combine(RepositoryPaths.Samples, "api-enrichment.yaml"), "--store", Path.Combine(_dir, "flow.db"),
            "--input", $"api={_api.Url}", "--output", "json");

        code.ShouldBe(1);
        JsonNode.Parse(stdout)!["nodes"]!["customers"]!["error"]!.GetValue<string>().ShouldContain("refused to connect to 127.0.0.1");
        stderr.ShouldContain("node 'customers' failed");
        Requests.ShouldBeEmpty();
    }
}
