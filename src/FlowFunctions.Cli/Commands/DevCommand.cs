using System.CommandLine;
using FlowFunctions.Cli.Dev;
using Microsoft.Extensions.Logging;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// <c>flow dev [--data folder] [--port-base n] [--allow-host host]...</c>: a local Azure environment in one command. Starts
/// Azurite (installing it into the project's node_modules when absent), or reuses one already listening, then works
/// runs with an embedded worker until Ctrl+C or SIGTERM, which stop the worker and then the Azurite it started.
/// </summary>
internal static class DevCommand
{
    /// <summary>The line that says everything is up; scripts and tests wait for it.</summary>
    public const string ReadyLine = "flow dev: ready";

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AzuriteStopGrace = TimeSpan.FromSeconds(5);

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
        var allowHost = CommonOptions.AllowHost();
        var command = new Command("dev", "Start Azurite (installing it when absent) and a worker on it, until Ctrl+C.") { data, portBase, allowHost };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            if (parsed.GetValue(portBase) is < 1024 or > 65533)
            {
                await stderr.WriteLineAsync("flow: --port-base must be from 1024 to 65533 (it and the next two ports are used)");
                return ExitCodes.Invalid;
            }

            var ports = AzuritePorts.FromBase(parsed.GetValue(portBase));
            AzuriteProcess? azurite = null;
            try
            {
                azurite = await StartOrReuseAzuriteAsync(ports, Path.GetFullPath(parsed.GetValue(data)!), stdout, stderr, cancellationToken);
                return await WorkAsync(ports, azurite, parsed.GetValue(allowHost), stdout, stderr, cancellationToken);
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

    private static async Task<int> WorkAsync(AzuritePorts ports, AzuriteProcess? azurite, string[]? allowedHosts, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var store = ports.ConnectionString;
        var storeArgument = store.Contains(';', StringComparison.Ordinal) ? $"\"{store}\"" : store;
        await using var engine = EngineFactory.Open(store, allowedHosts: allowedHosts);
        using var logs = EngineFactory.Logs(LogLevel.Information);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var worker = engine.CreateWorker(logs.CreateLogger("flow.dev")).RunAsync(stop.Token);

        await stdout.WriteLineAsync($"""

              Blob    {Storage.Azure.DevelopmentStorage.Endpoint(ports.Blob)}
              Queue   {Storage.Azure.DevelopmentStorage.Endpoint(ports.Queue)}
              Table   {Storage.Azure.DevelopmentStorage.Endpoint(ports.Table)}
              Store   --store {storeArgument}

            In another terminal:
              flow run samples/etl-report.yaml --store {storeArgument} --detach
              flow runs --store {storeArgument}
              flow status <runId> --store {storeArgument}

            {ReadyLine}: a worker is working the runs of this store. Ctrl+C stops {(azurite is null ? "the worker (not the Azurite it reused)" : "the worker, then Azurite")}.
            """);

        var exitCode = ExitCodes.Ok;
        if (azurite is not null && await Task.WhenAny(worker, azurite.Exited) == azurite.Exited)
        {
            // Ctrl+C in a terminal signals Azurite too (same process group): only an exit without a stop request is news.
            await Task.WhenAny(worker, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
            if (!cancellationToken.IsCancellationRequested)
            {
                await stderr.WriteLineAsync($"flow dev: Azurite exited unexpectedly with code {azurite.ExitCode}; stopping the worker. Its output:{Environment.NewLine}{azurite.LogTail}");
                exitCode = ExitCodes.RunFailed;
            }

            await stop.CancelAsync();
        }

        await worker;
        await stdout.WriteLineAsync("flow dev: stopped the worker");
        return exitCode;
    }
}
