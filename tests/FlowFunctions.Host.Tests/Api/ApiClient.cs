using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>Small helpers over HttpClient for the API tests.</summary>
internal static class ApiClient
{
    public static string Sample(string name) => File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", name));

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, string? body = null, string contentType = "application/json", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.RelativeOrAbsolute));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType.Length == 0 ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, JsonNode body, params (string Name, string Value)[] headers) =>
        client.SendAsync(HttpMethod.Post, path, body.ToJsonString(), "application/json", headers);

    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, text);
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await client.GetAsync(new Uri(path, UriKind.RelativeOrAbsolute))).JsonAsync(expected);

    /// <summary>Starts a run and returns the 202 body.</summary>
    public static async Task<JsonNode> StartAsync(this HttpClient client, JsonObject request, params (string Name, string Value)[] headers) =>
        await (await client.PostJsonAsync("/api/runs", request, headers)).JsonAsync(HttpStatusCode.Accepted);

    /// <summary>Polls the run document until the run is terminal.</summary>
    public static async Task<JsonNode> WaitAsync(this HttpClient client, string runId, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var document = await client.GetJsonAsync("/api/runs/" + runId);
            if (document["status"]!.GetValue<string>() is "Succeeded" or "Failed" or "Cancelled" || DateTimeOffset.UtcNow > deadline)
            {
                return document;
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>The repository root (samples), found above the test's output folder.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FlowFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FlowFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}
