using System.Net;
using FlowFunctions.Cli.Tests.Commands;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace FlowFunctions.Cli.Tests.Mcp;

/// <summary>
/// The MCP server driven by the SDK's own client over both transports, on SQLite and on Azurite: an agent's session
/// from a broken spec to a patched run that succeeds, and the refusals that keep an agent from changing what it should not.
/// </summary>
public sealed class McpSessionTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>Two problems: an unknown node type and a need of a node that does not exist.</summary>
    private const string BrokenSpec = """
        name: mcp-agent
        nodes:
          - id: fetch
            type: ecko
          - id: load
            type: fail
            needs: [fetsh]
        """;

    /// <summary>load fails (and the run goes on); publish waits for an approval, so the run is still running when the agent patches it.</summary>
    private const string Spec = """
        name: mcp-agent
        nodes:
          - id: fetch
            type: echo
            with: { rows: 3 }
          - id: load
            type: fail
            needs: [fetch]
            onFailure: continue
            retry: { maxAttempts: 1 }
            with: { message: "table 'sales' does not exist" }
          - id: approval
            type: wait
            with: { event: approved }
          - id: publish
            type: transform
            needs: [approval]
            with: { approvedBy: "${{ nodes.approval.output.by }}" }
        outputs:
          publish: ${{ nodes.publish.output }}
        """;

    private static readonly JsonObject Patch = JsonNode.Parse("""
        {
          "reason": "load's table is gone; load through the staging copy",
          "operations": [
            { "op": "addNode", "node": { "id": "load-staging", "type": "echo", "needs": ["fetch"], "with": { "rows": "${{ nodes.fetch.output.rows }}" } } },
            { "op": "updateNode", "id": "publish", "needs": ["approval", "load-staging"], "with": { "approvedBy": "${{ nodes.approval.output.by }}", "rows": "${{ nodes.load-staging.output.rows }}" } }
          ]
        }
        """)!.AsObject();

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("ff-mcp-");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public Task AgentSession_OnSqlite_FixesSpecStartsRunPatchesItAndSucceeds(string transport) => AgentSessionAsync(transport, "sqlite");

    [AzureTheory]
    [InlineData("stdio")]
    [InlineData("http")]
    public Task AgentSession_OnAzurite_FixesSpecStartsRunPatchesItAndSucceeds(string transport) => AgentSessionAsync(transport, "azure");

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Tools_AreAnnotatedAndDescribed(string transport)
    {
        await using var server = await McpServers.StartAsync(transport, McpServers.Store("sqlite", _folder));
        var client = await server.ConnectAsync();

        var tools = (await client.ListToolsAsync()).ToDictionary(t => t.Name, t => t.ProtocolTool);
        tools.Keys.Order().ShouldBe(
        [
            "apply_patch", "cancel_run", "explain_failure", "get_events", "get_node", "get_run", "list_runs", "list_workflows", "pause_run",
            "plan_patch", "raise_event", "redrive", "rerun_from", "resume_run", "start_run", "validate_spec",
        ]);
        tools.Values.ShouldAllBe(t => !string.IsNullOrEmpty(t.Description));
        tools["apply_patch"].Annotations!.DestructiveHint.ShouldBe(true);
        tools["cancel_run"].Annotations!.DestructiveHint.ShouldBe(true);
        tools["start_run"].Annotations!.DestructiveHint.ShouldBe(false);
        foreach (var read in new[] { "validate_spec", "list_workflows", "list_runs", "get_run", "get_node", "get_events", "explain_failure", "plan_patch" })
        {
            tools[read].Annotations!.ReadOnlyHint.ShouldBe(true, read);
        }

        var templates = (await client.ListResourceTemplatesAsync()).Select(t => t.UriTemplate).Order().ToList();
        templates.ShouldBe(["flow://runs/{runId}", "flow://workflows/{name}", "flow://workflows/{name}/{version}"]);
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task MalformedArguments_AreToolErrorsNamingTheField_AndTheServerKeepsServing(string transport)
    {
        await using var server = await McpServers.StartAsync(transport, McpServers.Store("sqlite", _folder));
        var client = await server.ConnectAsync();

        (await ErrorAsync(client, "get_run", [])).ShouldBe("get_run: 'runId' is required");
        (await ErrorAsync(client, "get_run", new() { ["runId"] = 42 })).ShouldBe("get_run: 'runId' must be a string, not the number 42");
        (await ErrorAsync(client, "list_runs", new() { ["limit"] = "ten" })).ShouldBe("list_runs: 'limit' must be an integer (32-bit), not a string");
        (await ErrorAsync(client, "list_runs", new() { ["limit"] = 1e12 })).ShouldStartWith("list_runs: 'limit' must be an integer");
        (await ErrorAsync(client, "list_runs", new() { ["limit"] = 0 })).ShouldBe("list_runs: 'limit' must be from 1 to 200, not 0");
        (await ErrorAsync(client, "list_runs", new() { ["status"] = "Exploded" })).ShouldStartWith("list_runs: 'status' must be one of");
        (await ErrorAsync(client, "list_runs", new() { ["stauts"] = "Failed" })).ShouldStartWith("list_runs: unknown argument 'stauts'; it takes 'status', 'workflow'");
        (await ErrorAsync(client, "start_run", new() { ["spec"] = Spec, ["inputs"] = new[] { 1, 2 } })).ShouldBe("start_run: 'inputs' must be an object, not an array");
        (await ErrorAsync(client, "plan_patch", new() { ["runId"] = "r", ["patch"] = "add a node" })).ShouldBe("plan_patch: 'patch' must be an object {\"operations\": [...]}, not a string");
        (await ErrorAsync(client, "get_run", new() { ["runId"] = "no-such-run" })).ShouldBe("get_run: no run 'no-such-run'");
        (await ErrorAsync(client, "start_run", new() { ["spec"] = Spec, ["workflow"] = "mcp-agent" })).ShouldContain("not both or neither");

        var unknownTool = await Should.ThrowAsync<McpProtocolException>(() => client.CallToolAsync("delete_everything").AsTask());
        unknownTool.Message.ShouldContain("delete_everything");

        var valid = await CallAsync(client, "validate_spec", new() { ["spec"] = Spec });
        valid["valid"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Limits_RequestResultAndRate_AreRefusedNamingTheSetting(string transport)
    {
        var settings = new Dictionary<string, string>
        {
            ["FlowFunctions:Mcp:MaxRequestBytes"] = "4096",
            ["FlowFunctions:Mcp:MaxResultBytes"] = "2048",
            ["FlowFunctions:Mcp:CallsPerMinute"] = "3",
        };
        await using var server = await McpServers.StartAsync(transport, McpServers.Store("sqlite", _folder), settings);
        var client = await server.ConnectAsync();

        (await ErrorAsync(client, "validate_spec", new() { ["spec"] = "name: big\n# " + new string('x', 5000) }))
            .ShouldMatch(@"^validate_spec: the arguments are \d+ bytes, over the limit of 4096 \(FlowFunctions:Mcp:MaxRequestBytes\)$");
        var manyErrors = "name: many\nnodes:\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"  - {{ id: n{i}, type: nope }}\n"));
        (await ErrorAsync(client, "validate_spec", new() { ["spec"] = manyErrors }))
            .ShouldMatch(@"^validate_spec: the result is \d+ bytes, over the limit of 2048 \(FlowFunctions:Mcp:MaxResultBytes\); ask for less");

        // The two calls above spent two of the three calls a minute; the third passes, the fourth is refused.
        (await CallAsync(client, "list_workflows", []))["workflows"]!.AsArray().ShouldBeEmpty();
        (await ErrorAsync(client, "list_workflows", [])).ShouldMatch(@"^list_workflows: rate limit: \S+ may make 3 calls per minute; retry in \d+ s$");
        if (transport == "http")
        {
            var other = await server.ConnectAsync(McpKeys.Reader);
            (await CallAsync(other, "list_workflows", []))["workflows"]!.AsArray().ShouldBeEmpty("the limit is per caller");
        }
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task ApplyPatch_WithNoWorkerToApplyIt_AnswersPending(string transport)
    {
        var settings = new Dictionary<string, string> { ["FlowFunctions:Mcp:ApplyWaitSeconds"] = "1" };
        await using var server = await McpServers.StartAsync(transport, McpServers.Store("sqlite", _folder), settings, worker: false);
        var client = await server.ConnectAsync();
        var runId = (await CallAsync(client, "start_run", new() { ["spec"] = Spec }))["runId"]!.GetValue<string>();
        var revision = (await CallAsync(client, "plan_patch", new() { ["runId"] = runId, ["patch"] = Patch }))["revision"]!.GetValue<int>();

        var answer = await CallAsync(client, "apply_patch", new() { ["runId"] = runId, ["patch"] = Patch, ["revision"] = revision });

        answer["status"]!.GetValue<string>().ShouldBe("pending");
        answer["applied"]!.GetValue<bool>().ShouldBeFalse();
        answer["appliesAsRevision"]!.GetValue<int>().ShouldBe(revision + 1);
    }

    [Fact]
    public async Task Http_RolesAndKeys_AreTheApis()
    {
        await using var server = await McpServers.StartAsync("http", McpServers.Store("sqlite", _folder));
        var admin = await server.ConnectAsync(McpKeys.Admin);
        var reader = await server.ConnectAsync(McpKeys.Reader);
        var operatorClient = await server.ConnectAsync(McpKeys.Operator);

        var runId = (await CallAsync(operatorClient, "start_run", new() { ["spec"] = Spec }))["runId"]!.GetValue<string>();
        await WaitForNodeAsync(reader, runId, "approval", "Waiting");

        (await ErrorAsync(reader, "start_run", new() { ["spec"] = Spec })).ShouldBe("start_run needs the operator role; key:reader has the reader role");
        (await ErrorAsync(reader, "cancel_run", new() { ["runId"] = runId })).ShouldBe("cancel_run needs the operator role; key:reader has the reader role");
        var plan = await CallAsync(reader, "plan_patch", new() { ["runId"] = runId, ["patch"] = Patch });
        var revision = plan["revision"]!.GetValue<int>();
        (await ErrorAsync(reader, "apply_patch", new() { ["runId"] = runId, ["patch"] = Patch, ["revision"] = revision }))
            .ShouldBe("apply_patch needs the admin role; key:reader has the reader role");
        (await ErrorAsync(operatorClient, "apply_patch", new() { ["runId"] = runId, ["patch"] = Patch, ["revision"] = revision }))
            .ShouldBe("apply_patch needs the admin role; key:operator has the operator role");
        (await CallAsync(admin, "get_run", new() { ["runId"] = runId }))["graphRevision"]!.GetValue<int>().ShouldBe(revision, "nothing was applied");

        using var http = new HttpClient();
        using var initialize = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", System.Text.Encoding.UTF8, "application/json");
        using var anonymous = await http.PostAsync(server.Endpoint, initialize);
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // A body far over the arguments' limit (1 MiB) is cut off before it is read, with or without its length.
        var huge = new string('x', 2 * 1024 * 1024);
        foreach (var chunked in new[] { false, true })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, server.Endpoint) { Content = new StringContent(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "validate_spec", ["arguments"] = new JsonObject { ["spec"] = huge } } }.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new("Bearer", McpKeys.Admin);
            request.Headers.TransferEncodingChunked = chunked;
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var tooLarge = await http.SendAsync(request);
            tooLarge.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge, $"chunked: {chunked}");
            (await tooLarge.Content.ReadAsStringAsync()).ShouldContain("payload-too-large");
        }

        (await CallAsync(admin, "get_run", new() { ["runId"] = runId }))["status"]!.GetValue<string>().ShouldBe("Running", "the server keeps serving");
    }

    private async Task AgentSessionAsync(string transport, string store)
    {
        await using var server = await McpServers.StartAsync(transport, McpServers.Store(store, _folder));
        var client = await server.ConnectAsync();

        // A broken spec: every problem with its path and line:column.
        var broken = await CallAsync(client, "validate_spec", new() { ["spec"] = BrokenSpec });
        broken["valid"]!.GetValue<bool>().ShouldBeFalse();
        var errors = broken["errors"]!.AsArray().Select(e => e!.AsObject()).ToList();
        errors.Count.ShouldBeGreaterThanOrEqualTo(2, broken.ToJsonString());
        errors.ShouldContain(e => e["path"]!.GetValue<string>() == "/nodes/0/type" && e["at"]!.GetValue<string>() == "4:11", broken.ToJsonString());
        errors.ShouldContain(e => e["path"]!.GetValue<string>().StartsWith("/nodes/1/needs", StringComparison.Ordinal) && e["line"]!.GetValue<int>() == 7, broken.ToJsonString());

        // The fixed spec validates and starts once per idempotency key.
        (await CallAsync(client, "validate_spec", new() { ["spec"] = Spec }))["valid"]!.GetValue<bool>().ShouldBeTrue();
        var key = "agent-" + Guid.NewGuid().ToString("N");
        var started = await CallAsync(client, "start_run", new() { ["spec"] = Spec, ["idempotencyKey"] = key });
        var runId = started["runId"]!.GetValue<string>();
        started["existing"]!.GetValue<bool>().ShouldBeFalse();
        var again = await CallAsync(client, "start_run", new() { ["spec"] = Spec, ["idempotencyKey"] = key });
        again["runId"]!.GetValue<string>().ShouldBe(runId);
        again["existing"]!.GetValue<bool>().ShouldBeTrue();

        // The agent waits, then reads why load failed.
        await WaitForNodeAsync(client, runId, "load", "Failed");
        await WaitForNodeAsync(client, runId, "approval", "Waiting");
        var explained = await CallAsync(client, "explain_failure", new() { ["runId"] = runId });
        explained["status"]!.GetValue<string>().ShouldBe("Running");
        var failure = explained["failed"]!.AsArray().Single()!;
        failure["nodeId"]!.GetValue<string>().ShouldBe("load");
        failure["attempts"]!.GetValue<int>().ShouldBe(1);
        failure["error"]!["message"]!.GetValue<string>().ShouldContain("table 'sales' does not exist", Case.Sensitive, failure.ToJsonString());
        failure["upstream"]!["fetch"]!["output"]!["rows"]!.GetValue<int>().ShouldBe(3);

        // Plan: the diff and the revision, nothing changed.
        var plan = await CallAsync(client, "plan_patch", new() { ["runId"] = runId, ["patch"] = Patch });
        plan["applied"]!.GetValue<bool>().ShouldBeFalse();
        plan["nodesAdded"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldBe(["load-staging"]);
        plan["nodesChanged"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldBe(["publish"]);
        var revision = plan["revision"]!.GetValue<int>();
        var run = await CallAsync(client, "get_run", new() { ["runId"] = runId });
        run["graphRevision"]!.GetValue<int>().ShouldBe(revision);
        run["nodes"]!.AsObject().ContainsKey("load-staging").ShouldBeFalse();

        // Meanwhile a colleague patches the run: the plan is stale, refused, planned again and applied.
        var audit = JsonNode.Parse("""{"operations":[{"op":"addNode","node":{"id":"audit","type":"echo","needs":["fetch"]}}]}""")!;
        var colleague = await CallAsync(client, "apply_patch", new() { ["runId"] = runId, ["patch"] = audit, ["revision"] = revision });
        colleague["appliesAsRevision"]!.GetValue<int>().ShouldBe(revision + 1);
        colleague["status"]!.GetValue<string>().ShouldBe("applied", "apply_patch waits for the run to apply it");
        (await ErrorAsync(client, "apply_patch", new() { ["runId"] = runId, ["patch"] = Patch, ["revision"] = revision })).ShouldContain("plan_patch again");
        var replanned = await CallAsync(client, "plan_patch", new() { ["runId"] = runId, ["patch"] = Patch });
        replanned["revision"]!.GetValue<int>().ShouldBe(revision + 1);
        var applied = await CallAsync(client, "apply_patch", new() { ["runId"] = runId, ["patch"] = Patch, ["revision"] = revision + 1 });
        applied["applied"]!.GetValue<bool>().ShouldBeTrue(applied.ToJsonString());
        applied["appliesAsRevision"]!.GetValue<int>().ShouldBe(revision + 2);
        (await CallAsync(client, "get_run", new() { ["runId"] = runId }))["graphRevision"]!.GetValue<int>().ShouldBe(revision + 2);

        // The approval arrives; the run succeeds through the patched-in node.
        await CallAsync(client, "raise_event", new() { ["runId"] = runId, ["name"] = "approved", ["payload"] = new JsonObject { ["by"] = "ana" } });
        var done = await WaitForRunAsync(client, runId);
        done["status"]!.GetValue<string>().ShouldBe("Succeeded", done.ToJsonString());
        done["graphRevision"]!.GetValue<int>().ShouldBe(revision + 2);
        done["nodes"]!["audit"]!["status"]!.GetValue<string>().ShouldBe("Succeeded");
        JsonNode.DeepEquals(done["outputs"], JsonNode.Parse("""{"publish":{"approvedBy":"ana","rows":3}}""")).ShouldBeTrue(done["outputs"]?.ToJsonString());

        // Who did it is in the run's events, and the run document is a resource.
        var events = (await CallAsync(client, "get_events", new() { ["runId"] = runId }))["events"]!.ToJsonString();
        events.ShouldContain(" (mcp)");
        var resource = await client.ReadResourceAsync("flow://runs/" + runId);
        var text = resource.Contents.OfType<TextResourceContents>().Single().Text;
        JsonNode.Parse(text)!["status"]!.GetValue<string>().ShouldBe("Succeeded");
        // The run list is the run index, written right after the run's last commit: it may trail get_run by a moment.
        using var timeout = new CancellationTokenSource(Limit);
        while (!(await CallAsync(client, "list_runs", new() { ["status"] = "Succeeded", ["workflow"] = "mcp-agent" }))["runs"]!.AsArray()
            .Any(r => r!["runId"]!.GetValue<string>() == runId))
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    private static async Task<JsonObject> WaitForRunAsync(McpClient client, string runId)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while (true)
        {
            var run = await CallAsync(client, "get_run", new() { ["runId"] = runId });
            if (run["status"]!.GetValue<string>() is "Succeeded" or "Failed" or "Cancelled")
            {
                return run;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private static async Task WaitForNodeAsync(McpClient client, string runId, string nodeId, string status)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while ((await CallAsync(client, "get_node", new() { ["runId"] = runId, ["nodeId"] = nodeId }))["status"]!.GetValue<string>() != status)
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Calls a tool that must succeed and parses its JSON answer.</summary>
    internal static async Task<JsonObject> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments);
        var text = Text(result);
        (result.IsError ?? false).ShouldBeFalse($"{tool}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Calls a tool that must fail and returns its error text.</summary>
    internal static async Task<string> ErrorAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments);
        var text = Text(result);
        (result.IsError ?? false).ShouldBeTrue($"{tool} answered: {text}");
        return text;
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
}
