using System.Net;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>Behaviour every store must give the API; run by <see cref="SqliteApiTests"/> and <see cref="AzuriteApiTests"/>.</summary>
public abstract class ApiScenarios(ApiFactory factory)
{
    protected HttpClient Client { get; } = factory.CreateClient();

    protected async Task StartRunOfYamlText_WorksItToSuccess()
    {
        var accepted = await (await Client.PostJsonAsync("/api/runs", new JsonObject { ["spec"] = ApiClient.Sample("etl-report.yaml"), ["inputs"] = new JsonObject { ["region"] = "us" } }))
            .JsonAsync(HttpStatusCode.Accepted);
        var runId = accepted["runId"]!.GetValue<string>();
        accepted["statusQueryUri"]!.GetValue<string>().ShouldEndWith("/api/runs/" + runId);
        accepted["cancelUri"]!.GetValue<string>().ShouldEndWith("/api/runs/" + runId + "/cancel");
        accepted["sendEventUri"]!.GetValue<string>().ShouldEndWith("/api/runs/" + runId + "/events/{eventName}");

        var document = await Client.WaitAsync(runId);

        document["status"]!.GetValue<string>().ShouldBe("Succeeded");
        document["outputs"]!["count"]!.GetValue<int>().ShouldBe(3);
        document["outputs"]!["message"]!.GetValue<string>().ShouldBe("Processed 3 files in us, starting with sales.csv");
        document["nodes"]!["each[2]"]!["status"]!.GetValue<string>().ShouldBe("Succeeded");
        document["graphRevision"]!.GetValue<int>().ShouldBe(1);
        document["specHash"]!.GetValue<string>().ShouldStartWith("sha256:");
        document["engine"]!.GetValue<string>().ShouldBe(factory.Engine);
        document["startedAt"].ShouldNotBeNull();
        document["completedAt"].ShouldNotBeNull();

        var spec = await Client.GetAsync(new Uri(document["specUrl"]!.GetValue<string>(), UriKind.Relative));
        (await spec.Content.ReadAsStringAsync()).ShouldBe(ApiClient.Sample("etl-report.yaml"));

        var graph = await Client.GetJsonAsync($"/api/runs/{runId}/graph");
        graph["nodes"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()).ShouldBe(["list", "each", "total", "announce"]);
        graph["nodes"]![1]!["map"]!["done"]!.GetValue<int>().ShouldBe(3);
        graph["edges"]!.AsArray().Count.ShouldBe(3);

        var history = await Client.GetJsonAsync($"/api/runs/{runId}/events");
        history["events"]!.AsArray().ShouldContain(e => e!["nodeId"]!.GetValue<string>() == "announce" && e["to"]!.GetValue<string>() == "Succeeded");

        var child = await Client.GetJsonAsync($"/api/runs/{runId}/nodes/each%5B1%5D");
        child["status"]!.GetValue<string>().ShouldBe("Succeeded");
        child["output"]!["name"]!.GetValue<string>().ShouldBe("returns.csv");
        child["map"]!.GetValue<string>().ShouldBe("each");
        var map = await Client.GetJsonAsync($"/api/runs/{runId}/nodes/each");
        map["children"]!.AsArray().Count.ShouldBe(3);
    }

    protected async Task IdempotencyKey_SameRequestIsTheSameRun_OtherRequestIsAConflict()
    {
        var key = "order-" + Guid.NewGuid().ToString("N");
        var request = new JsonObject { ["spec"] = ApiClient.Sample("etl-report.yaml"), ["inputs"] = new JsonObject { ["limit"] = 5 } };
        var first = await Client.StartAsync(request, ("Idempotency-Key", key));

        var again = await Client.PostJsonAsync("/api/runs", request, ("Idempotency-Key", key));
        var second = await again.JsonAsync(HttpStatusCode.OK);
        second["runId"]!.GetValue<string>().ShouldBe(first["runId"]!.GetValue<string>());
        again.Headers.Location!.ToString().ShouldEndWith("/api/runs/" + first["runId"]);

        var other = new JsonObject { ["spec"] = ApiClient.Sample("etl-report.yaml"), ["inputs"] = new JsonObject { ["limit"] = 6 } };
        var conflict = await (await Client.PostJsonAsync("/api/runs", other, ("Idempotency-Key", key))).JsonAsync(HttpStatusCode.Conflict);
        conflict["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/idempotency-key-reused");
    }

    protected async Task ListRuns_FiltersAndPagesNewestFirst()
    {
        // A workflow of its own, so that runs of other tests do not count.
        var name = "list-" + Guid.NewGuid().ToString("N")[..8];
        var spec = $"name: {name}\nnodes:\n  - id: a\n    type: echo\n    with: 1\n";
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>());
            await Client.WaitAsync(ids[^1]);
        }

        var page1 = await Client.GetJsonAsync($"/api/runs?workflow={name}&limit=2");
        page1["runs"]!.AsArray().Select(r => r!["runId"]!.GetValue<string>()).ShouldBe([ids[2], ids[1]]);
        var token = page1["continuationToken"]!.GetValue<string>();
        var page2 = await Client.GetJsonAsync($"/api/runs?workflow={name}&limit=2&continuationToken={Uri.EscapeDataString(token)}");
        page2["runs"]!.AsArray().Select(r => r!["runId"]!.GetValue<string>()).ShouldBe([ids[0]]);
        page2["continuationToken"].ShouldBeNull();
        (await Client.GetJsonAsync(page1["next"]!.GetValue<string>()))["runs"]!.AsArray().Count.ShouldBe(1);

        (await Client.GetJsonAsync($"/api/runs?workflow={name}&status=succeeded"))["runs"]!.AsArray().Count.ShouldBe(3);
        (await Client.GetJsonAsync($"/api/runs?workflow={name}&status=Failed"))["runs"]!.AsArray().Count.ShouldBe(0);
        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        (await Client.GetJsonAsync($"/api/runs?workflow={name}&createdFrom={future}"))["runs"]!.AsArray().Count.ShouldBe(0);
        (await Client.GetJsonAsync($"/api/runs?workflow={name}&createdTo={future}"))["runs"]!.AsArray().Count.ShouldBe(3);
    }

    protected async Task Workflows_RegisterVersionsAndRunByName()
    {
        var name = "wf-" + Guid.NewGuid().ToString("N")[..8];
        string Spec(int version, string value) => $"name: {name}\nversion: {version}\ndescription: test\nnodes:\n  - id: a\n    type: echo\n    with: {value}\noutputs:\n  v: ${{{{ nodes.a.output }}}}\n";

        var created = await Client.SendAsync(HttpMethod.Post, "/api/workflows", Spec(1, "one"), "application/yaml");
        (await created.JsonAsync(HttpStatusCode.Created))["version"]!.GetValue<int>().ShouldBe(1);
        created.Headers.Location!.ToString().ShouldEndWith("/api/workflows/" + name);
        (await Client.PostJsonAsync("/api/workflows", new JsonObject { ["spec"] = Spec(1, "one") })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var conflict = await (await Client.PostJsonAsync("/api/workflows", new JsonObject { ["spec"] = Spec(1, "uno") })).JsonAsync(HttpStatusCode.Conflict);
        conflict["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/workflow-version-conflict");
        (await Client.PostJsonAsync("/api/workflows", new JsonObject { ["spec"] = Spec(2, "two") })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var detail = await Client.GetJsonAsync("/api/workflows/" + name);
        detail["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()).ShouldBe([1, 2]);
        (await Client.GetJsonAsync("/api/workflows"))["workflows"]!.AsArray().ShouldContain(w => w!["name"]!.GetValue<string>() == name && w["latestVersion"]!.GetValue<int>() == 2);

        var latest = await Client.StartAsync(new JsonObject { ["workflow"] = name });
        (await Client.WaitAsync(latest["runId"]!.GetValue<string>()))["outputs"]!["v"]!.GetValue<string>().ShouldBe("two");
        var first = await Client.StartAsync(new JsonObject { ["workflow"] = name, ["version"] = 1 });
        (await Client.WaitAsync(first["runId"]!.GetValue<string>()))["outputs"]!["v"]!.GetValue<string>().ShouldBe("one");
        (await Client.PostJsonAsync("/api/runs", new JsonObject { ["workflow"] = name, ["version"] = 9 })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    protected async Task Cancel_StopsARunningRun_ThenConflicts()
    {
        var spec = "name: slow\nnodes:\n  - id: wait\n    type: delay\n    with: { duration: 10m }\n";
        var runId = (await Client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>();

        var cancel = await Client.PostJsonAsync($"/api/runs/{runId}/cancel", new JsonObject { ["reason"] = "test" });
        (await cancel.JsonAsync(HttpStatusCode.Accepted))["cancelRequested"]!.GetValue<bool>().ShouldBeTrue();

        (await Client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Cancelled");
        var again = await (await Client.SendAsync(HttpMethod.Post, $"/api/runs/{runId}/cancel")).JsonAsync(HttpStatusCode.Conflict);
        again["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/run-completed");
    }

    protected async Task Patch_DryRunInvalidStaleAcceptedAndTerminal()
    {
        var spec = "name: patched\nnodes:\n  - { id: wait, type: delay, with: { duration: 10m } }\n  - { id: after, type: echo, needs: [wait], with: 1 }\n";
        var runId = (await Client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>();
        var path = $"/api/runs/{runId}/patch";

        var invalid = await (await Client.PostJsonAsync(path, JsonNode.Parse("""
            { "operations": [ { "op": "updateNode", "id": "wait", "with": { "duration": "1s" } },
                              { "op": "addNode", "node": { "id": "z", "type": "echo", "needs": ["ghost"] } } ] }
            """)!)).JsonAsync(HttpStatusCode.BadRequest);
        invalid["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/invalid-request");
        var errors = invalid["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        errors.Count.ShouldBe(2);
        errors[0].ShouldContain("node 'wait' has started");
        errors[1].ShouldContain("ghost");
        (await Client.PostJsonAsync(path, JsonNode.Parse("""{ "operations": [] }""")!)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var stale = await (await Client.PostJsonAsync(path, JsonNode.Parse("""{ "expectedRevision": 9, "operations": [ { "op": "removeNode", "id": "after" } ] }""")!)).JsonAsync(HttpStatusCode.Conflict);
        stale["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/command-refused");
        stale["detail"]!.GetValue<string>().ShouldContain("stale");

        const string add = """{ "expectedRevision": 1, "reason": "more", "operations": [ { "op": "addNode", "node": { "id": "c", "type": "echo", "with": 2 } }, { "op": "addEdge", "from": "c", "to": "after" } ] }""";
        var dry = JsonNode.Parse(add)!.AsObject();
        dry["dryRun"] = true;
        var preview = await (await Client.PostJsonAsync(path, dry)).JsonAsync(HttpStatusCode.OK);
        preview["dryRun"]!.GetValue<bool>().ShouldBeTrue();
        preview["nodesAdded"]!.ToJsonString().ShouldBe("""["c"]""");
        preview["edgesAdded"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["c->after"]);
        preview["readinessChanges"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["c: (new) -> Running"]);

        var accepted = await (await Client.PostJsonAsync(path, JsonNode.Parse(add)!)).JsonAsync(HttpStatusCode.Accepted);
        accepted["revision"]!.GetValue<int>().ShouldBe(2);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!(await Client.GetJsonAsync($"/api/runs/{runId}/events")).ToJsonString().Contains("graph revision 2 by dev: more", StringComparison.Ordinal))
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, "the patch was never applied");
            await Task.Delay(50);
        }

        var revision = (await Client.GetJsonAsync($"/api/runs/{runId}/events"))["events"]!.AsArray().Single(e => e!["revision"] is not null)!;
        revision["mutation"]!["author"]!.GetValue<string>().ShouldBe("dev"); // the actor: --dev mode
        revision["mutation"]!["reason"]!.GetValue<string>().ShouldBe("more");
        revision["mutation"]!["at"].ShouldNotBeNull();
        revision["mutation"]!["patch"]!["operations"]!.AsArray().Count.ShouldBeGreaterThan(0);
        revision["mutation"]!["result"]!["nodesAdded"]!.ToJsonString().ShouldBe("""["c"]""");
        var log = await Client.GetJsonAsync($"/api/runs/{runId}/revisions");
        log["runId"]!.GetValue<string>().ShouldBe(runId);
        JsonNode.DeepEquals(log["revisions"]!.AsArray().Single(), revision["mutation"]).ShouldBeTrue(log.ToJsonString());

        (await Client.PostJsonAsync($"/api/runs/{runId}/terminate", new JsonObject())).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await Client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Cancelled");
        var late = await (await Client.PostJsonAsync(path, JsonNode.Parse(add)!)).JsonAsync(HttpStatusCode.Conflict);
        late["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/run-completed");
    }

    protected async Task Rerun_StartsANewRunFromANode_WithLocation_AndRefusals()
    {
        var spec = "name: chain\nnodes:\n  - { id: a, type: echo, with: 1 }\n  - { id: b, type: fail, needs: [a], with: { message: bad } }\n  - { id: c, type: echo, needs: [b] }\n";
        var runId = (await Client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>();
        (await Client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Failed");

        var response = await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = "b" });
        var accepted = await response.JsonAsync(HttpStatusCode.Accepted);
        var rerunId = accepted["runId"]!.GetValue<string>();
        rerunId.ShouldNotBe(runId);
        response.Headers.Location!.ToString().ShouldEndWith("/api/runs/" + rerunId);
        accepted["statusQueryUri"]!.GetValue<string>().ShouldBe(response.Headers.Location!.ToString());
        // The new run's status when the answer was written: Running, or already Failed (b fails again) when the host's
        // worker was quicker than the answer, as a loaded machine allows.
        accepted["status"]!.GetValue<string>().ShouldBeOneOf("Running", "Failed");
        accepted["cancelUri"]!.GetValue<string>().ShouldEndWith("/api/runs/" + rerunId + "/cancel");
        var document = await Client.WaitAsync(rerunId);
        document["rerunOf"]!.ToJsonString().ShouldBe($$"""{"runId":"{{runId}}","fromNode":"b"}""");
        document["nodes"]!["a"]!["output"]!.GetValue<int>().ShouldBe(1);
        document["nodes"]!["b"]!["status"]!.GetValue<string>().ShouldBe("Failed");
        (await Client.GetJsonAsync($"/api/runs/{runId}"))["rerunOf"].ShouldBeNull();

        // A retried rerun with the same Idempotency-Key is the same new run; the key with another node is a conflict.
        var key = ("Idempotency-Key", "rerun-" + Guid.NewGuid().ToString("N"));
        var keyed = await (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = "b" }, key)).JsonAsync(HttpStatusCode.Accepted);
        var retried = await (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = "b" }, key)).JsonAsync(HttpStatusCode.OK);
        retried["runId"]!.GetValue<string>().ShouldBe(keyed["runId"]!.GetValue<string>());
        var reused = await (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = "a" }, key)).JsonAsync(HttpStatusCode.Conflict);
        reused["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/idempotency-key-reused");

        var refused = await (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = "c" })).JsonAsync(HttpStatusCode.Conflict);
        refused["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/command-refused");
        refused["detail"]!.GetValue<string>().ShouldContain("its upstream node 'b' is Failed");
        var noNode = await (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = "zz" })).JsonAsync(HttpStatusCode.NotFound);
        noNode["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/node-not-found");
        var noRun = await (await Client.PostJsonAsync("/api/runs/no-such-run/rerun", new JsonObject { ["from"] = "b" })).JsonAsync(HttpStatusCode.NotFound);
        noRun["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/run-not-found");
        var missing = await (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject())).JsonAsync(HttpStatusCode.BadRequest);
        missing["detail"]!.GetValue<string>().ShouldContain("'from' is required");
        (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = 3 })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Client.PostJsonAsync($"/api/runs/{runId}/rerun", new JsonObject { ["from"] = "b", ["bogus"] = true })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    protected async Task RunControl_RedriveAFailedNode_PauseResumeTerminate_AndRefusals()
    {
        var spec = "name: broken\nnodes:\n  - { id: a, type: echo, with: 1 }\n  - { id: b, type: fail, needs: [a], with: { message: bad } }\noutputs: { r: \"${{ nodes.b.output }}\" }\n";
        var runId = (await Client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>();
        (await Client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Failed");

        var pause = await (await Client.SendAsync(HttpMethod.Post, $"/api/runs/{runId}/pause")).JsonAsync(HttpStatusCode.Conflict);
        pause["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/run-completed");
        (await Client.SendAsync(HttpMethod.Post, $"/api/runs/{runId}/nodes/zz/redrive")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var notFailed = await (await Client.SendAsync(HttpMethod.Post, $"/api/runs/{runId}/nodes/a/redrive")).JsonAsync(HttpStatusCode.Conflict);
        notFailed["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/command-refused");
        notFailed["detail"]!.GetValue<string>().ShouldContain("node 'a' is Succeeded; only a Failed node can be redriven");
        (await Client.PostJsonAsync($"/api/runs/{runId}/nodes/b/redrive", new JsonObject { ["bogus"] = 1 })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var redrive = await Client.PostJsonAsync($"/api/runs/{runId}/nodes/b/redrive", new JsonObject { ["with"] = new JsonObject { ["times"] = 0, ["output"] = "ok" } });
        (await redrive.JsonAsync(HttpStatusCode.Accepted))["requested"]!.GetValue<string>().ShouldBe("redrive of 'b'");
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        JsonNode document;
        while ((document = await Client.WaitAsync(runId))["status"]!.GetValue<string>() == "Failed" && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        document["status"]!.GetValue<string>().ShouldBe("Succeeded");
        document["outputs"]!["r"]!.GetValue<string>().ShouldBe("ok");

        var slow = "name: slow\nnodes:\n  - id: wait\n    type: delay\n    with: { duration: 10m }\n";
        var slowId = (await Client.StartAsync(new JsonObject { ["spec"] = slow }))["runId"]!.GetValue<string>();
        (await Client.SendAsync(HttpMethod.Post, $"/api/runs/{slowId}/pause")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while ((await Client.GetJsonAsync("/api/runs/" + slowId))["status"]!.GetValue<string>() != "Paused" && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var again = await (await Client.SendAsync(HttpMethod.Post, $"/api/runs/{slowId}/pause")).JsonAsync(HttpStatusCode.Conflict);
        again["detail"]!.GetValue<string>().ShouldContain("only a Running run can be paused");
        (await Client.SendAsync(HttpMethod.Post, $"/api/runs/{slowId}/resume")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await Client.PostJsonAsync($"/api/runs/{slowId}/terminate", new JsonObject { ["reason"] = "stuck" })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await Client.WaitAsync(slowId))["status"]!.GetValue<string>().ShouldBe("Cancelled");
    }

    protected async Task UnknownRunIdsOfAnyShape_Are404(string id)
    {
        foreach (var suffix in (string[])["", "/graph", "/events", "/revisions", "/nodes/a"])
        {
            var response = await Client.GetAsync(new Uri("/api/runs/" + id + suffix, UriKind.Relative));
            var problem = await response.JsonAsync(HttpStatusCode.NotFound);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            problem["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/run-not-found");
        }

        (await Client.SendAsync(HttpMethod.Post, "/api/runs/" + id + "/cancel")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    public static TheoryData<string> OddRunIds { get; } =
    [
        "nope", "0123456789abcdef0123456789abcdef", "%24workflows", "%24idempotency", "run%27quote", "a%2Fb", "a%23b", "a%3Fb",
        "%E2%9C%93", "a%5C%5Cb", new string('x', 300), "a..b", "run%20id", "null",
    ];
}
