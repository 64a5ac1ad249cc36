using System.Net;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Api;

public sealed class CacheApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task ARepeatedRun_IsCached_AndDeleteCacheRemovesEntriesAndSaysHowMany()
    {
        using var client = factory.CreateClient();
        var spec = "name: api-cached\nnodes:\n  - id: a\n    type: echo\n    with: { x: 1 }\n    cache: { ttl: 1h }\n";
        async Task<JsonNode> RunAsync()
        {
            var runId = (await client.StartAsync(new JsonObject { ["spec"] = spec }))["runId"]!.GetValue<string>();
            (await client.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Succeeded");
            return await client.GetJsonAsync($"/api/runs/{runId}/nodes/a");
        }

        (await RunAsync())["status"]!.GetValue<string>().ShouldBe("Succeeded");
        var cached = await RunAsync();
        (cached["status"]!.GetValue<string>(), cached["attempts"]!.GetValue<int>(), cached["reason"]!.GetValue<string>())
            .ShouldBe(("Cached", 0, "output from the step cache"));
        cached["output"]!.ToJsonString().ShouldBe("""{"x":1}""");

        (await Delete(client, "/api/cache?workflow=api-cached&node=b"))["removed"]!.GetValue<int>().ShouldBe(0);
        (await Delete(client, "/api/cache?workflow=api-cached&node=a"))["removed"]!.GetValue<int>().ShouldBe(1);
        (await RunAsync())["status"]!.GetValue<string>().ShouldBe("Succeeded");
        (await Delete(client, "/api/cache?node=a"))["removed"]!.GetValue<int>().ShouldBe(1);
        (await Delete(client, "/api/cache"))["removed"]!.GetValue<int>().ShouldBe(0);
    }

    private static async Task<JsonNode> Delete(HttpClient client, string path) =>
        await (await client.SendAsync(HttpMethod.Delete, path)).JsonAsync(HttpStatusCode.OK);
}
