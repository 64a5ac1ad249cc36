using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>The real host process on 127.0.0.1, driven over HTTP: what <c>dotnet run --project src/FlowFunctions.Host -- --dev</c> does.</summary>
public sealed class RealHostTests
{
    [Fact]
    public async Task HostProcess_DevOnLoopback_RunsTheEtlSampleOverHttp()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "FlowFunctions.Host.dll");
        File.Exists(dll).ShouldBeTrue();
        var directory = Directory.CreateTempSubdirectory("ff-host-");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory.FullName,
        };
        foreach (var arg in (string[])[dll, "--dev", "--store", Path.Combine(directory.FullName, "flow.db"), "--urls", $"http://127.0.0.1:{port}"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
            while (true)
            {
                if (process.HasExited) { throw new Xunit.Sdk.XunitException("the host exited: " + output); }
                try
                {
                    if ((await client.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (DateTimeOffset.UtcNow > deadline) { throw new Xunit.Sdk.XunitException("the host did not answer /api/health: " + output); }
                await Task.Delay(200);
            }

            var accepted = await client.StartAsync(new JsonObject { ["spec"] = ApiClient.Sample("etl-report.yaml") });
            var document = await client.WaitAsync(accepted["runId"]!.GetValue<string>());

            document["status"]!.GetValue<string>().ShouldBe("Succeeded");
            document["outputs"]!["count"]!.GetValue<int>().ShouldBe(3);
            document["outputs"]!["message"]!.GetValue<string>().ShouldBe("Processed 3 files in eu, starting with sales.csv");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Harmless.
            }
        }
    }

    [Fact]
    public async Task HostProcess_DevOnAllInterfaces_RefusesToStartAndSaysWhy()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "FlowFunctions.Host.dll"), "--dev", "--store", "unused.db", "--urls", $"http://0.0.0.0:{FreePort()}"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        process.ExitCode.ShouldNotBe(0);
        (await stderr + await stdout).ShouldContain("only allowed on loopback addresses");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
