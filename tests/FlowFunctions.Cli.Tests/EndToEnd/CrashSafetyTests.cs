using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Cli.Tests.Commands;
using Xunit.Abstractions;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// The crash-safety guarantee end to end: a detached run worked by <c>flow worker</c> processes that are killed
/// (SIGKILL, no graceful stop) at random moments still succeeds, with every node succeeding exactly once, the same
/// outputs as an undisturbed control run, and every activity re-execution explained by a kill. Two workflows: the mixed
/// one of <see cref="CrashSafetySpec.Yaml"/>, and a 100-step chain (<see cref="CrashSafetySpec.Chain"/>), whose steps take
/// the local fast path (run by the worker that committed them, results applied by its next commit), on SQLite and on Azurite.
/// Set FLOW_CRASH_SEED to replay a seed printed by a failed run.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private const int MinimumKills = 10;
    private const int MaximumKills = 20;
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FinalWaitLimit = TimeSpan.FromSeconds(90);

    private readonly string _dir = Directory.CreateTempSubdirectory("flow-crash-").FullName;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _passed;

    public void Dispose()
    {
        // A failed run keeps its stores and worker logs for diagnosis (the path is in the test output).
        if (_passed)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public Task KilledWorkers_RunSucceedsOnceWithTheControlOutputs_AndEveryReExecutionFollowsAKill() =>
        KilledWorkersAsync(CrashSafetySpec.Yaml, CrashSafetySpec.HttpNodes, 20 + CrashSafetySpec.Items, Path.Combine(_dir, "crash.db"), MixedWorkerLife);

    [Fact]
    public Task KilledWorkers_ChainOf100_EveryStepSucceedsOnceWithTheControlOutputs() =>
        KilledWorkersAsync(port => CrashSafetySpec.Chain(port, ChainSteps), CrashSafetySpec.ChainNodes(ChainSteps), ChainSteps, Path.Combine(_dir, "crash.db"), ChainWorkerLife);

    [AzureFact]
    public Task KilledWorkers_ChainOf100OnAzurite_EveryStepSucceedsOnceWithTheControlOutputs() =>
        KilledWorkersAsync(
            port => CrashSafetySpec.Chain(port, ChainSteps),
            CrashSafetySpec.ChainNodes(ChainSteps),
            ChainSteps,
            Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)!.TrimEnd(';') + ";NamePrefix=crash" + Guid.NewGuid().ToString("N")[..12],
            ChainWorkerLife);

    /// <summary>
    /// The durable engine under the same kills: <c>flow worker --engine durable</c> processes working DTFx's task hub on
    /// Azurite, the 50-node mixed workflow started with <c>flow run --engine durable --detach</c>.
    /// </summary>
    [AzureFact]
    public Task KilledDurableWorkers_OnAzurite_RunSucceedsOnceWithTheControlOutputs_AndEveryReExecutionFollowsAKill() =>
        KilledWorkersAsync(
            CrashSafetySpec.Yaml,
            CrashSafetySpec.HttpNodes,
            20 + CrashSafetySpec.Items,
            Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)!.TrimEnd(';') + ";NamePrefix=crashd" + Guid.NewGuid().ToString("N")[..10],
            DurableWorkerLife,
            "durable");

    /// <summary>
    /// Longer for the durable engine: a new worker owns the task hub's partitions only once the killed worker's leases
    /// expired (2 s), so shorter lives would mostly kill workers that never got to work.
    /// </summary>
    private static readonly (int Min, int Max) DurableWorkerLife = (1500, 5001);

    private const int ChainSteps = 100;

    /// <summary>How long a worker lives before its kill, in ms (the upper bound is exclusive).</summary>
    private static readonly (int Min, int Max) MixedWorkerLife = (100, 901);

    /// <summary>
    /// Longer for the chain: a step in flight on a killed worker is taken over from its outbox row once the run's lease
    /// expired (2 s) by a worker's housekeeping sweep (every 2 s), so with the mixed test's lives most workers would die
    /// before they ever took the chain over, and the kills would land between steps rather than in them.
    /// </summary>
    private static readonly (int Min, int Max) ChainWorkerLife = (500, 4001);
    /// <summary>
    /// Runs <paramref name="specYaml"/> (given the server's port) once undisturbed on a SQLite file, then detached on
    /// <paramref name="store"/> under workers killed after a random life in <paramref name="workerLifeMs"/>, and compares: every one of <paramref name="nodeCount"/> nodes succeeded
    /// once, every node of <paramref name="httpNodes"/> executed, the outputs match, and each re-execution follows a kill.
    /// </summary>
    private async Task KilledWorkersAsync(Func<int, string> specYaml, IReadOnlyList<string> httpNodes, int nodeCount, string store, (int Min, int Max) workerLifeMs, string engine = "native")
    {
        var seed = Environment.GetEnvironmentVariable("FLOW_CRASH_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (FLOW_CRASH_SEED={seed} replays the kill schedule); files in {_dir}");
        var random = new Random(seed);
        await using var server = new RecordingHttpServer(_clock, seed);
        var spec = Path.Combine(_dir, "crash-safety.yaml");
        await File.WriteAllTextAsync(spec, specYaml(server.Port));

        // Control: the same spec, one undisturbed process.
        var control = await FlowProcess.RunAsync(
            CommandLimit, "run", spec, "--output", "json", "--store", Path.Combine(_dir, "control.db"), "--allow-host", "127.0.0.1");
        control.ExitCode.ShouldBe(0, control.Stderr);
        var controlRun = JsonNode.Parse(control.Stdout)!;
        controlRun["status"]!.GetValue<string>().ShouldBe("Succeeded");
        var controlExecutions = server.Requests;
        controlExecutions.GroupBy(r => r.Node).ShouldAllBe(g => g.Count() == 1, "an undisturbed run executes each activity once");
        server.Clear();

        // Crash run: a detached start, then workers killed at random moments.
        var started = _clock.Elapsed;
        var detach = await FlowProcess.RunAsync(CommandLimit, "run", spec, "--detach", "--store", store, "--engine", engine, "--allow-host", "127.0.0.1");
        detach.ExitCode.ShouldBe(0, detach.Stderr);
        var runId = detach.Stdout.Trim();

        var kills = new List<Kill>();
        string? status = null;
        while (kills.Count < MinimumKills || (kills.Count < MaximumKills && !IsTerminal(status)))
        {
            using var worker = StartWorker(store, engine, kills.Count);
            await Task.Delay(random.Next(workerLifeMs.Min, workerLifeMs.Max));
            var killStart = _clock.Elapsed;
            await worker.KillAsync();
            kills.Add(new Kill(kills.Count + 1, killStart, _clock.Elapsed));
            output.WriteLine($"kill {kills.Count} at {Ms(killStart)}: {server.Requests.Count} http executions so far");
            if (kills.Count >= MinimumKills)
            {
                status = await StatusAsync(store, runId);
            }
        }

        output.WriteLine($"after {kills.Count} kills the run is {status}");
        JsonNode run;
        JsonNode? indexed;
        using (StartWorker(store, engine, kills.Count))
        {
            // Stuck means no activity executed for FinalWaitLimit: on a loaded machine the last worker may need longer
            // than that for the whole rest of a 100-step chain, and progress is what tells slow from stuck.
            var waited = Stopwatch.StartNew();
            var executed = server.Requests.Count;
            while (true)
            {
                run = JsonNode.Parse((await FlowProcess.RunAsync(CommandLimit, "status", runId, "--output", "json", "--store", store)).Stdout)!;
                if (IsTerminal(run["status"]!.GetValue<string>()))
                {
                    break;
                }

                if (server.Requests.Count != executed)
                {
                    executed = server.Requests.Count;
                    waited.Restart();
                }

                waited.Elapsed.ShouldBeLessThan(FinalWaitLimit, $"the run is stuck in {run["status"]} after {executed} http executions; worker logs in {_dir}");
                await Task.Delay(250);
            }

            // The run list (what housekeeping finds unfinished runs by) catches up while a worker is still alive.
            while ((indexed = await IndexedAsync(store, runId))?["status"]?.GetValue<string>() != run["status"]!.GetValue<string>())
            {
                waited.Elapsed.ShouldBeLessThan(FinalWaitLimit, $"the run index says {indexed?.ToJsonString()}; worker logs in {_dir}");
                await Task.Delay(250);
            }
        }

        var duration = _clock.Elapsed - started;
        var events = await FlowProcess.RunAsync(CommandLimit, "events", runId, "--output", "json", "--store", store);
        events.ExitCode.ShouldBe(0, events.Stderr);
        var history = JsonNode.Parse(events.Stdout)!.AsArray().Select(e => e!).ToList();
        var executions = server.Requests;
        var reExecutions = executions.GroupBy(r => r.Node).Sum(g => g.Count() - 1);
        output.WriteLine(
            $"{kills.Count} kills, {executions.Count} http executions of {httpNodes.Count} http nodes, "
            + $"{reExecutions} re-executions, {history.Count} transitions, {duration.TotalSeconds:F1}s from start to {run["status"]}");

        // The run completes, every node and map child succeeded, and each did so exactly once.
        run["status"]!.GetValue<string>().ShouldBe("Succeeded", run.ToJsonString());
        var nodes = run["nodes"]!.AsObject();
        nodes.Count.ShouldBe(nodeCount);
        nodes.Where(n => n.Value!["status"]!.GetValue<string>() != "Succeeded").Select(n => n.Key).ShouldBeEmpty();
        var succeeded = history.Where(e => e["to"]!.GetValue<string>() == "Succeeded")
            .GroupBy(e => e["nodeId"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Count());
        succeeded.Keys.Order(StringComparer.Ordinal).ShouldBe(nodes.Select(n => n.Key).Order(StringComparer.Ordinal));
        succeeded.Where(s => s.Value != 1).Select(s => $"{s.Key} succeeded {s.Value} times").ShouldBeEmpty();

        indexed!["nodesDone"]!.GetValue<int>().ShouldBe(indexed["nodesTotal"]!.GetValue<int>());

        // Same outputs as the undisturbed run.
        JsonNode.DeepEquals(run["outputs"], controlRun["outputs"]).ShouldBeTrue(
            $"crash run outputs {run["outputs"]!.ToJsonString()}\ncontrol run outputs {controlRun["outputs"]!.ToJsonString()}");

        // Each activity ran at least once, and nothing else called the server.
        executions.Select(r => r.Node).Distinct().Order(StringComparer.Ordinal)
            .ShouldBe(httpNodes.Order(StringComparer.Ordinal));

        // Every re-execution is explained by a kill: the previous execution started before a worker was dead, and
        // the re-execution started after that kill began (the killed worker's work item came back after its visibility).
        // DTFx has one more at-least-once path: an orchestration episode that sent its activity messages and died before
        // its history was saved is replayed by the next worker, which sends them again, so both executions may start
        // after the kill. For the durable engine the rule is that a kill came before the re-execution.
        var durableRule = engine == "durable";
        var unexplained = new List<string>();
        foreach (var node in executions.GroupBy(r => r.Node))
        {
            var runs = node.OrderBy(r => r.At).ToList();
            for (var i = 1; i < runs.Count; i++)
            {
                var (previous, again) = (runs[i - 1], runs[i]);
                var cause = kills.LastOrDefault(k => (durableRule || previous.At < k.End) && k.Start < again.At);
                if (cause is null)
                {
                    unexplained.Add($"{node.Key}: execution #{again.Sequence} at {Ms(again.At)} follows #{previous.Sequence} at {Ms(previous.At)} with no kill in between");
                }
                else
                {
                    output.WriteLine($"  {node.Key}: re-executed at {Ms(again.At)} after kill {cause.Number} at {Ms(cause.Start)} (previous start {Ms(previous.At)})");
                }
            }
        }

        if (unexplained.Count > 0)
        {
            output.WriteLine("kills: " + string.Join(", ", kills.Select(k => $"#{k.Number} {Ms(k.Start)}-{Ms(k.End)}")));
        }

        unexplained.ShouldBeEmpty();
        _passed = true;
    }

    private static bool IsTerminal(string? status) => status is "Succeeded" or "Failed" or "Cancelled";

    private static string Ms(TimeSpan at) => $"{at.TotalMilliseconds:F0}ms";

    private FlowProcess StartWorker(string store, string engine, int number) =>
        FlowProcess.Start(
            Path.Combine(_dir, $"worker-{number.ToString("D2", CultureInfo.InvariantCulture)}.log"),
            "worker", "--store", store, "--engine", engine, "--visibility", "2s", "--allow-host", "127.0.0.1");

    private static async Task<string> StatusAsync(string store, string runId)
    {
        var status = await FlowProcess.RunAsync(CommandLimit, "status", runId, "--output", "json", "--store", store);
        status.ExitCode.ShouldBe(0, status.Stderr);
        return JsonNode.Parse(status.Stdout)!["status"]!.GetValue<string>();
    }

    private static async Task<JsonNode?> IndexedAsync(string store, string runId)
    {
        var runs = await FlowProcess.RunAsync(CommandLimit, "runs", "--output", "json", "--store", store);
        runs.ExitCode.ShouldBe(0, runs.Stderr);
        return JsonNode.Parse(runs.Stdout)!["runs"]!.AsArray().SingleOrDefault(r => r!["runId"]!.GetValue<string>() == runId);
    }

    /// <summary>One SIGKILL: sent at <paramref name="Start"/>, the process was gone by <paramref name="End"/> (test clock).</summary>
    private sealed record Kill(int Number, TimeSpan Start, TimeSpan End);
}
