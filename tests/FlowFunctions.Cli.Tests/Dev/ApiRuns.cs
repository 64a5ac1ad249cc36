using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.Dev;

/// <summary>Runs seen through the HTTP API.</summary>
internal static class ApiRuns
{
    /// <summary>Polls <c>GET /api/runs/{id}</c> until the run is Succeeded, Failed or Cancelled, and returns that document.</summary>
    public static async Task<JsonNode> WaitUntilFinishedAsync(HttpClient client, string runId, TimeSpan limit)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (true)
        {
            var run = JsonNode.Parse(await client.GetStringAsync(new Uri($"/api/runs/{runId}", UriKind.Relative)))!;
            if (run["status"]!.GetValue<string>() is "Succeeded" or "Failed" or "Cancelled")
            {
                return run;
            }

            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, run.ToJsonString());
            await Task.Delay(100);
        }
    }
}
