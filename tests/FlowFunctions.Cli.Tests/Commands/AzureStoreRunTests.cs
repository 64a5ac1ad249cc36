using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.Commands;

/// <summary>
/// The CLI against an Azure Storage account (Azurite under ./test.sh, which sets FLOWFUNCTIONS_TEST_AZURE): the same
/// commands and documents as on SQLite. Without the variable they are reported as skipped, with the reason.
/// </summary>
public sealed class AzureStoreRunTests
{
    private static readonly string Store = Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable) ?? string.Empty;

    private static string Sample(string name) => Path.Combine(RepositoryPaths.Samples, name);

    [AzureTheory]
    [InlineData("etl-report.yaml", """{"count":3,"message":"Processed 3 files in eu, starting with sales.csv"}""")]
    [InlineData("flaky-retries.yaml", """{"rows":42,"enriched":false}""")]
    [InlineData("fanout-report.yaml", """{"title":"Report for 2026-Q3","sales":1250,"sources":3}""")]
    public async Task Run_OnAzureStorage_SucceedsWithTheSameOutputs(string sample, string outputs)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("run", Sample(sample), "--store", Store, "--output", "json");

        stderr.ShouldBeEmpty();
        code.ShouldBe(0);
        var document = JsonNode.Parse(stdout)!;
        JsonNode.DeepEquals(document["outputs"], JsonNode.Parse(outputs)).ShouldBeTrue(document["outputs"]!.ToJsonString());

        var runId = document["runId"]!.GetValue<string>();
        var (statusCode, status, _) = await CliRunner.RunAsync("status", runId, "--store", Store, "--output", "json");
        statusCode.ShouldBe(0);
        JsonNode.DeepEquals(JsonNode.Parse(status), document).ShouldBeTrue();
        var (_, events, _) = await CliRunner.RunAsync("events", runId, "--store", Store, "--output", "json");
        JsonNode.Parse(events)!.AsArray().ShouldNotBeEmpty();
    }
}

/// <summary><c>--engine</c>: the durable engine through the CLI, and its refusal on SQLite.</summary>
public sealed class EngineOptionTests
{
    private static string Sample(string name) => Path.Combine(RepositoryPaths.Samples, name);

    [AzureTheory]
    [InlineData("etl-report.yaml", """{"count":3,"message":"Processed 3 files in eu, starting with sales.csv"}""")]
    [InlineData("fanout-report.yaml", """{"title":"Report for 2026-Q3","sales":1250,"sources":3}""")]
    public async Task RunWithTheDurableEngine_SucceedsWithTheNativeOutputs_AndIsReadLikeAnyRun(string sample, string outputs)
    {
        var store = Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)!.TrimEnd(';') + ";NamePrefix=eng" + Guid.NewGuid().ToString("N")[..10];
        var (code, stdout, stderr) = await CliRunner.RunAsync("run", Sample(sample), "--store", store, "--engine", "durable", "--output", "json");

        code.ShouldBe(0, stderr);
        var document = JsonNode.Parse(stdout)!;
        JsonNode.DeepEquals(document["outputs"], JsonNode.Parse(outputs)).ShouldBeTrue(document["outputs"]!.ToJsonString());
        var (statusCode, status, _) = await CliRunner.RunAsync("status", document["runId"]!.GetValue<string>(), "--store", store, "--output", "json");
        statusCode.ShouldBe(0);
        JsonNode.DeepEquals(JsonNode.Parse(status), document).ShouldBeTrue();
    }

    [Theory]
    [InlineData("run")]
    [InlineData("worker")]
    public async Task TheDurableEngineOnSqlite_IsRefusedWithTheReason(string command)
    {
        var dir = Directory.CreateTempSubdirectory("flow-engine-").FullName;
        try
        {
            string[] args = command == "run"
                ? ["run", Sample("etl-report.yaml"), "--store", Path.Combine(dir, "flow.db"), "--engine", "durable"]
                : ["worker", "--store", Path.Combine(dir, "flow.db"), "--engine", "durable"];
            var (code, stdout, stderr) = await CliRunner.RunAsync(args);
            code.ShouldBe(2);
            stdout.ShouldBeEmpty();
            stderr.Trim().ShouldBe("flow: --engine durable needs an Azure Storage store (e.g. --store UseDevelopmentStorage=true with Azurite); the embedded SQLite store runs the native engine only");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task AnUnknownEngine_IsAUsageError()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("worker", "--engine", "sideways");
        code.ShouldBe(2);
        stderr.ShouldContain("sideways");
    }
}

/// <summary>A theory that needs an Azure Storage account: skipped, with the way to run it, when none is configured.</summary>
public sealed class AzureTheoryAttribute : TheoryAttribute
{
    public const string Variable = "FLOWFUNCTIONS_TEST_AZURE";

    public AzureTheoryAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"needs Azurite: run ./test.sh (it starts Azurite and sets {Variable})";
        }
    }
}

/// <summary>A fact that needs an Azure Storage account: skipped, with the way to run it, when none is configured.</summary>
public sealed class AzureFactAttribute : FactAttribute
{
    public AzureFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)))
        {
            Skip = $"needs Azurite: run ./test.sh (it starts Azurite and sets {AzureTheoryAttribute.Variable})";
        }
    }
}
