using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.Commands;

public sealed class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-run-").FullName;

    private string Store => Path.Combine(_dir, "flow.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Sample(string name) => Path.Combine(RepositoryPaths.Samples, name);

    public static TheoryData<string, string, string> Samples() => new()
    {
        { "etl-report.yaml", "", """{"count":3,"message":"Processed 3 files in eu, starting with sales.csv"}""" },
        { "etl-report.yaml", "region=us", """{"count":3,"message":"Processed 3 files in us, starting with sales.csv"}""" },
        { "fanout-report.yaml", "", """{"title":"Report for 2026-Q3","sales":1250,"sources":3}""" },
        { "conditional-approval.yaml", "amount=1500", """{"decision":"approved","route":"review"}""" },
        { "conditional-approval.yaml", "amount=20", """{"decision":"approved","route":"automatic"}""" },
        { "flaky-retries.yaml", "", """{"rows":42,"enriched":false}""" },
        { "reminder-delay.json", "wait=200ms", """{"sent":2}""" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Run_Sample_SucceedsWithTheExpectedOutputs(string sample, string input, string outputs)
    {
        string[] inputArgs = input.Length == 0 ? [] : ["--input", input];

        var (code, stdout, stderr) = await CliRunner.RunAsync(["run", Sample(sample), "--store", Store, "--output", "json", .. inputArgs]);

        stderr.ShouldBeEmpty();
        code.ShouldBe(0);
        var document = JsonNode.Parse(stdout)!;
        document["status"]!.GetValue<string>().ShouldBe("Succeeded");
        document["runId"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        JsonNode.DeepEquals(document["outputs"], JsonNode.Parse(outputs)).ShouldBeTrue(document["outputs"]!.ToJsonString());
        foreach (var (id, node) in document["nodes"]!.AsObject())
        {
            node!["status"]!.GetValue<string>().ShouldBeOneOf(["Succeeded", "Skipped", "Failed"], id);
        }
    }

    [Fact]
    public async Task Run_JsonDocument_HasExactlyTheContractedShape()
    {
        var (_, stdout, _) = await CliRunner.RunAsync("run", Sample("flaky-retries.yaml"), "--store", Store, "--output", "json");

        var document = JsonNode.Parse(stdout)!.AsObject();
        document.Select(p => p.Key).ShouldBe(["runId", "status", "outputs", "nodes"]);
        var fetch = document["nodes"]!["fetch"]!.AsObject();
        fetch.Select(p => p.Key).ShouldBe(["status", "attempts", "output", "error"]);
        fetch["attempts"]!.GetValue<int>().ShouldBe(3);
        document["nodes"]!["best-effort"]!["error"]!.GetValue<string>().ShouldBe("optional enrichment is down");
    }

    [Fact]
    public async Task Run_MapChildren_AppearAsIndexedNodes()
    {
        var (_, stdout, _) = await CliRunner.RunAsync("run", Sample("etl-report.yaml"), "--store", Store, "--output", "json");

        var nodes = JsonNode.Parse(stdout)!["nodes"]!.AsObject().Select(p => p.Key).ToList();
        nodes.ShouldBe(["list", "each", "each[0]", "each[1]", "each[2]", "total", "announce"]);
    }

    [Fact]
    public async Task Run_FailingWorkflow_Exits1_WithTheReasonOnStderr()
    {
        var spec = Write("fails.yaml", "name: fails\nnodes:\n  - { id: boom, type: fail, with: { message: disk full } }\n");

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", spec, "--store", Store, "--output", "json");

        code.ShouldBe(1);
        JsonNode.Parse(stdout)!["status"]!.GetValue<string>().ShouldBe("Failed");
        stderr.ShouldContain("node 'boom' failed: disk full");
    }

    [Theory]
    [InlineData("limit=ten", "input 'limit' must be integer, got 'ten'")]
    [InlineData("regoin=us", "unknown input 'regoin'; did you mean 'region'?")]
    [InlineData("novalue", "--input 'novalue' must look like name=value")]
    public async Task Run_BadInput_Exits2WithAMessage(string input, string message)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("run", Sample("etl-report.yaml"), "--store", Store, "--input", input);

        code.ShouldBe(2);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain(message);
    }

    [Fact]
    public async Task Run_MissingRequiredInput_Exits2()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("run", Sample("conditional-approval.yaml"), "--store", Store);

        code.ShouldBe(2);
        stderr.ShouldContain("missing required input 'amount' (number)");
    }

    [Fact]
    public async Task Run_InputFile_IsReadAndOverriddenByInputFlags()
    {
        var inputs = Write("inputs.json", """{"amount": 5, "customer": "globex"}""");

        var (code, stdout, _) = await CliRunner.RunAsync("run", Sample("conditional-approval.yaml"), "--store", Store, "--input-file", inputs, "--input", "amount=5000", "--output", "json");

        code.ShouldBe(0);
        var notify = JsonNode.Parse(stdout)!["nodes"]!["notify"]!["output"]!;
        notify["to"]!.GetValue<string>().ShouldBe("globex");
        notify["route"]!.GetValue<string>().ShouldBe("review");
    }

    [Fact]
    public async Task Run_InvalidSpec_Exits2WithLocatedErrors()
    {
        var spec = Write("bad.yaml", "name: bad\nnodes:\n  - { id: a, type: echo, needs: [b] }\n");

        var (code, _, stderr) = await CliRunner.RunAsync("run", spec, "--store", Store);

        code.ShouldBe(2);
        stderr.ShouldContain($"{spec}:3:34: /nodes/0/needs/0:");
    }

    [Fact]
    public async Task Run_BadTimeout_Exits2()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("run", Sample("etl-report.yaml"), "--store", Store, "--timeout", "soon");

        code.ShouldBe(2);
        stderr.ShouldContain("--timeout");
    }

    [Fact]
    public async Task Run_Timeout_StopsWaitingAndLeavesTheRunInTheStore()
    {
        var spec = Write("slow.yaml", "name: slow\nnodes:\n  - { id: wait, type: delay, with: { duration: 1h } }\n");

        var (code, stdout, stderr) = await CliRunner.RunAsync("run", spec, "--store", Store, "--timeout", "300ms", "--output", "json");

        code.ShouldBe(1);
        var document = JsonNode.Parse(stdout)!;
        document["status"]!.GetValue<string>().ShouldBe("Running");
        document["nodes"]!["wait"]!["status"]!.GetValue<string>().ShouldBe("Waiting");
        stderr.ShouldContain("stopped waiting after 300ms");
    }

    [Fact]
    public async Task Detach_Status_Runs_And_Events_WorkOnTheSameStore()
    {
        var (detachCode, detachOut, _) = await CliRunner.RunAsync("run", Sample("fanout-report.yaml"), "--store", Store, "--detach");
        detachCode.ShouldBe(0);
        var runId = detachOut.Trim();
        runId.ShouldNotContain("\n");

        var (_, pending, _) = await CliRunner.RunAsync("status", runId, "--store", Store, "--output", "json");
        JsonNode.Parse(pending)!["status"]!.GetValue<string>().ShouldBe("Running");

        var (_, finished, _) = await CliRunner.RunAsync("run", Sample("etl-report.yaml"), "--store", Store, "--output", "json");
        var (statusCode, status, _) = await CliRunner.RunAsync("status", runId, "--store", Store, "--output", "json");
        statusCode.ShouldBe(0);
        JsonNode.Parse(status)!["status"]!.GetValue<string>().ShouldBe("Succeeded", "the embedded worker of the second run also works the detached one");

        var (_, runs, _) = await CliRunner.RunAsync("runs", "--store", Store, "--output", "json");
        var listed = JsonNode.Parse(runs)!["runs"]!.AsArray();
        listed.Count.ShouldBe(2);
        listed[0]!["runId"]!.GetValue<string>().ShouldBe(JsonNode.Parse(finished)!["runId"]!.GetValue<string>());

        var (eventsCode, events, _) = await CliRunner.RunAsync("events", runId, "--store", Store, "--output", "json");
        eventsCode.ShouldBe(0);
        var history = JsonNode.Parse(events)!.AsArray();
        history.Count(e => e!["nodeId"]!.GetValue<string>() == "sales" && e["to"]!.GetValue<string>() == "Succeeded").ShouldBe(1);
        history.ShouldAllBe(e => e!["at"] != null && e["attempt"] != null);
    }

    [Fact]
    public async Task Status_UnknownRun_Exits2()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("status", "nope", "--store", Store);

        code.ShouldBe(2);
        stderr.ShouldContain("no run 'nope'");
    }
}
