using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FlowFunctions.Cli.Dev;
using FlowFunctions.Cli.Tests.Commands;
using FlowFunctions.Cli.Tests.EndToEnd;
using FlowFunctions.Storage.Azure;
using ModelContextProtocol.Client;

namespace FlowFunctions.Cli.Tests.Dev;

/// <summary>
/// <c>flow dev</c> end to end, as a child process stopped with SIGTERM: reusing the Azurite ./test.sh runs on the default
/// ports (left running), and starting its own Azurite from the repository's node_modules on free ports (stopped with it).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DevCommandTests : IDisposable
{
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("flow-dev-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RunningAzuriteFact]
    public async Task Dev_AzuriteAlreadyListening_ReusesIt_ServesTheApi_WorksRuns_AndLeavesItRunningOnStop()
    {
        var portBase = RunningAzuriteFactAttribute.PortBase!.Value;
        var store = DevelopmentStorage.ConnectionString(portBase, portBase + 1, portBase + 2);
        var apiPort = DevProcess.FreePort();
        var api = $"http://127.0.0.1:{apiPort}";

        // A folder with no package.json: reusing needs no project to install into.
        using var dev = DevProcess.Start(_dir, "--data", Path.Combine(_dir, "azurite"), "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port", apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await dev.WaitUntilReadyAsync(ReadyLimit);
        dev.Output.ShouldContain($"Azurite is already listening on 127.0.0.1:{portBase}-{portBase + 2}");
        dev.Output.ShouldContain(store == "UseDevelopmentStorage=true" ? "--store UseDevelopmentStorage=true" : $"--store \"{store}\"");
        dev.Output.ShouldContain($"API     {api}/api");
        dev.Output.ShouldContain($"MCP     {api}/mcp");
        dev.Output.ShouldContain($"{api}/api/openapi.json");
        await using (var mcp = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"{api}/mcp") })))
        {
            (await mcp.ListToolsAsync()).ShouldContain(t => t.Name == "start_run", "flow dev serves MCP without a key");
        }

        await RunThroughTheApiToSuccessAsync(api, dev);
        await RunDetachedToSuccessAsync(store, dev);

        (await dev.TerminateAsync(StopLimit)).ShouldBe(0, dev.Output);
        dev.Output.ShouldContain("flow dev: stopped the API and the worker");
        dev.Output.ShouldNotContain("stopped Azurite");
        foreach (var port in Enumerable.Range(portBase, 3))
        {
            (await AzuritePorts.AnswersAsync(port, CancellationToken.None)).ShouldBeTrue($"the reused Azurite must keep port {port}");
        }
    }

    [OwnAzuriteFact]
    public async Task Dev_NoAzurite_StartsItsOwnOnTheGivenPorts_WorksARun_AndStopsItOnSigterm()
    {
        var portBase = DevProcess.FreePortBase();
        var data = Path.Combine(_dir, "azurite");
        var apiPort = DevProcess.FreePort();
        using var dev = DevProcess.Start(RepositoryPaths.Root, "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", data, "--port", apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await dev.WaitUntilReadyAsync(ReadyLimit);
        var azuritePid = dev.AzuritePid ?? throw new ShouldAssertException("no 'started Azurite (pid N' line: " + dev.Output);
        var store = DevelopmentStorage.ConnectionString(portBase, portBase + 1, portBase + 2);
        dev.Output.ShouldContain($"--store \"{store}\"");

        await RunDetachedToSuccessAsync(store, dev);

        (await dev.TerminateAsync(StopLimit)).ShouldBe(0, dev.Output);
        dev.Output.ShouldContain("flow dev: stopped Azurite");
        IsRunning(azuritePid).ShouldBeFalse("Azurite must exit with flow dev");
        (await AzuritePorts.AnswersAsync(apiPort, CancellationToken.None)).ShouldBeFalse("the API must stop with flow dev");
        foreach (var port in Enumerable.Range(portBase, 3))
        {
            (await AzuritePorts.AnswersAsync(port, CancellationToken.None)).ShouldBeFalse($"port {port} must be closed");
        }

        Directory.EnumerateFileSystemEntries(data).ShouldNotBeEmpty("Azurite keeps its data in --data");
    }

    [Fact]
    public async Task Dev_OutsideAProject_SaysToRunFromACheckoutOrInstallAzurite()
    {
        var portBase = DevProcess.FreePortBase();

        var (code, stdout, stderr) = await FlowProcessIn(_dir, "dev", "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture));

        code.ShouldBe(1, stdout + stderr);
        stderr.ShouldContain("no package.json that lists azurite in this folder or above");
        stderr.ShouldContain("npm install --save-dev azurite");
    }

    [Fact]
    public async Task Dev_PortTakenByAnotherProgram_NamesThePortAndSuggestsPortBase()
    {
        var portBase = DevProcess.FreePortBase();
        var other = new TcpListener(IPAddress.Loopback, portBase + 2);
        other.Start();
        try
        {
            var (code, _, stderr) = await CliRunner.RunAsync("dev", "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture));

            code.ShouldBe(1);
            stderr.ShouldContain($"port {portBase + 2} (Table) is taken by another program");
            stderr.ShouldContain("--port-base");
        }
        finally
        {
            other.Stop();
        }
    }

    [Theory]
    [InlineData("80")]
    [InlineData("65534")]
    public async Task Dev_PortBaseOutOfRange_IsUsageError(string value)
    {
        var (code, _, stderr) = await CliRunner.RunAsync("dev", "--port-base", value);

        code.ShouldBe(2);
        stderr.ShouldContain("--port-base must be from 1024 to 65533");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    public async Task Dev_ApiPortOutOfRange_IsUsageError(string value)
    {
        var (code, _, stderr) = await CliRunner.RunAsync("dev", "--port", value);

        code.ShouldBe(2);
        stderr.ShouldContain("--port must be from 1 to 65535");
    }

    [RunningAzuriteFact]
    public async Task Dev_ApiPortTaken_NamesTheUrlAndSuggestsPort()
    {
        var portBase = RunningAzuriteFactAttribute.PortBase!.Value;
        var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        try
        {
            var apiPort = ((IPEndPoint)other.LocalEndpoint).Port;
            var (code, stdout, stderr) = await FlowProcessIn(_dir, "dev", "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port", apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture));

            code.ShouldBe(1, stdout + stderr);
            stderr.ShouldContain($"cannot serve the API on http://127.0.0.1:{apiPort}");
            stderr.ShouldContain("--port");
        }
        finally
        {
            other.Stop();
        }
    }

    /// <summary>GET /api/health, POST /api/runs with the sample, then GET /api/runs/{id} until it succeeds: the API flow dev serves, worked by its worker.</summary>
    private static async Task RunThroughTheApiToSuccessAsync(string api, DevProcess dev)
    {
        using var client = new HttpClient { BaseAddress = new Uri(api), Timeout = CommandLimit };
        using (var health = await client.GetAsync(new Uri("/api/health", UriKind.Relative)))
        {
            health.StatusCode.ShouldBe(HttpStatusCode.OK, dev.Output);
        }

        var request = new JsonObject { ["spec"] = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Samples, "etl-report.yaml")), ["inputs"] = new JsonObject { ["region"] = "us" } };
        using var accepted = await client.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), request);
        accepted.StatusCode.ShouldBe(HttpStatusCode.Accepted, await accepted.Content.ReadAsStringAsync());
        var runId = JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["runId"]!.GetValue<string>();

        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync(new Uri("/api/runs/" + runId, UriKind.Relative));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (document["status"]!.GetValue<string>() == "Succeeded")
            {
                document["outputs"]!["count"]!.GetValue<int>().ShouldBe(3);
                return;
            }

            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), $"run {runId} is {document["status"]}; flow dev output:{Environment.NewLine}{dev.Output}");
            await Task.Delay(250);
        }
    }

    private static async Task RunDetachedToSuccessAsync(string store, DevProcess dev)
    {
        var detach = await FlowProcess.RunAsync(CommandLimit, "run", Path.Combine(RepositoryPaths.Samples, "etl-report.yaml"), "--store", store, "--detach");
        detach.ExitCode.ShouldBe(0, detach.Stderr);
        var runId = detach.Stdout.Trim();

        // Only flow dev's worker works the run: 'flow run --detach' returned, 'flow status' only reads.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await FlowProcess.RunAsync(CommandLimit, "status", runId, "--store", store, "--output", "json");
            status.ExitCode.ShouldBe(0, status.Stderr);
            var document = JsonNode.Parse(status.Stdout)!;
            if (document["status"]!.GetValue<string>() == "Succeeded")
            {
                document["outputs"]!["count"]!.GetValue<int>().ShouldBe(3);
                return;
            }

            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), $"run {runId} is {document["status"]}; flow dev output:{Environment.NewLine}{dev.Output}");
            await Task.Delay(250);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> FlowProcessIn(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(FlowProcess.FlowDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandLimit);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>
/// Needs the local Azurite the Azure tests use (FLOWFUNCTIONS_TEST_AZURE: ./test.sh sets UseDevelopmentStorage=true; explicit
/// 127.0.0.1 endpoints on three consecutive ports work too), and SIGTERM.
/// </summary>
public sealed partial class RunningAzuriteFactAttribute : FactAttribute
{
    public RunningAzuriteFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "stops flow dev with SIGTERM (Unix)";
        }
        else if (PortBase is null)
        {
            Skip = $"needs a local Azurite: run ./test.sh (it starts Azurite and sets {AzureTheoryAttribute.Variable}=UseDevelopmentStorage=true)";
        }
    }

    /// <summary>The Blob port of the Azurite FLOWFUNCTIONS_TEST_AZURE names, when it is one flow dev could reuse.</summary>
    public static int? PortBase
    {
        get
        {
            var store = Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable) ?? string.Empty;
            if (!BlobPort().Match(store).Success && store != "UseDevelopmentStorage=true")
            {
                return null;
            }

            var port = store == "UseDevelopmentStorage=true" ? DevelopmentStorage.DefaultBlobPort : int.Parse(BlobPort().Match(store).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return DevelopmentStorage.ConnectionString(port, port + 1, port + 2) == store ? port : null;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"BlobEndpoint=http://127\.0\.0\.1:(\d+)/devstoreaccount1")]
    private static partial System.Text.RegularExpressions.Regex BlobPort();
}

/// <summary>Needs node and the repository's node_modules/azurite (./test.sh installs it), and SIGTERM.</summary>
public sealed class OwnAzuriteFactAttribute : FactAttribute
{
    public OwnAzuriteFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "stops flow dev with SIGTERM (Unix)";
        }
        else if (AzuriteProcess.FindExecutable("node") is null || !File.Exists(Path.Combine(RepositoryPaths.Root, "node_modules", "azurite", "package.json")))
        {
            Skip = "needs node and Azurite in the repository's node_modules: run ./test.sh, or npm ci";
        }
    }
}
