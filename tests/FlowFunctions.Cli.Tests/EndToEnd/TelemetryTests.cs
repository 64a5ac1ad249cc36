using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlowFunctions.Cli.Tests.Commands;
using FlowFunctions.Cli.Tests.Dev;
using FlowFunctions.Host;
using FlowFunctions.Host.Functions;
using FlowFunctions.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// Issue 13's telemetry, across real processes: the API in this process (no worker, spans and logs in an in-memory
/// exporter), a <c>flow worker</c> subprocess exporting to its console (OTEL_TRACES_EXPORTER=console), one store
/// (SQLite or Azurite) between them. A run started by an API request carrying a <c>traceparent</c> is one trace, down to
/// the activities the other process runs; and nothing secret is exported.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class TelemetryTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("flow-telemetry-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public Task OneTrace_FromTheApiRequest_ThroughTheEpisodes_ToTwoActivitiesOnAnotherWorker_OnSqlite() =>
        OneTraceAcrossProcessesAsync(Path.Combine(_dir.FullName, "flow.db"));

    [AzureFact]
    public Task OneTrace_FromTheApiRequest_ThroughTheEpisodes_ToTwoActivitiesOnAnotherWorker_OnAzurite() =>
        OneTraceAcrossProcessesAsync(AzureStore());

    [AzureFact]
    public async Task NoConnectionStringKeyOrSecret_IsInAnyExportedSpanMetricOrLogLine()
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        var telemetryKey = Guid.NewGuid().ToString();
        using var server = new EchoServer(request => request.Url!.AbsolutePath == "/echo"
            ? (200, null, new JsonObject { ["authorization"] = request.Headers["Authorization"], ["body"] = request.Body }.ToJsonString())
            : (500, null, "failed for " + request.Headers["X-Key"]));
        var spec = $$$"""
            name: secretive
            nodes:
              - id: call
                type: http
                with:
                  method: POST
                  url: {{{server.Url}}}/echo
                  headers: { Authorization: "Bearer ${{ secrets.CANARY }}" }
                  body: { key: "${{ secrets.CANARY }}" }
              - id: broken
                type: http
                needs: [call]
                with: { url: {{{server.Url}}}/fail, headers: { X-Key: "${{ secrets.CANARY }}" } }
            """;
        var store = AzureStore();
        var spans = new Exported<Activity>();
        var logs = new Exported<LogRecord>();
        await using var api = await TracedApi.StartAsync(store, spans, logs);
        var workerLog = Path.Combine(_dir.FullName, "worker.log");
        using (var worker = StartWorker(store, workerLog, new Dictionary<string, string>
        {
            ["OTEL_METRICS_EXPORTER"] = "console",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["FlowFunctions__Secrets__CANARY"] = canary,
            // Azure Monitor on, with a key in its connection string, towards a port nobody listens on; its offline
            // storage goes to this test's folder.
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = $"InstrumentationKey={telemetryKey};IngestionEndpoint=http://127.0.0.1:{DevProcess.FreePort()}/",
            ["TMPDIR"] = _dir.FullName,
        }))
        {
            var runId = await api.StartRunAsync(spec, traceparent: null);
            (await api.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Failed"); // 'broken' fails on its 500
            await WaitForSpansAsync(workerLog, s => s.DisplayName == "activity http", 2);
            await WaitForAsync(() => ReadShared(workerLog).Contains("flowfunctions.activity.executions", StringComparison.Ordinal), "the worker's metrics on its console");
            server.Requests.Count(r => $"{r.Headers["Authorization"]}{r.Headers["X-Key"]}".Contains(canary, StringComparison.Ordinal))
                .ShouldBe(2, "both nodes send the secret: it was really used");
        }

        var exported = new StringBuilder(ReadShared(workerLog));
        foreach (var span in spans.Snapshot())
        {
            exported.AppendLine(CultureInfo.InvariantCulture, $"{span.DisplayName} {span.StatusDescription}");
            foreach (var (key, value) in span.TagObjects)
            {
                exported.AppendLine(CultureInfo.InvariantCulture, $"{key}={value}");
            }

            foreach (var e in span.Events)
            {
                exported.AppendLine(CultureInfo.InvariantCulture, $"{e.Name} {string.Join(',', e.Tags.Select(t => $"{t.Key}={t.Value}"))}");
            }
        }

        foreach (var log in logs.Snapshot())
        {
            exported.AppendLine(CultureInfo.InvariantCulture, $"{log.CategoryName} {log.FormattedMessage} {log.Body} {log.Exception}");
            foreach (var (key, value) in log.Attributes ?? [])
            {
                exported.AppendLine(CultureInfo.InvariantCulture, $"{key}={value}");
            }

            log.ForEachScope(
                (scope, text) =>
                {
                    foreach (var (key, value) in scope)
                    {
                        text.AppendLine(CultureInfo.InvariantCulture, $"{key}={value}");
                    }
                },
                exported);
        }

        var text = exported.ToString();
        text.ShouldContain("activity http", customMessage: "the worker's spans are in what was searched");
        text.ShouldContain("POST /api/runs", customMessage: "the API's request span is in what was searched");
        text.ShouldContain("returned 500", customMessage: "the failure's message (with its redacted reason phrase) is in what was searched");
        logs.Snapshot().ShouldNotBeEmpty("the API's logs are in what was searched");
        text.ShouldNotContain(canary);
        text.ShouldNotContain(telemetryKey);
        text.ShouldNotContain(AccountKey(store));
        text.ShouldNotContain("sig=", Case.Insensitive);
    }

    private async Task OneTraceAcrossProcessesAsync(string store)
    {
        const string Spec = """
            name: traced
            nodes:
              - id: a
                type: echo
                with: { x: 1 }
              - id: b
                type: echo
                with: { y: 2 }
            """;
        var exported = new Exported<Activity>();
        await using var api = await TracedApi.StartAsync(store, exported, logs: null);
        var workerLog = Path.Combine(_dir.FullName, "worker.log");
        using var worker = StartWorker(store, workerLog, new Dictionary<string, string>());
        var caller = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        var runId = await api.StartRunAsync(Spec, $"00-{caller.TraceId.ToHexString()}-{caller.SpanId.ToHexString()}-01");

        (await api.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Succeeded");
        var activities = await WaitForSpansAsync(workerLog, s => s.DisplayName == "activity echo", 2);
        await WaitForSpansAsync(workerLog, s => s.DisplayName == "episode" && s.Tags["flowfunctions.episode.events"] != "0", 1);
        var episodes = ConsoleSpans(ReadShared(workerLog)).Where(s => s.DisplayName == "episode").ToList();

        // This process: the API request continues the caller's trace, and the run's start is its child. The engine's and
        // ASP.NET Core's sources are process-wide: spans of tests running alongside are exported too, in traces of their own.
        var spans = exported.Snapshot().Where(s => s.TraceId == caller.TraceId).ToList();
        var request = spans.Single(s => s.Source.Name == "Microsoft.AspNetCore" && s.ParentSpanId == caller.SpanId);
        request.TraceId.ShouldBe(caller.TraceId);
        var start = spans.Single(s => s.DisplayName == "start run");
        (start.TraceId, start.ParentSpanId).ShouldBe((caller.TraceId, request.SpanId));
        start.GetTagItem("flowfunctions.run.id").ShouldBe(runId);
        spans.ShouldNotContain(s => s.DisplayName.StartsWith("activity", StringComparison.Ordinal), "the API runs no worker");

        // The other process: both activities and the episodes that applied their results, children of the run's start.
        activities.Select(a => a.Tags["flowfunctions.node.id"]).Order().ShouldBe(["a", "b"]);
        foreach (var span in activities.Concat(episodes))
        {
            (span.TraceId, span.ParentSpanId).ShouldBe((caller.TraceId.ToHexString(), start.SpanId.ToHexString()), span.DisplayName);
            span.Tags["flowfunctions.run.id"].ShouldBe(runId);
        }
    }

    [Fact]
    public Task FlowRun_ExportsTheRunAsOneTrace_OnSqlite() =>
        FlowRunExportsOneTraceAsync(Path.Combine(_dir.FullName, "run.db"), "native");

    [AzureFact]
    public Task FlowRun_OnTheDurableEngine_ExportsTheRunAsOneTrace() =>
        FlowRunExportsOneTraceAsync(AzureStore(), "durable");

    /// <summary><c>flow run</c> (its own embedded worker, or the durable engine's) exports the run's spans like <c>flow worker</c>.</summary>
    private async Task FlowRunExportsOneTraceAsync(string store, string engine)
    {
        var spec = Path.Combine(_dir.FullName, "traced.yaml");
        await File.WriteAllTextAsync(spec, """
            name: traced
            nodes:
              - { id: a, type: echo, with: { x: 1 } }
              - { id: b, type: echo, needs: [a], with: { x: 2 } }
            """);
        var log = Path.Combine(_dir.FullName, $"run-{engine}.log");
        using (var run = FlowProcess.Start(log, new Dictionary<string, string> { ["OTEL_TRACES_EXPORTER"] = "console" }, "run", spec, "--store", store, "--engine", engine))
        {
            await WaitForAsync(() => run.HasExited, "flow run to finish", TimeSpan.FromMinutes(2));
        }

        var output = ReadShared(log);
        output.ShouldContain("Succeeded");
        var spans = ConsoleSpans(output).ToList();
        var start = spans.Where(s => s.DisplayName == "start run").ShouldHaveSingleItem();
        var runId = start.Tags["flowfunctions.run.id"];
        spans.Where(s => s.DisplayName == "activity echo").Select(s => s.Tags["flowfunctions.node.id"]).Order().ShouldBe(["a", "b"]);
        spans.Where(s => s.DisplayName == "episode").ShouldNotBeEmpty();
        foreach (var span in spans.Where(s => s.Tags.GetValueOrDefault("flowfunctions.run.id") == runId))
        {
            span.TraceId.ShouldBe(start.TraceId, span.DisplayName);
        }
    }

    private static string AzureStore() =>
        Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)!.TrimEnd(';') + ";NamePrefix=otel" + Guid.NewGuid().ToString("N")[..12];

    private static string AccountKey(string store) =>
        Regex.Match(store, "AccountKey=([^;]+)") is { Success: true } key ? key.Groups[1].Value : AzuriteInstance.DevelopmentKey;

    /// <summary><c>flow worker</c> exporting its spans to its console.</summary>
    private static FlowProcess StartWorker(string store, string log, Dictionary<string, string> environment)
    {
        environment["OTEL_TRACES_EXPORTER"] = "console";
        return FlowProcess.Start(log, environment, "worker", "--store", store, "--allow-host", "127.0.0.1");
    }

    private static async Task<List<ConsoleSpan>> WaitForSpansAsync(string log, Func<ConsoleSpan, bool> match, int count)
    {
        List<ConsoleSpan> found = [];
        await WaitForAsync(() => (found = [.. ConsoleSpans(ReadShared(log)).Where(match)]).Count >= count, $"{count} spans in the worker's output");
        return found;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTimeOffset.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, $"waited for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>A file another process is still writing.</summary>
    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The spans the OpenTelemetry console exporter printed: <c>Activity.Field: value</c> lines, then indented tags.</summary>
    private static IEnumerable<ConsoleSpan> ConsoleSpans(string output)
    {
        foreach (var block in output.Split("Activity.TraceId:").Skip(1))
        {
            var lines = block.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            var fields = lines.Select(l => ConsoleField().Match(l)).Where(m => m.Success).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
            var tags = lines.SkipWhile(l => !l.StartsWith("Activity.Tags:", StringComparison.Ordinal)).Skip(1)
                .TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal))
                .Select(l => l.Trim().Split(": ", 2))
                .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty);
            yield return new ConsoleSpan(lines[0].Trim(), fields.GetValueOrDefault("ParentSpanId", string.Empty), fields.GetValueOrDefault("DisplayName", string.Empty), tags);
        }
    }

    [GeneratedRegex(@"^Activity\.(\w+):\s+(.*)$")]
    private static partial Regex ConsoleField();

    /// <summary>What an in-memory exporter exported, added to from exporting threads while the test reads it.</summary>
    private sealed class Exported<T> : System.Collections.ObjectModel.Collection<T>
    {
        private readonly Lock _gate = new();

        public List<T> Snapshot()
        {
            lock (_gate)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, T item)
        {
            lock (_gate)
            {
                base.InsertItem(index, item);
            }
        }
    }

    private sealed record ConsoleSpan(string TraceId, string ParentSpanId, string DisplayName, IReadOnlyDictionary<string, string> Tags);

    /// <summary>The host's API in this process on a real port, without a worker, its telemetry going to in-memory exporters.</summary>
    private sealed class TracedApi(WebApplication app, HttpClient client) : IAsyncDisposable
    {
        public static async Task<TracedApi> StartAsync(string store, Exported<Activity> spans, Exported<LogRecord>? logs)
        {
            var url = $"http://127.0.0.1:{DevProcess.FreePort()}";
            string[] args = ["--dev", "--no-worker", "--store", store, "--urls", url];
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = HostExtensions.NormalizeArguments(args), ContentRootPath = AppContext.BaseDirectory });
            builder.AddFlowFunctionsHost(args);
            var telemetry = builder.Services.AddFlowOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(spans));
            if (logs is not null)
            {
                telemetry.WithLogging(logging => logging.AddInMemoryExporter(logs));
            }

            var app = builder.Build();
            app.MapFlowFunctions();
            await app.StartAsync();
            return new TracedApi(app, new HttpClient { BaseAddress = new Uri(url) });
        }

        public async Task<string> StartRunAsync(string spec, string? traceparent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/runs", UriKind.Relative))
            {
                Content = new StringContent(new JsonObject { ["spec"] = spec }.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            if (traceparent is not null)
            {
                request.Headers.Add("traceparent", traceparent);
            }

            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.Accepted, body);
            return JsonNode.Parse(body)!["runId"]!.GetValue<string>();
        }

        public Task<JsonNode> WaitAsync(string runId) => ApiRuns.WaitUntilFinishedAsync(client, runId, TimeSpan.FromSeconds(60));

        public async ValueTask DisposeAsync()
        {
            client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
