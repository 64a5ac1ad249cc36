using System.CommandLine;
using System.Globalization;
using FlowFunctions.Cli.Dev;
using FlowFunctions.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// <c>flow dev [--data folder] [--port-base n] [--port n] [--allow-host host]...</c>: a local Azure environment in one
/// command. Starts Azurite (installing it into the project's node_modules when absent), or reuses one already listening,
/// then serves the host's HTTP API on http://127.0.0.1:&lt;port&gt; (in development mode: no authentication, loopback only)
/// with the host's in-process worker working the runs, until Ctrl+C or SIGTERM, which stop the API and its worker and then
/// the Azurite it started.
/// </summary>
internal static class DevCommand
{
    /// <summary>The line that says everything is up; scripts and tests wait for it.</summary>
    public const string ReadyLine = "flow dev: ready";

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AzuriteStopGrace = TimeSpan.FromSeconds(5);

    /// <summary>The API's default port: the one Azure Functions Core Tools use, so the URLs read the same as under <c>func start</c>.</summary>
    public const int DefaultApiPort = 7071;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var data = new Option<string>("--data")
        {
            Description = "Azurite's data folder (kept between sessions; delete it to start afresh).",
            DefaultValueFactory = _ => Path.Combine(".flow", "azurite"),
        };
        var portBase = new Option<int>("--port-base")
        {
            Description = "Blob port; Queue and Table use the next two (default 10000, Azurite's usual 10000-10002).",
            DefaultValueFactory = _ => 10000,
        };
        var apiPort = new Option<int>("--port")
        {
            Description = $"Port of the HTTP API, served on http://127.0.0.1 only (default {DefaultApiPort}).",
            DefaultValueFactory = _ => DefaultApiPort,
        };
        var allowHost = CommonOptions.AllowHost();
        var engineKind = CommonOptions.Engine();
        var command = new Command("dev", "Start Azurite (installing it when absent) and serve the HTTP API with a worker on it, until Ctrl+C.") { data, portBase, apiPort, engineKind, allowHost };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            if (parsed.GetValue(portBase) is < 1024 or > 65533)
            {
                await stderr.WriteLineAsync("flow: --port-base must be from 1024 to 65533 (it and the next two ports are used)");
                return ExitCodes.Invalid;
            }

            if (parsed.GetValue(apiPort) is < 1 or > 65535)
            {
                await stderr.WriteLineAsync("flow: --port must be from 1 to 65535");
                return ExitCodes.Invalid;
            }

            var ports = AzuritePorts.FromBase(parsed.GetValue(portBase));
            AzuriteProcess? azurite = null;
            try
            {
                azurite = await StartOrReuseAzuriteAsync(ports, Path.GetFullPath(parsed.GetValue(data)!), stdout, stderr, cancellationToken);
                return await ServeAsync(ports, parsed.GetValue(apiPort), parsed.GetValue(engineKind)!, azurite, parsed.GetValue(allowHost), stdout, stderr, cancellationToken);
            }
            catch (DevException ex)
            {
                await stderr.WriteLineAsync($"flow dev: {ex.Message}");
                return ExitCodes.RunFailed;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C while installing or starting: nothing to report, Azurite is stopped below.
                return ExitCodes.Ok;
            }
            finally
            {
                if (azurite is not null)
                {
                    await azurite.StopAsync(AzuriteStopGrace);
                    await stdout.WriteLineAsync("flow dev: stopped Azurite");
                    azurite.Dispose();
                }
            }
        });
        return command;
    }

    /// <summary>Returns the Azurite it started, or null when one already listens on all three ports (that one keeps running).</summary>
    private static async Task<AzuriteProcess?> StartOrReuseAzuriteAsync(AzuritePorts ports, string dataFolder, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var states = await Task.WhenAll(ports.All.Select(async p => (p.Service, p.Port, State: await AzuritePorts.ProbeAsync(p.Port, p.Service, cancellationToken))));
        if (states.All(s => s.State == PortState.Azurite))
        {
            await stdout.WriteLineAsync($"flow dev: Azurite is already listening on 127.0.0.1:{ports.Blob}-{ports.Table}; using it (it keeps running when flow dev stops)");
            return null;
        }

        var taken = states.Where(s => s.State != PortState.Free).ToList();
        if (taken.Count > 0)
        {
            var which = string.Join(", ", taken.Select(s => $"{s.Port} ({s.Service}) is taken by {(s.State == PortState.Azurite ? "an Azurite" : "another program")}"));
            throw new DevException($"cannot start Azurite on 127.0.0.1:{ports.Blob}-{ports.Table}: port {which}. Stop that program, or use other ports with --port-base.");
        }

        var root = ProjectRoot.Find(Directory.GetCurrentDirectory())
            ?? throw new DevException(
                "no package.json that lists azurite in this folder or above. Run flow dev from a FlowFunctions checkout, "
                + "or in your project run 'npm install --save-dev azurite' first.");
        var script = await AzuriteProcess.EnsureInstalledAsync(root, stderr, cancellationToken);
        Directory.CreateDirectory(dataFolder);
        var azurite = AzuriteProcess.Start(script, dataFolder, ports, stderr);
        try
        {
            await azurite.WaitUntilListeningAsync(ports, StartLimit, cancellationToken);
        }
        catch
        {
            await azurite.StopAsync(AzuriteStopGrace);
            azurite.Dispose();
            throw;
        }

        await stdout.WriteLineAsync($"flow dev: started Azurite (pid {azurite.Id}, data in {dataFolder})");
        return azurite;
    }

    /// <summary>
    /// Builds and runs the host's web application in this process: development mode (no API key) on 127.0.0.1 only, on the
    /// Azurite store; its in-process worker is the only worker flow dev runs.
    /// </summary>
    private static async Task<int> ServeAsync(AzuritePorts ports, int apiPort, string engine, AzuriteProcess? azurite, string[]? allowedHosts, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var store = ports.ConnectionString;
        var storeArgument = store.Contains(';', StringComparison.Ordinal) ? $"\"{store}\"" : store;
        var apiUrl = $"http://127.0.0.1:{apiPort.ToString(CultureInfo.InvariantCulture)}";
        string[] hostArgs = ["--dev", "--store", store, "--engine", engine, "--urls", apiUrl, .. (allowedHosts ?? []).SelectMany(h => (string[])["--allow-host", h])];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = HostExtensions.NormalizeArguments(hostArgs), ContentRootPath = AppContext.BaseDirectory });
        builder.AddFlowFunctionsHost(hostArgs);
        // Ctrl+C and SIGTERM belong to the command line (they cancel cancellationToken), not to the web host's console lifetime.
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        await using var app = builder.Build();
        app.MapFlowFunctions();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            throw new DevException($"cannot serve the API on {apiUrl}: {ex.Message} Stop that program, or use another port with --port.");
        }
        catch (OptionsValidationException ex)
        {
            throw new DevException($"cannot start the API: {ex.Message}");
        }

        await stdout.WriteLineAsync($"""

              API     {apiUrl}/api   (OpenAPI: {apiUrl}/api/openapi.json; no API key: development mode, loopback only)
              MCP     {apiUrl}/mcp   (streamable HTTP for agents; docs/mcp.md)
              Blob    {Storage.Azure.DevelopmentStorage.Endpoint(ports.Blob)}
              Queue   {Storage.Azure.DevelopmentStorage.Endpoint(ports.Queue)}
              Table   {Storage.Azure.DevelopmentStorage.Endpoint(ports.Table)}
              Store   --store {storeArgument}

            In another terminal:
              curl {apiUrl}/api/health
              flow run samples/etl-report.yaml --store {storeArgument} --engine {engine} --detach
              flow runs --store {storeArgument}
              flow status <runId> --store {storeArgument}

            {ReadyLine}: the API is at {apiUrl}/api and a worker is working the {engine} runs of this store. Ctrl+C stops {(azurite is null ? "the API and the worker (not the Azurite it reused)" : "the API and the worker, then Azurite")}.
            """);

        var exitCode = ExitCodes.Ok;
        var stopped = Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var hostStopped = Task.Delay(Timeout.Infinite, app.Lifetime.ApplicationStopping).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var azuriteExited = azurite?.Exited; // one task: every read of Exited is a new one
        var first = await Task.WhenAny(azuriteExited is null ? [stopped, hostStopped] : [stopped, hostStopped, azuriteExited]);
        if (azurite is not null && first == azuriteExited)
        {
            // Ctrl+C in a terminal signals Azurite too (same process group): only an exit without a stop request is news.
            await Task.WhenAny(stopped, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
            if (!cancellationToken.IsCancellationRequested)
            {
                await stderr.WriteLineAsync($"flow dev: Azurite exited unexpectedly with code {azurite.ExitCode}; stopping the API and the worker. Its output:{Environment.NewLine}{azurite.LogTail}");
                exitCode = ExitCodes.RunFailed;
            }
        }
        else if (first == hostStopped && !cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("flow dev: the API host stopped on its own (see the log above)");
            exitCode = ExitCodes.RunFailed;
        }

        await app.StopAsync(CancellationToken.None);
        await stdout.WriteLineAsync("flow dev: stopped the API and the worker");
        return exitCode;
    }

    /// <summary>A host lifetime that leaves signals alone: flow dev stops the web host itself when the command is cancelled.</summary>
    private sealed class CommandLineLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
