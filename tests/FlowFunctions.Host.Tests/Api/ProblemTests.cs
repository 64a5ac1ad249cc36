using System.Net;
using System.Text.Json.Nodes;
using FlowFunctions.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>Bad requests answer application/problem+json with a stable type, a title and the status.</summary>
public sealed class ProblemTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private const string Echo = "name: p\\nnodes:\\n  - id: a\\n    type: echo\\n    with: 1\\n";

    public static TheoryData<string, string, string?, string, int, string> BadRequests { get; } = new()
    {
        // method, path, body, content type, status, problem type
        { "POST", "/api/runs", "{\"spec\": ", "application/json", 400, "malformed-json" },
        { "POST", "/api/runs", "", "application/json", 400, "malformed-json" },
        { "POST", "/api/runs", "{\"spec\": 1, \"spec\": 2}", "application/json", 400, "malformed-json" },
        { "POST", "/api/runs", "[1, 2]", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", "{}", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", $"{{\"spec\": \"{Echo}\", \"workflow\": \"p\"}}", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", $"{{\"spec\": \"{Echo}\", \"extra\": 1}}", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", $"{{\"spec\": \"{Echo}\", \"inputs\": [1]}}", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", "{\"spec\": 42}", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", "{\"workflow\": \"p\", \"version\": -1}", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", "{\"workflow\": 5}", "application/json", 400, "invalid-request" },
        { "POST", "/api/runs", $"{{\"spec\": \"{Echo}\"}}", "text/plain", 415, "unsupported-media-type" },
        { "POST", "/api/runs", $"{{\"spec\": \"{Echo}\"}}", "", 415, "unsupported-media-type" },
        { "POST", "/api/runs", "{\"spec\": \"name: Bad Name\\nnodes: []\\n\"}", "application/json", 422, "invalid-spec" },
        { "POST", "/api/runs", $"{{\"spec\": \"{Echo}\", \"inputs\": {{\"nope\": 1}}}}", "application/json", 422, "invalid-inputs" },
        { "POST", "/api/runs", "{\"workflow\": \"never-registered\"}", "application/json", 404, "workflow-not-found" },
        { "GET", "/api/runs?status=Sleeping", null, "", 400, "invalid-request" },
        { "GET", "/api/runs?limit=0", null, "", 400, "invalid-request" },
        { "GET", "/api/runs?createdFrom=yesterday", null, "", 400, "invalid-request" },
        { "GET", "/api/runs?continuationToken=garbage", null, "", 400, "invalid-request" },
        { "GET", "/api/runs?colour=red", null, "", 400, "invalid-request" },
        { "GET", "/api/runs/no-such-run", null, "", 404, "run-not-found" },
        { "GET", "/api/workflows/no-such-workflow", null, "", 404, "workflow-not-found" },
        { "GET", "/api/workflows/Not%20A%20Name", null, "", 404, "workflow-not-found" },
        { "GET", "/api/artifacts/sha256:0000000000000000000000000000000000000000000000000000000000000000", null, "", 404, "artifact-not-found" },
        { "GET", "/api/artifacts/not-a-hash", null, "", 404, "artifact-not-found" },
        { "GET", "/api/no-such-thing", null, "", 404, "not-found" },
        { "DELETE", "/api/runs", null, "", 405, "method-not-allowed" },
        { "POST", "/api/workflows", "{\"spec\": {\"name\": \"x\", \"nodes\": [{\"id\": \"a\", \"type\": \"ech\"}]}}", "application/json", 422, "invalid-spec" },
        { "POST", "/api/workflows", "{}", "application/json", 400, "invalid-request" },
        { "POST", "/api/workflows", "name: x\nnodes: [", "application/yaml", 422, "invalid-spec" },
        { "POST", "/api/workflows", "name: x", "text/csv", 415, "unsupported-media-type" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_IsProblemJson(string method, string path, string? body, string contentType, int status, string type)
    {
        using var client = factory.CreateClient();

        var response = await client.SendAsync(new HttpMethod(method), path, body, contentType);

        var problem = await response.JsonAsync((HttpStatusCode)status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        problem["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/" + type);
        problem["status"]!.GetValue<int>().ShouldBe(status);
        problem["title"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task InvalidSpecObject_ErrorsCarryPathAndTheBodysLineAndColumn()
    {
        using var client = factory.CreateClient();
        var body = "{\n  \"inputs\": {},\n  \"spec\": {\n    \"name\": \"x\",\n    \"nodes\": [ { \"id\": \"a\", \"type\": \"ech\" } ]\n  }\n}";

        var problem = await (await client.SendAsync(HttpMethod.Post, "/api/runs", body)).JsonAsync(HttpStatusCode.UnprocessableEntity);

        var error = problem["errors"]!.AsArray().Single()!;
        error["path"]!.GetValue<string>().ShouldBe("/nodes/0/type");
        error["line"]!.GetValue<int>().ShouldBe(5);
        error["column"]!.GetValue<int>().ShouldBe(body.Split('\n')[4].IndexOf("\"ech\"", StringComparison.Ordinal) + 1);
        error["message"]!.GetValue<string>().ShouldContain("did you mean 'echo'");
    }

    [Fact]
    public async Task MalformedJson_CarriesLineAndColumn()
    {
        using var client = factory.CreateClient();

        var problem = await (await client.SendAsync(HttpMethod.Post, "/api/runs", "{\n  \"spec\": tru\n}")).JsonAsync(HttpStatusCode.BadRequest);

        problem["line"]!.GetValue<int>().ShouldBe(2);
        problem["column"]!.GetValue<int>().ShouldBeGreaterThan(1);
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413BeforeParsing()
    {
        using var client = factory.CreateClient();
        var huge = "{" + new string(' ', 2 * 1024 * 1024) + "not json at all";

        var response = await client.SendAsync(HttpMethod.Post, "/api/runs", huge);

        (await response.JsonAsync(HttpStatusCode.RequestEntityTooLarge))["type"]!.GetValue<string>().ShouldEndWith("/payload-too-large");
    }

    [Fact]
    public async Task RaiseEvent_202DeliversThePayload_404Unknown_400BadJson_409Completed()
    {
        using var client = factory.CreateClient();
        var run = await client.StartAsync(new JsonObject { ["spec"] = "name: e\nnodes:\n  - id: w\n    type: wait\n    with: { event: approved }\n" });
        var runId = run["runId"]!.GetValue<string>();

        var accepted = await (await client.SendAsync(HttpMethod.Post, $"/api/runs/{runId}/events/approved", """{"by":"ann"}""")).JsonAsync(HttpStatusCode.Accepted);
        accepted["requested"]!.GetValue<string>().ShouldBe("event 'approved'");
        (await client.SendAsync(HttpMethod.Post, $"/api/runs/{runId}/events/approved", "{nope")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.SendAsync(HttpMethod.Post, "/api/runs/nope/events/approved", "{}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var engine = factory.Services.GetRequiredService<FlowEngine>();
        for (var i = 0; i < 500 && !(await engine.GetRunAsync(runId))!.IsTerminal; i++)
        {
            await engine.Processor.ProcessAsync(runId, default);
            await Task.Delay(10);
        }

        var done = (await engine.GetRunAsync(runId))!;
        done.Status.ShouldBe(Core.Runs.RunStatus.Succeeded);
        done.Nodes["w"].Output!.ToJsonString().ShouldBe("""{"by":"ann"}""");
        var completed = await (await client.SendAsync(HttpMethod.Post, $"/api/runs/{runId}/events/approved", "{}")).JsonAsync(HttpStatusCode.Conflict);
        completed["type"]!.GetValue<string>().ShouldEndWith("/run-completed");
    }
}
