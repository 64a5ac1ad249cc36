using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>The real host process on 127.0.0.1, driven over HTTP: what <c>dotnet run --project src/FlowFunctions.Host -- --dev</c> does.</summary>
public sealed class RealHostTests
{
    [Fact]
    public async Task HostProcess_DevOnLoopback_RunsTheEtlSampleOverHttp()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client();

        var accepted = await client.StartAsync(new JsonObject { ["spec"] = ApiClient.Sample("etl-report.yaml") });
        var document = await client.WaitAsync(accepted["runId"]!.GetValue<string>());

        document["status"]!.GetValue<string>().ShouldBe("Succeeded");
        document["outputs"]!["count"]!.GetValue<int>().ShouldBe(3);
        document["outputs"]!["message"]!.GetValue<string>().ShouldBe("Processed 3 files in eu, starting with sales.csv");
    }

    [Fact]
    public async Task HostProcess_DevOnAllInterfaces_RefusesToStartAndSaysWhy()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "FlowFunctions.Host.dll"), "--dev", "--store", "unused.db", "--urls", $"http://0.0.0.0:{HostProcess.FreePort()}"])
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
}
