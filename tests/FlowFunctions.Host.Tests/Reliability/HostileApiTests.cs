using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Host.Tests.Api;

namespace FlowFunctions.Host.Tests.Reliability;

/// <summary>
/// The real host process on loopback fed hostile requests: each is refused with the documented status (problem+json
/// where the API answers, Kestrel's own status for what never reaches it), no run is started by any of them, and the
/// host keeps serving. One host for the class (xunit runs a class's tests one at a time).
/// </summary>
public sealed class HostileApiTests(HostileApiTests.HostFixture fixture) : IClassFixture<HostileApiTests.HostFixture>
{
    private const string ValidSpec = """{"name": "hostile-ok", "nodes": [{"id": "a", "type": "echo", "with": {"x": 1}}]}""";

    public static TheoryData<string, string, string, int, string> Bodies => new()
    {
        // name, path, content type, status, problem type (the part after the API's problem base)
        { "deep-json", "/api/runs", "application/json", 400, "malformed-json" },
        { "deep-json-in-spec", "/api/runs", "application/json", 400, "malformed-json" },
        { "invalid-utf8", "/api/runs", "application/json", 400, "malformed-json" },
        { "lone-surrogate", "/api/runs", "application/json", 400, "malformed-json" },
        { "duplicate-names", "/api/runs", "application/json", 400, "malformed-json" },
        { "nul-in-json", "/api/runs", "application/json", 400, "malformed-json" },
        { "text-plain", "/api/runs", "text/plain", 415, "unsupported-media-type" },
        { "form", "/api/runs", "application/x-www-form-urlencoded", 415, "unsupported-media-type" },
        { "multipart", "/api/runs", "multipart/form-data; boundary=x", 415, "unsupported-media-type" },
        { "xml", "/api/runs", "application/xml", 415, "unsupported-media-type" },
        { "no-content-type", "/api/runs", "", 415, "unsupported-media-type" },
        { "garbage-content-type", "/api/runs", "x/y/z;;;=\"", 415, "unsupported-media-type" },
        { "yaml-on-runs", "/api/runs", "application/yaml", 415, "unsupported-media-type" },
        { "alias-bomb-yaml", "/api/workflows", "application/yaml", 422, "invalid-spec" },
        { "alias-bomb-in-json", "/api/runs", "application/json", 422, "invalid-spec" },
        { "yaml-deep", "/api/workflows", "application/yaml", 422, "invalid-spec" },
        { "json-array", "/api/runs", "application/json", 400, "invalid-request" },
        { "json-null", "/api/runs", "application/json", 400, "invalid-request" },
        { "huge-number", "/api/runs", "application/json", 400, "invalid-request" },
        { "patch-deep", "/api/runs/nobody/patch", "application/json", 400, "malformed-json" },
        { "raise-invalid-utf8", "/api/runs/nobody/events/go", "application/json", 400, "malformed-json" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task HostileBody_IsRefusedWithItsProblem_AndStartsNothing(string name, string path, string contentType, int status, string type)
    {
        using var client = fixture.Host.Client();
        var before = await RunCountAsync(client);

        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Body(name)) };
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        JsonNode.Parse(text)!["type"]!.GetValue<string>().ShouldEndWith("/" + type, Case.Sensitive, text);
        (await RunCountAsync(client)).ShouldBe(before);
        await StillServesAsync(client);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OversizedBody_Is413_WithOrWithoutContentLength(bool announceLength)
    {
        using var client = fixture.Host.Client();
        var before = await RunCountAsync(client);
        var padding = new string(' ', 2 * 1024 * 1024);
        var bytes = Encoding.UTF8.GetBytes("""{"spec": """ + ValidSpec + padding + "}");
        HttpContent content = announceLength ? new ByteArrayContent(bytes) : new ChunkedContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync(new Uri("/api/runs", UriKind.Relative), content);

        ((int)response.StatusCode).ShouldBe(413);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["limit"]!.GetValue<long>().ShouldBe(1024 * 1024);
        (await RunCountAsync(client)).ShouldBe(before);
        await StillServesAsync(client);
    }

    [Theory]
    [InlineData("one-huge-header", 431)]
    [InlineData("many-headers", 431)]
    [InlineData("huge-url", 414)]
    public async Task HugeHeadersOrUrl_AreRefusedByTheServer_AndTheHostKeepsServing(string shape, int status)
    {
        using var client = fixture.Host.Client();
        var path = shape == "huge-url" ? "/api/runs?status=" + new string('x', 64 * 1024) : "/api/runs";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (shape == "one-huge-header")
        {
            request.Headers.TryAddWithoutValidation("X-Padding", new string('a', 64 * 1024));
        }
        else if (shape == "many-headers")
        {
            for (var i = 0; i < 500; i++)
            {
                request.Headers.TryAddWithoutValidation($"X-Header-{i}", "v");
            }
        }

        using var response = await client.SendAsync(request);

        ((int)response.StatusCode).ShouldBe(status);
        await StillServesAsync(client);
    }

    [Fact]
    public async Task TenThousandConcurrentStarts_WithOneIdempotencyKey_StartOneRun()
    {
        const int Requests = 10_000;
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256 };
        using var client = new HttpClient(handler) { BaseAddress = fixture.Host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        var before = await RunCountAsync(client);
        var body = new JsonObject { ["spec"] = JsonNode.Parse(ValidSpec) }.ToJsonString();

        var answers = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", "one-key-for-ten-thousand");
            using var response = await client.SendAsync(request);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return ((int)response.StatusCode, json["runId"]?.GetValue<string>());
        }));

        answers.Count(answer => answer.Item1 == 202).ShouldBe(1);
        answers.Count(answer => answer.Item1 == 200).ShouldBe(Requests - 1);
        answers.Select(answer => answer.Item2).Distinct().ShouldHaveSingleItem().ShouldNotBeNull();
        (await RunCountAsync(client)).ShouldBe(before + 1);
    }

    private static byte[] Body(string name) => name switch
    {
        "deep-json" => Encoding.UTF8.GetBytes(new string('[', 100_000) + new string(']', 100_000)),
        "deep-json-in-spec" => Encoding.UTF8.GetBytes("""{"spec": """ + string.Concat(Enumerable.Repeat("""{"a":""", 1_000)) + "1" + new string('}', 1_000) + "}"),
        "invalid-utf8" => [.. "{\"spec\": \""u8, 0xc3, 0x28, 0xff, .. "\"}"u8],
        "lone-surrogate" => Encoding.UTF8.GetBytes("""{"spec": {"name": "\udc00", "nodes": [{"id": "a", "type": "echo"}]}}"""),
        "duplicate-names" => Encoding.UTF8.GetBytes("""{"spec": """ + ValidSpec + """, "spec": """ + ValidSpec + "}"),
        "nul-in-json" => [.. "{\"spec\""u8, 0x00, .. ": 1}"u8],
        "alias-bomb-yaml" => Encoding.UTF8.GetBytes(AliasBomb()),
        "alias-bomb-in-json" => Encoding.UTF8.GetBytes(new JsonObject { ["spec"] = AliasBomb() }.ToJsonString()),
        "yaml-deep" => Encoding.UTF8.GetBytes("name: deep\nnodes:\n" + string.Concat(Enumerable.Range(0, 500).Select(i => new string(' ', i + 2) + "- \n"))),
        "json-array" => "[]"u8.ToArray(),
        "json-null" => "null"u8.ToArray(),
        "huge-number" => Encoding.UTF8.GetBytes("""{"spec": """ + ValidSpec + """, "inputs": 1""" + new string('0', 100_000) + "}"),
        "patch-deep" => Encoding.UTF8.GetBytes(new string('{', 10_000)),
        "raise-invalid-utf8" => [0x22, 0xed, 0xa0, 0x80, 0x22],
        _ => Encoding.UTF8.GetBytes("""{"spec": """ + ValidSpec + "}"),
    };

    /// <summary>The billion laughs in YAML: ten levels of ten aliases each.</summary>
    private static string AliasBomb()
    {
        var text = new StringBuilder("name: bomb\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var level = 1; level < 10; level++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"x{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))}]\n");
        }

        return text.Append("nodes: [{ id: a, type: echo, with: *a9 }]\n").ToString();
    }

    private static async Task<int> RunCountAsync(HttpClient client) =>
        (await client.GetJsonAsync("/api/runs?limit=1000"))["runs"]!.AsArray().Count;

    private static async Task StillServesAsync(HttpClient client)
    {
        (await client.GetJsonAsync("/api/health"))["status"]!.GetValue<string>().ShouldBe("ok");
        var accepted = await client.StartAsync(new JsonObject { ["spec"] = JsonNode.Parse(ValidSpec) });
        (await client.WaitAsync(accepted["runId"]!.GetValue<string>()))["status"]!.GetValue<string>().ShouldBe("Succeeded");
    }

    /// <summary>The real host, started once for the class.</summary>
    public sealed class HostFixture : IAsyncLifetime
    {
        internal HostProcess Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await HostProcess.StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    /// <summary>A body sent with chunked transfer encoding (no Content-Length).</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
