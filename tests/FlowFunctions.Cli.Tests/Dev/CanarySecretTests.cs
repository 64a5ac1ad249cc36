using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlowFunctions.Cli.Tests.EndToEnd;

namespace FlowFunctions.Cli.Tests.Dev;

/// <summary>
/// Issue 15's canary: a secret only <c>flow dev</c>'s environment knows (FlowFunctions__Secrets__CANARY) is used by http
/// nodes in headers and bodies against a server that echoes it back in bodies, headers, a large output stored as an
/// artifact, a redirect to another origin and a failure's reason phrase. The server must receive it; afterwards no API
/// response, dashboard page, log line, or byte of the store's files (tables, queues, blobs, written by Azurite on
/// stop) holds it, while a tracer value that is not secret, sent the same way, is found in the same places.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class CanarySecretTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-canary-").FullName;
    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private readonly string _tracer = "tracer-" + Guid.NewGuid().ToString("N");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [OwnAzuriteFact]
    public async Task A_Planted_Secret_Reaches_The_Server_And_Nothing_Else()
    {
        using var landing = new EchoServer(_ => (200, null, ""));
        var received = new List<string>();
        using var server = new EchoServer(request =>
        {
            var key = request.Headers["X-Key"] ?? request.Headers["Authorization"] ?? string.Empty;
            lock (received)
            {
                received.Add(key);
            }

            return request.Url!.AbsolutePath switch
            {
                "/echo" => (200, null, new JsonObject { ["authorization"] = request.Headers["Authorization"], ["key"] = key, ["body"] = request.Body }.ToJsonString()),
                "/big" => (200, null, new JsonObject { ["key"] = key, ["pad"] = new string('x', 200_000) }.ToJsonString()),
                "/redirect" => (302, landing.Url + "/landing", ""),
                _ => (500, null, "failed for " + key),
            };
        });

        var spec = $$$"""
            name: canary
            nodes:
              - id: call
                type: http
                cache: { ttl: 1h }
                with:
                  method: POST
                  url: {{{server.Url}}}/echo
                  headers: { Authorization: "Bearer ${{ secrets.CANARY }}", X-Tracer: {{{_tracer}}} }
                  body: { key: "${{ secrets.CANARY }}", tracer: {{{_tracer}}} }
              - id: big
                type: http
                with: { url: {{{server.Url}}}/big, headers: { X-Key: "${{ secrets.CANARY }}" } }
              - id: each
                type: map
                items: [1, 2, 3]
                node: { type: http, with: { method: POST, url: {{{server.Url}}}/echo, headers: { X-Key: "${{ secrets.CANARY }}" }, body: "${{ item }}" } }
              - id: moved
                type: http
                with: { url: {{{server.Url}}}/redirect, headers: { X-Key: "${{ secrets.CANARY }}" } }
              - id: broken
                type: http
                needs: [call, big, each, moved]
                with: { url: {{{server.Url}}}/fail, headers: { X-Key: "${{ secrets.CANARY }}" } }
            outputs:
              echoed: "${{ nodes.call.output.body }}"
            """;

        var portBase = DevProcess.FreePortBase();
        var data = Path.Combine(_dir, "azurite");
        var apiPort = DevProcess.FreePort();
        var api = $"http://127.0.0.1:{apiPort}";
        using var dev = DevProcess.Start(RepositoryPaths.Root, new Dictionary<string, string> { ["FlowFunctions__Secrets__CANARY"] = _canary },
            "--port-base", portBase.ToString(CultureInfo.InvariantCulture), "--data", data, "--port", apiPort.ToString(CultureInfo.InvariantCulture), "--allow-host", "127.0.0.1");
        await dev.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));

        using var client = new HttpClient { BaseAddress = new Uri(api) };
        var started = await client.PostAsync(new Uri("/api/runs", UriKind.Relative), new StringContent(new JsonObject { ["spec"] = spec }.ToJsonString(), Encoding.UTF8, "application/json"));
        started.StatusCode.ShouldBe(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        var runId = JsonNode.Parse(await started.Content.ReadAsStringAsync())!["runId"]!.GetValue<string>();
        var run = await ApiRuns.WaitUntilFinishedAsync(client, runId, TimeSpan.FromSeconds(90));
        run["status"]!.GetValue<string>().ShouldBe("Failed", run.ToJsonString()); // 'broken' fails on its 500
        lock (received)
        {
            received.Count(r => r.Contains(_canary, StringComparison.Ordinal)).ShouldBe(7, "call, big, three map children, moved, broken: each sends the secret");
        }

        landing.Requests.ShouldHaveSingleItem().Headers["X-Key"].ShouldBeNull("a secret header is not sent to another origin");

        // Every API view of the run, its nodes and their artifacts, and the dashboard's pages.
        var responses = new StringBuilder();
        async Task<string> GetAsync(string path)
        {
            var text = await client.GetStringAsync(new Uri(path, UriKind.Relative));
            responses.AppendLine(text);
            return text;
        }

        foreach (var path in (string[])["/api/runs", $"/api/runs/{runId}", $"/api/runs/{runId}/graph", $"/api/runs/{runId}/events", $"/api/runs/{runId}/revisions", "/api/workflows"])
        {
            await GetAsync(path);
        }

        foreach (var node in (string[])["call", "big", "each", "each%5B0%5D", "each%5B1%5D", "each%5B2%5D", "moved", "broken"])
        {
            foreach (Match artifact in ArtifactLink().Matches(await GetAsync($"/api/runs/{runId}/nodes/{node}")))
            {
                await GetAsync(artifact.Value);
            }
        }

        ArtifactLink().IsMatch(responses.ToString()).ShouldBeTrue("the big output is an artifact, and was read: " + responses);
        foreach (var page in (string[])["/", $"/runs/{runId}"])
        {
            using var response = await client.GetAsync(new Uri(page, UriKind.Relative));
            responses.AppendLine(await response.Content.ReadAsStringAsync());
        }

        var apiText = responses.ToString();
        apiText.ShouldContain(_tracer);
        apiText.ShouldContain("Bearer ***"); // the echo, redacted
        apiText.ShouldContain("returned 500 refused ***"); // the failure's reason phrase, redacted
        apiText.ShouldNotContain(_canary);

        (await dev.TerminateAsync(TimeSpan.FromSeconds(30))).ShouldBe(0, dev.Output);
        dev.Output.ShouldNotContain(_canary);

        // Azurite wrote its tables, queues and blobs into the data folder when it stopped.
        var files = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).ToList();
        bool AnyFileHas(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            return files.Any(f => File.ReadAllBytes(f).AsSpan().IndexOf(bytes) >= 0);
        }

        AnyFileHas(_tracer).ShouldBeTrue($"the tracer must be in the store's files ({files.Count} files), or this search proves nothing");
        AnyFileHas(_canary).ShouldBeFalse("the secret must not be stored anywhere");
    }

    [GeneratedRegex(@"/api/artifacts/sha256(:|%3A)[0-9a-f]{64}")]
    private static partial Regex ArtifactLink();
}
