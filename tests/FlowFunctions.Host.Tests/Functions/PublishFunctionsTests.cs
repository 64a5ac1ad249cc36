using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FlowFunctions.Host.Functions;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>
/// scripts/publish-functions.sh produces the layout the Functions host expects of a custom-handler app
/// (https://learn.microsoft.com/azure/azure-functions/functions-custom-handlers#application-structure): host.json at the
/// root, one folder per function with its function.json, and the executable host.json's customHandler names.
/// </summary>
[Trait("Category", "Publish")]
public sealed class PublishFunctionsTests
{
    private static readonly string Root = Deployment.Repository.Root;

    [Fact]
    public async Task PublishScript_ProducesTheFunctionsLayout_AndTheHandlerServesTheDocumentedPayload()
    {
        var output = Path.Combine(Path.GetTempPath(), "flowfunctions-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, log) = await RunAsync(Path.Combine(Root, "scripts", "publish-functions.sh"), [output], TimeSpan.FromMinutes(3));
            code.ShouldBe(0, log);

            var host = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "host.json")))!;
            var executable = Path.Combine(output, host["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>());
            File.Exists(executable).ShouldBeTrue(executable);
            if (!OperatingSystem.IsWindows())
            {
                File.GetUnixFileMode(executable).HasFlag(UnixFileMode.UserExecute).ShouldBeTrue();
            }

            var triggers = new Dictionary<string, string>
            {
                [FunctionNames.Control] = "queueTrigger",
                [FunctionNames.Work] = "queueTrigger",
                [FunctionNames.PriorityWork] = "queueTrigger",
                [FunctionNames.StartRun] = "queueTrigger",
                [FunctionNames.StartRunServiceBus] = "serviceBusTrigger",
                [FunctionNames.Housekeeping] = "timerTrigger",
                [FunctionNames.Api] = "httpTrigger",
            };
            Directory.GetDirectories(output).Select(Path.GetFileName).Where(d => d != "handler").Order().ShouldBe(triggers.Keys.Order());
            foreach (var (function, type) in triggers)
            {
                var definition = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, function, "function.json")))!;
                definition["bindings"]![0]!["type"]!.GetValue<string>().ShouldBe(type, function);
            }

            // The published handler answers the Functions host on the port it is given.
            var port = FreePort();
            var store = Path.Combine(output, "store", "flow.db");
            using var handler = Process.Start(new ProcessStartInfo(executable)
            {
                WorkingDirectory = Path.GetDirectoryName(executable)!,
                Environment = { [CustomHandlerExtensions.PortVariable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["FlowFunctions__Store"] = store },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                var payload = Payloads.Queue(new JsonObject { ["spec"] = Payloads.HelloSpec() }.ToJsonString());
                var response = await RetryAsync(() => client.PostAsJsonAsync(new Uri("/" + FunctionNames.StartRun, UriKind.Relative), payload));
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
            }
            finally
            {
                handler.Kill(entireProcessTree: true);
                await handler.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void HostJson_QueueEncodingAndPolling_MatchOurQueueClient()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "host.json")))!;
        var queues = host["extensions"]!["queues"]!;

        // AzureWorkQueue base64-encodes every body (large-body references included).
        queues["messageEncoding"]!.GetValue<string>().ShouldBe("base64");
        TimeSpan.Parse(queues["maxPollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(2));
        host["customHandler"]!["enableForwardingHttpRequest"]!.GetValue<bool>().ShouldBeTrue();
    }

    private static async Task<HttpResponseMessage> RetryAsync(Func<Task<HttpResponseMessage>> send)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await send();
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int Code, string Log)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
