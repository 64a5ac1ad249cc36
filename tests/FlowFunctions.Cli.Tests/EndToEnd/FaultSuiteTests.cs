using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Cli.Tests.Commands;
using Xunit.Abstractions;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// The fault suite of docs/reliability.md on Azure Storage (Azurite): three <c>flow worker</c> processes share a store
/// while one of them is killed (SIGKILL) every few seconds, under twenty concurrent runs of mixed specs with raised
/// events and graph patches arriving mid-run; and a storage outage (Azurite stopped for 15 s and started again on the
/// same data). Every run must end Succeeded with its expected outputs, no node may succeed twice, and no accepted event
/// or patch may be lost. FLOW_FAULT_SEED replays a kill schedule; FLOW_FAULT_SOAK=n runs n times as many runs and kills.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class FaultSuiteTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FinishLimit = TimeSpan.FromSeconds(240);

    private readonly string _dir = Directory.CreateTempSubdirectory("flow-fault-").FullName;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _passed;

    private static int Soak => int.TryParse(Environment.GetEnvironmentVariable("FLOW_FAULT_SOAK"), out var factor) && factor > 1 ? factor : 1;

    public void Dispose()
    {
        if (_passed)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [AzureFact]
    public async Task ThreeWorkers_OneKilledEveryFewSeconds_TwentyMixedRuns_AllSucceedOnceWithNothingLost()
    {
        var seed = Environment.GetEnvironmentVariable("FLOW_FAULT_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (FLOW_FAULT_SEED={seed} replays it); files in {_dir}");
        var random = new Random(seed);
        var store = Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)!.TrimEnd(';') + ";NamePrefix=fault" + Guid.NewGuid().ToString("N")[..12];
        await using var server = new RecordingHttpServer(_clock, seed, minDelayMs: 50, maxDelayMs: 250);
        var runs = FaultSuiteRun.Mixed(20 * Soak, server.Port);

        var workers = Enumerable.Range(0, 3).Select(slot => StartWorker(store, slot, 0)).ToArray();
        var kills = new List<(int Slot, TimeSpan At)>();
        using var stopKilling = new CancellationTokenSource();
        var killer = Task.Run(async () =>
        {
            while (!stopKilling.IsCancellationRequested)
            {
                await Task.Delay(random.Next(1500, 3501), CancellationToken.None);
                var slot = random.Next(workers.Length);
                await workers[slot].KillAsync();
                workers[slot].Dispose();
                lock (kills)
                {
                    kills.Add((slot, _clock.Elapsed));
                    workers[slot] = StartWorker(store, slot, kills.Count);
                }
            }
        });

        try
        {
            // Start every run, then change the graph of the patch runs and raise the events, all while workers die.
            var ids = new Dictionary<FaultSuiteRun, string>();
            foreach (var run in runs)
            {
                var spec = Path.Combine(_dir, run.Name + ".yaml");
                await File.WriteAllTextAsync(spec, run.Yaml);
                ids[run] = (await CommandAsync("run", spec, "--detach", "--store", store)).Trim();
            }

            foreach (var run in runs.Where(run => run.Kind == "patch"))
            {
                var patch = Path.Combine(_dir, run.Name + ".patch.json");
                await File.WriteAllTextAsync(patch, run.Patch.ToJsonString());
                await CommandAsync("patch", ids[run], patch, "--store", store);
            }

            foreach (var run in runs.Where(run => run.Raises))
            {
                await CommandAsync("raise", ids[run], FaultSuiteRun.Event, "--data", run.Payload.ToJsonString(), "--store", store);
            }

            // Every run finishes while the killing goes on (at least a few kills land first).
            var waited = Stopwatch.StartNew();
            while (true)
            {
                var unfinished = await UnfinishedAsync(store, ids.Values);
                int killed;
                lock (kills)
                {
                    killed = kills.Count;
                }

                if (unfinished.Count == 0 && killed >= 3 * Soak)
                {
                    break;
                }

                waited.Elapsed.ShouldBeLessThan(FinishLimit, $"unfinished after {killed} kills: {string.Join(", ", unfinished)}; worker logs in {_dir}");
                await Task.Delay(500);
            }
        }
        finally
        {
            await stopKilling.CancelAsync();
            await killer;
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        output.WriteLine($"{runs.Count} runs, {kills.Count} kills, {server.Requests.Count} http executions, {_clock.Elapsed.TotalSeconds:F0}s");
        await VerifyAsync(store, runs, server);
        _passed = true;
    }

    [AzureFact]
    public async Task StorageStoppedFor15Seconds_WorkersBackOffWithoutCrashingOrFlooding_AndEveryRunCompletes()
    {
        await using var azurite = await AzuriteInstance.StartAsync(Path.Combine(_dir, "azurite"));
        var store = azurite.ConnectionString;
        await using var server = new RecordingHttpServer(_clock, seed: 7, minDelayMs: 100, maxDelayMs: 300);
        var runs = FaultSuiteRun.Mixed(8, server.Port).Where(run => run.Kind is "map" or "retry").ToList();
        var workers = Enumerable.Range(0, 2).Select(slot => StartWorker(store, slot, 0)).ToArray();
        try
        {
            var ids = new Dictionary<FaultSuiteRun, string>();
            foreach (var run in runs)
            {
                var spec = Path.Combine(_dir, run.Name + ".yaml");
                await File.WriteAllTextAsync(spec, run.Yaml);
                ids[run] = (await CommandAsync("run", spec, "--detach", "--store", store)).Trim();
            }

            // Mid-run (the first activities have reached the server), storage goes away for 15 s.
            var started = Stopwatch.StartNew();
            while (server.Requests.Count < 3)
            {
                started.Elapsed.ShouldBeLessThan(CommandLimit, "no activity started");
                await Task.Delay(100);
            }

            var linesBefore = workers.Select(worker => LogLines(worker)).ToArray();
            await azurite.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(15));
            workers.ShouldAllBe(worker => !worker.Process.HasExited, "a worker exited while storage was away");
            var outageLines = workers.Select((worker, i) => LogLines(worker) - linesBefore[i]).ToArray();
            output.WriteLine($"log lines per worker during the outage: {string.Join(", ", outageLines)}");
            outageLines.ShouldAllBe(lines => lines <= 60, "a worker floods its log while storage is away");
            await azurite.StartAgainAsync();

            var waited = Stopwatch.StartNew();
            while (await UnfinishedAsync(store, ids.Values) is { Count: > 0 } unfinished)
            {
                waited.Elapsed.ShouldBeLessThan(FinishLimit, $"unfinished after the outage: {string.Join(", ", unfinished)}; worker logs in {_dir}");
                await Task.Delay(500);
            }

            workers.ShouldAllBe(worker => !worker.Process.HasExited, "a worker exited after storage came back");
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        await VerifyAsync(store, runs, server);
        _passed = true;
    }

    private static int LogLines(Worker worker) => File.ReadAllLines(worker.Log).Length;

    /// <summary>Each run Succeeded with its outputs, each node (the patched-in one too) Succeeded exactly once, each activity ran.</summary>
    private async Task VerifyAsync(string store, IReadOnlyList<FaultSuiteRun> runs, RecordingHttpServer server)
    {
        var problems = new List<string>();
        var ids = JsonNode.Parse(await CommandAsync("runs", "--output", "json", "--store", store, "--limit", "1000"))!["runs"]!.AsArray()
            .ToDictionary(run => run!["workflow"]!.GetValue<string>(), run => run!["runId"]!.GetValue<string>());
        foreach (var run in runs)
        {
            var document = JsonNode.Parse(await CommandAsync("status", ids[run.Name], "--output", "json", "--store", store))!;
            if (document["status"]!.GetValue<string>() != "Succeeded")
            {
                problems.Add($"{run.Name}: {document["status"]} {document.ToJsonString()}");
                continue;
            }

            if (!JsonNode.DeepEquals(document["outputs"], run.ExpectedOutputs))
            {
                problems.Add($"{run.Name}: outputs {document["outputs"]!.ToJsonString()}, expected {run.ExpectedOutputs.ToJsonString()}");
            }

            var nodes = document["nodes"]!.AsObject();
            if (run.Kind == "patch" && nodes["extra"]?["output"]?["added"]?.GetValue<int>() != run.Number)
            {
                problems.Add($"{run.Name}: the patched-in node is {nodes["extra"]?.ToJsonString() ?? "missing"}");
            }

            var history = JsonNode.Parse(await CommandAsync("events", ids[run.Name], "--output", "json", "--store", store))!.AsArray();
            var succeeded = history.Where(e => e!["to"]!.GetValue<string>() == "Succeeded").GroupBy(e => e!["nodeId"]!.GetValue<string>()).ToList();
            problems.AddRange(succeeded.Where(g => g.Count() != 1).Select(g => $"{run.Name}: {g.Key} succeeded {g.Count()} times"));
            var missing = nodes.Select(n => n.Key).Except(succeeded.Select(g => g.Key)).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"{run.Name}: no Succeeded transition for {string.Join(", ", missing)}");
            }
        }

        var executed = server.Requests.Select(request => request.Node).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(runs.SelectMany(run => run.HttpNodes).Where(node => !executed.Contains(node)).Select(node => $"{node} never executed"));
        problems.ShouldBeEmpty();
    }

    private async Task<IReadOnlyList<string>> UnfinishedAsync(string store, IEnumerable<string> runIds)
    {
        var listed = JsonNode.Parse(await CommandAsync("runs", "--output", "json", "--store", store, "--limit", "1000"))!["runs"]!.AsArray()
            .ToDictionary(run => run!["runId"]!.GetValue<string>(), run => run!["status"]!.GetValue<string>());
        return [.. runIds.Where(id => listed.GetValueOrDefault(id) is not ("Succeeded" or "Failed" or "Cancelled"))];
    }

    private async Task<string> CommandAsync(params string[] args)
    {
        var (code, stdout, stderr) = await FlowProcess.RunAsync(CommandLimit, args);
        code.ShouldBe(0, $"flow {string.Join(' ', args.Take(2))}: {stderr}");
        return stdout;
    }

    private Worker StartWorker(string store, int slot, int generation)
    {
        var log = Path.Combine(_dir, $"worker-{slot}-{generation.ToString("D2", CultureInfo.InvariantCulture)}.log");
        return new Worker(FlowProcess.Start(log, "worker", "--store", store, "--visibility", "3s", "--allow-host", "127.0.0.1"), log);
    }

    /// <summary>A worker process and its log file.</summary>
    private sealed record Worker(FlowProcess Process, string Log) : IDisposable
    {
        public Task KillAsync() => Process.KillAsync();

        public void Dispose() => Process.Dispose();
    }
}
