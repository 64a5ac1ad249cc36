using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.Commands;

/// <summary>Runs the http sample against a real HTTP server on loopback (never the internet).</summary>
public sealed class HttpSampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-http-").FullName;
    private readonly HttpListener _listener = new();
    private readonly string _baseUrl;
    private readonly List<string> _requests = [];

    public HttpSampleTests()
    {
        var port = FreePort();
        _baseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(_baseUrl + "/");
        _listener.Start();
        _ = ServeAsync();
    }

    public void Dispose()
    {
        _listener.Close();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ApiEnrichmentSample_CallsTheApi_AndTotalsTheScores()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(
            "run", Path.Combine(RepositoryPaths.Samples, "api-enrichment.yaml"), "--store", Path.Combine(_dir, "flow.db"),
            "--input", $"api={_baseUrl}", "--allow-host", "127.0.0.1", "--output", "json");

        stderr.ShouldBeEmpty();
        code.ShouldBe(0);
        JsonNode.Parse(stdout)!["outputs"]!.ToJsonString().ShouldBe("""{"customers":3,"points":60}""");
        lock (_requests)
        {
            _requests.Count(r => r == "GET /customers").ShouldBe(1);
            _requests.Count(r => r.StartsWith("POST /scores", StringComparison.Ordinal)).ShouldBe(3);
        }
    }

    [Fact]
    public async Task ApiEnrichmentSample_WithoutAllowHost_IsRefusedByTheSsrfGuard()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(
            "run", Path.Combine(RepositoryPaths.Samples, "api-enrichment.yaml"), "--store", Path.Combine(_dir, "flow.db"),
            "--input", $"api={_baseUrl}", "--output", "json");

        code.ShouldBe(1);
        JsonNode.Parse(stdout)!["nodes"]!["customers"]!["error"]!.GetValue<string>().ShouldContain("refused to connect to 127.0.0.1");
        stderr.ShouldContain("node 'customers' failed");
        lock (_requests)
        {
            _requests.ShouldBeEmpty();
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var request = context.Request;
            using var reader = new StreamReader(request.InputStream);
            var body = await reader.ReadToEndAsync();
            lock (_requests)
            {
                _requests.Add($"{request.HttpMethod} {request.Url!.AbsolutePath} {body}".Trim());
            }

            var answer = request.Url.AbsolutePath switch
            {
                "/customers" => """{"customers":[{"id":"c1","plan":"gold"},{"id":"c2","plan":"silver"},{"id":"c3","plan":"free"}]}""",
                "/scores" => JsonNode.Parse(body)!["plan"]!.GetValue<string>() switch
                {
                    "gold" => """{"points":30}""",
                    "silver" => """{"points":20}""",
                    _ => """{"points":10}""",
                },
                _ => null,
            };
            context.Response.StatusCode = answer is null ? 404 : request.HttpMethod == "POST" ? 201 : 200;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(answer ?? "{}");
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
