using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FlowFunctions.Cli.Dev;
using FlowFunctions.Cli.Tests.Commands;
using FlowFunctions.Cli.Tests.EndToEnd;
using FlowFunctions.Storage.Azure;

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
    public async Task Dev_AzuriteAlreadyListening_ReusesIt_WorksARun_AndLeavesItRunningOnStop()
    {
        var portBase = RunningAzuriteFactAttribute.PortBase!.Value;
        var store = DevelopmentStorage.ConnectionString(portBase, portBase + 1, portBase + 2);

        // A folder with no package.json: reusing needs no project to install into.
        using var dev = DevProcess.Start(_dir, "--data", Path.Combine(_dir, "azurite"), "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await dev.WaitUntilReadyAsync(ReadyLimit);
        dev.Output.ShouldContain($"Azurite is already listening on 127.0.0.1:{portBase}-{portBase + 2}");
        dev.Output.ShouldContain(store == "UseDevelopmentStorage=true" ? "--store UseDevelopmentStorage=true" : $"--store \"{store}\"");

        await RunDetachedToSuccessAsync(store, dev);

        (await dev.TerminateAsync(StopLimit)).ShouldBe(0, dev.Output);
        dev.Output.ShouldContain("flow dev: stopped the worker");
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
        using var dev = DevProcess.Start(RepositoryPaths.Root, "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", data);
        await dev.WaitUntilReadyAsync(ReadyLimit);
        var azuritePid = dev.AzuritePid ?? throw new ShouldAssertException("no 'started Azurite (pid N' line: " + dev.Output);
        var store = DevelopmentStorage.ConnectionString(portBase, portBase + 1, portBase + 2);
        dev.Output.ShouldContain($"--store \"{store}\"");

        await RunDetachedToSuccessAsync(store, dev);

        (await dev.TerminateAsync(StopLimit)).ShouldBe(0, dev.Output);
        dev.Output.ShouldContain("flow dev: stopped Azurite");
        IsRunning(azuritePid).ShouldBeFalse("Azurite must exit with flow dev");
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
