using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Engine;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage;

namespace FlowFunctions.Bench;

/// <summary>
/// Latency from a graph patch accepted (<see cref="FlowEngine.PatchRunAsync"/> returned) and from an external event
/// accepted (<see cref="FlowEngine.RaiseEventAsync"/> returned) to the new node's activity starting (the start of its
/// activity span, which the pipeline opens right before the handler), with one in-process worker that is idle, then
/// busy with fan-out runs started back to back (a few always in flight).
/// </summary>
internal static class PatchLatency
{
    private const int InFlight = 6;
    private const int BackgroundWidth = 200;

    public static async Task<int> RunChildAsync(int samples, bool azure, string engineKind)
    {
        await using var stores = BenchStores.Open(azure, "latency");
        await using var engine = BenchEngine.Create(stores, engineKind);
        await BenchEngine.PrepareAsync(engine);
        using var probe = new HandlerProbe();
        using var stop = new CancellationTokenSource();
        var worker = BenchEngine.WorkAsync(engine, stop.Token);

        _ = await MeasureAsync(engine, probe, Math.Min(samples, 10));
        var idle = await MeasureAsync(engine, probe, samples);

        using var loadStop = new CancellationTokenSource();
        var load = Task.Run(() => LoadAsync(engine, stores.Poll, loadStop.Token));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var busy = await MeasureAsync(engine, probe, samples);
        await loadStop.CancelAsync();
        var (nodes, seconds) = await load;

        await stop.CancelAsync();
        await worker;
        var result = new JsonObject
        {
            ["store"] = azure ? "azure" : "sqlite",
            ["engine"] = engineKind,
            ["samples"] = samples,
            ["idle"] = idle,
            ["busy"] = busy,
            ["busyBackgroundNodesPerSecond"] = nodes / seconds,
            ["busyInFlightRuns"] = InFlight,
        };
        Console.WriteLine(Scenarios.ResultPrefix + result.ToJsonString());
        return 0;
    }

    /// <summary>Alternates a patch sample and a raise sample on one run that a wait node keeps Running.</summary>
    private static async Task<JsonObject> MeasureAsync(FlowEngine engine, HandlerProbe probe, int samples)
    {
        var yaml = new StringBuilder("name: bench-latency\nnodes:\n  - { id: hold, type: wait, with: { event: never } }\n");
        for (var i = 0; i < samples; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: gate{i}, type: wait, with: {{ event: go{i} }} }}\n  - {{ id: after{i}, type: echo, needs: [gate{i}], with: {i} }}\n");
        }

        var text = yaml.ToString();
        var spec = SpecLoader.Load(text, SpecFormat.Yaml).Spec ?? throw new InvalidOperationException("latency spec does not validate");
        var runId = await engine.StartRunAsync(spec, text, null);
        var patchMs = new List<double>();
        var raiseMs = new List<double>();
        var patchDispatchMs = new List<double>();
        var raiseDispatchMs = new List<double>();

        // The node's StartedAt is the "now" of the decision that dispatched it: accepted -> decision is the wake-up and the
        // episode's load; decision -> activity start is the rest of the episode (commit, enqueue) and the wait in the work queue.
        async Task<double> DispatchedAfterAsync(string node, DateTime accepted) =>
            ((await engine.GetRunAsync(runId))!.Nodes[node].StartedAt!.Value.UtcDateTime - accepted).TotalMilliseconds;
        for (var i = 0; i < samples; i++)
        {
            var node = $"p{i}";
            var patch = GraphPatch.Parse(JsonNode.Parse($$"""{ "operations": [ { "op": "addNode", "node": { "id": "{{node}}", "type": "echo", "with": {{i}} } } ] }""")).Patch!;
            var started = probe.Expect(runId, node);
            var result = await engine.PatchRunAsync(runId, patch, "bench");
            var accepted = DateTime.UtcNow;
            if (result.Outcome != PatchOutcome.Accepted)
            {
                throw new InvalidOperationException($"patch refused: {string.Join("; ", result.Errors)}");
            }

            patchMs.Add(((await started.WaitAsync(TimeSpan.FromSeconds(60))) - accepted).TotalMilliseconds);
            patchDispatchMs.Add(await DispatchedAfterAsync(node, accepted));

            started = probe.Expect(runId, $"after{i}");
            var raised = await engine.RaiseEventAsync(runId, $"go{i}", JsonValue.Create(i));
            accepted = DateTime.UtcNow;
            if (raised.Outcome != ControlOutcome.Accepted)
            {
                throw new InvalidOperationException(raised.Message);
            }

            raiseMs.Add(((await started.WaitAsync(TimeSpan.FromSeconds(60))) - accepted).TotalMilliseconds);
            raiseDispatchMs.Add(await DispatchedAfterAsync($"after{i}", accepted));
        }

        await engine.ControlRunAsync(runId, new RunEvent.RunTerminateRequested("bench done"));
        return new JsonObject
        {
            ["patch"] = Percentiles(patchMs), ["raise"] = Percentiles(raiseMs),
            ["patchToDispatch"] = Percentiles(patchDispatchMs), ["raiseToDispatch"] = Percentiles(raiseDispatchMs),
        };
    }

    /// <summary>Keeps <see cref="InFlight"/> fan-out runs in flight until stopped; returns the nodes they completed and the time.</summary>
    private static async Task<(double Nodes, double Seconds)> LoadAsync(FlowEngine engine, IFlowStore poll, CancellationToken stop)
    {
        var text = SpecText.FanOut(BackgroundWidth);
        var spec = SpecLoader.Load(text, SpecFormat.Yaml).Spec!;
        var running = new List<string>();
        var finished = 0;
        var watch = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            while (running.Count < InFlight)
            {
                running.Add(await engine.StartRunAsync(spec, text, null, cancellationToken: CancellationToken.None));
            }

            foreach (var runId in running.ToList())
            {
                var header = await poll.Partitions.GetAsync(runId, "run", CancellationToken.None);
                if (header is not null && Enum.TryParse<RunStatus>(JsonNode.Parse(header.Value)!["status"]!.GetValue<string>(), out var status) && status.IsTerminal())
                {
                    running.Remove(runId);
                    finished++;
                }
            }

            await Task.Delay(20, CancellationToken.None);
        }

        return (finished * (double)BackgroundWidth, watch.Elapsed.TotalSeconds);
    }

    private static JsonObject Percentiles(List<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new JsonObject { ["p50"] = At(0.50), ["p99"] = At(0.99), ["max"] = sorted[^1], ["n"] = sorted.Length };
    }

    /// <summary>Completes a task with the start time of a node's activity span when the pipeline reports it.</summary>
    private sealed class HandlerProbe : IDisposable
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<DateTime>> _started = new(StringComparer.Ordinal);
        private readonly ActivityListener _listener;

        public HandlerProbe()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == ActivityTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = activity =>
                {
                    if (activity.GetTagItem(ActivityTelemetry.NodeIdTag) is string node && activity.GetTagItem(ActivityTelemetry.RunIdTag) is string run
                        && _started.TryGetValue(run + "|" + node, out var waiter))
                    {
                        waiter.TrySetResult(activity.StartTimeUtc);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public Task<DateTime> Expect(string runId, string nodeId) =>
            _started.GetOrAdd(runId + "|" + nodeId, _ => new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Dispose() => _listener.Dispose();
    }
}
