using System.Net;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Api;

public sealed class NodeDetailTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task LargeOutput_IsLinkedAsAnArtifact_SmallOnesInline()
    {
        using var client = factory.CreateClient();
        var spec = "name: big\ninputs:\n  text: { type: string }\nnodes:\n  - id: a\n    type: echo\n    with: ${{ inputs.text }}\n  - id: b\n    type: echo\n    needs: [a]\n    with: small\n";
        var text = new string('x', 40 * 1024);
        var runId = (await client.StartAsync(new JsonObject { ["spec"] = spec, ["inputs"] = new JsonObject { ["text"] = text } }))["runId"]!.GetValue<string>();
        (await client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Succeeded");

        var a = await client.GetJsonAsync($"/api/runs/{runId}/nodes/a");
        a["output"].ShouldBeNull();
        var link = a["outputRef"]!["url"]!.GetValue<string>();
        var artifact = await client.GetAsync(new Uri(link, UriKind.Relative));
        artifact.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonNode.Parse(await artifact.Content.ReadAsStringAsync())!.GetValue<string>().ShouldBe(text);

        var b = await client.GetJsonAsync($"/api/runs/{runId}/nodes/b");
        b["output"]!.GetValue<string>().ShouldBe("small");
        b["attempts"]!.GetValue<int>().ShouldBe(1);
        b["startedAt"].ShouldNotBeNull();
    }

    [Fact]
    public async Task DeadlineExceeded_ShowsItsKindAndAttempts()
    {
        using var client = factory.CreateClient();
        var spec = "name: late\nnodes:\n  - id: slow\n    type: fail\n    deadline: 1s\n    retry: { maxAttempts: 100, backoff: constant, delay: 300ms }\n    with: { message: flaky }\n";
        var runId = (await client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>();
        (await client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Failed");

        var error = (await client.GetJsonAsync($"/api/runs/{runId}/nodes/slow"))["error"]!;
        error["kind"]!.GetValue<string>().ShouldBe("deadline");
        error["class"]!.GetValue<string>().ShouldBe("Permanent");
        error["message"]!.GetValue<string>().ShouldMatch(@"^deadline of 1s exceeded after \d+ attempts?; last error: flaky$");
        error["attempt"]!.GetValue<int>().ShouldBeGreaterThan(1);
    }

    [Fact]
    public async Task FailedNode_ShowsItsError_UnknownNodeIs404()
    {
        using var client = factory.CreateClient();
        var spec = "name: broken\nnodes:\n  - id: boom\n    type: fail\n    with: { message: kaput }\n";
        var runId = (await client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>();
        (await client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Failed");

        var node = await client.GetJsonAsync($"/api/runs/{runId}/nodes/boom");
        node["error"]!["message"]!.GetValue<string>().ShouldContain("kaput");
        node["error"]!["class"]!.GetValue<string>().ShouldBe("Transient");
        node["error"]!["kind"]!.GetValue<string>().ShouldBe("other");
        node["error"]!["attempt"]!.GetValue<int>().ShouldBe(1);

        var missing = await client.GetJsonAsync($"/api/runs/{runId}/nodes/nope", HttpStatusCode.NotFound);
        missing["type"]!.GetValue<string>().ShouldEndWith("/node-not-found");
        (await client.GetAsync(new Uri($"/api/runs/{runId}/nodes/boom%5B0%5D", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
