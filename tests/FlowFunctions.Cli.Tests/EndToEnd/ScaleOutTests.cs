using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Cli.Tests.Commands;
using Xunit.Abstractions;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// Scale-out on Azure Storage (Azurite under ./test.sh): three <c>flow worker</c> processes share one account and work
/// 20 concurrent runs of a mixed spec (a map of 200, joins, durable delays, slow http probes); one worker is killed with
/// SIGKILL mid-way, while it has http probes in flight, and the other two finish everything: the killed worker's work
/// comes back after its visibility timeout and is executed again, every run Succeeded with the outputs the test computes,
/// every node and map child succeeded exactly once. The store is isolated by a unique <c>NamePrefix=</c> in the connection string, so the other
/// tests that use Azurite's default names at the same time neither see these runs nor are seen by these workers.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ScaleOutTests(ITestOutputHelper output) : IDisposable
{
    private const int Runs = 20;
    private const int Items = 200;
    private const int Workers = 3;
    private const string Visibility = "3s";
    private static readonly TimeSpan CompletionLimit = TimeSpan.FromMinutes(3);

    private readonly string _dir = Directory.CreateTempSubdirectory("flow-scale-").FullName;
    private readonly string _store =
        (Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable) ?? string.Empty) + ";NamePrefix=scale" + Guid.NewGuid().ToString("N")[..12];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _passed;

    public void Dispose()
    {
        // A failed run keeps the spec, inputs and worker logs for diagnosis (the path is in the test output).
        if (_passed)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [AzureFact]
    public async Task ThreeWorkers_TwentyRunsOfAMixedSpec_AllSucceedWithTheExpectedOutputs_ThoughOneWorkerIsKilled()
    {
        output.WriteLine($"store prefix {_store[(_store.LastIndexOf('=') + 1)..]}; files in {_dir}");

        // Probes answer after 300-800 ms, so that a worker always has some in flight when it is killed.
        await using var server = new RecordingHttpServer(_clock, seed: 1, minDelayMs: 300, maxDelayMs: 800);
        var spec = Path.Combine(_dir, "scale-out.yaml");
        await File.WriteAllTextAsync(spec, ScaleOutSpec.Yaml(server.Port));

        var workers = Enumerable.Range(0, Workers).Select(StartWorker).ToList();
        try
        {
            // 20 detached runs, all started at once, each with its own inputs and so its own outputs. `flow run --detach`
            // runs in-process: only the workers need to be processes (they are killed), and 20 process starts at once
            // would only add a CPU spike on a small machine that the other test assemblies share.
            var started = _clock.Elapsed;
            var expected = new Dictionary<string, JsonObject>();
            foreach (var (k, runId) in await Task.WhenAll(Enumerable.Range(0, Runs).Select(async k => (k, RunId: await StartRunAsync(spec, k)))))
            {
                expected.Add(runId, ScaleOutSpec.ExpectedOutputs(k, Items));
            }

            output.WriteLine($"{Runs} runs started in {(_clock.Elapsed - started).TotalSeconds:F1}s");

            // Kill one worker mid-way, at a moment when it has http probes in flight: their work messages (and any run
            // lease it holds) are left to expire after 3 s, and the other two workers must take them over.
            // Whichever worker first has probes in flight: with several work items per message, which worker takes the
            // probe messages is up to the queue.
            var (killed, inFlight) = await WaitForRequestsInFlightAsync(workers, server.Port);
            var killStart = _clock.Elapsed;
            await killed.KillAsync();
            var killEnd = _clock.Elapsed;
            await Task.Delay(200);
            // Still unanswered when the worker was dead; an earlier, answered request may share a port the killed worker reuses.
            var lost = server.Requests.Where(r => inFlight.Contains(r.RemotePort) && r.InFlightAt(killEnd)).ToList();
            var atKill = await ProgressAsync();
            output.WriteLine(
                $"killed worker {workers.IndexOf(killed)} (pid {killed.Id}) at {killStart.TotalSeconds:F1}s with {lost.Count} probes in flight "
                + $"({string.Join(", ", lost.Select(r => r.Node))}); then {atKill.Describe()}");
            lost.ShouldNotBeEmpty("the killed worker had requests in flight");
            atKill.Succeeded.ShouldBeLessThan(Runs, "the worker was killed before the runs finished");
            workers.Where(w => w != killed).ShouldAllBe(w => !w.HasExited, "the surviving workers are still running");

            var done = await WaitUntilAllSucceededAsync(expected.Keys);

            // Every run: Succeeded, the computed outputs, every node and map child Succeeded, each exactly once.
            var transitions = 0;
            var nodes = 0;
            foreach (var (runId, outputs) in expected)
            {
                var run = await CliJsonAsync("status", runId, "--output", "json", "--store", _store);
                run["status"]!.GetValue<string>().ShouldBe("Succeeded", runId);
                JsonNode.DeepEquals(run["outputs"], outputs).ShouldBeTrue(
                    $"run {runId} outputs {run["outputs"]!.ToJsonString()}\nexpected {outputs.ToJsonString()}");
                var runNodes = run["nodes"]!.AsObject();
                runNodes.Count.ShouldBe(ScaleOutSpec.TopLevelNodes + Items + ScaleOutSpec.Probes, runId);
                runNodes.Where(n => n.Value!["status"]!.GetValue<string>() != "Succeeded").Select(n => $"{runId} {n.Key}").ShouldBeEmpty();
                nodes += runNodes.Count;

                var history = (await CliJsonAsync("events", runId, "--output", "json", "--store", _store)).AsArray().Select(e => e!).ToList();
                transitions += history.Count;
                var succeeded = history.Where(e => e["to"]!.GetValue<string>() == "Succeeded")
                    .GroupBy(e => e["nodeId"]!.GetValue<string>())
                    .ToDictionary(g => g.Key, g => g.Count());
                succeeded.Keys.Order(StringComparer.Ordinal).ShouldBe(runNodes.Select(n => n.Key).Order(StringComparer.Ordinal), runId);
                succeeded.Where(s => s.Value != 1).Select(s => $"{runId} {s.Key} succeeded {s.Value} times").ShouldBeEmpty();
            }

            // The killed worker's in-flight probes were executed again by a survivor, after the kill, and every probe ran.
            var requests = server.Requests;
            var retaken = lost.Select(r => (Lost: r, Again: requests.FirstOrDefault(a => a.Node == r.Node && a.At > killStart))).ToList();
            retaken.Where(x => x.Again is null).Select(x => $"{x.Lost.Node} was never executed again after the kill").ShouldBeEmpty();
            var expectedProbes = Enumerable.Range(0, Runs).SelectMany(k => Enumerable.Range(0, ScaleOutSpec.Probes).Select(i => ScaleOutSpec.ProbeNode(k, i)));
            requests.Select(r => r.Node).Distinct().Order(StringComparer.Ordinal).ShouldBe(expectedProbes.Order(StringComparer.Ordinal));
            var reExecutions = requests.Count - Runs * ScaleOutSpec.Probes;
            // Listed for diagnosis. Besides the killed worker's known in-flight probes, re-executions come from probes it
            // started between the port snapshot and its death, and from at-least-once delivery on a loaded machine (a
            // heartbeat renewed late); the engine's dedupe makes each a no-op, which the exactly-once checks above show.
            foreach (var node in requests.GroupBy(r => r.Node).Where(g => g.Count() > 1))
            {
                output.WriteLine(
                    $"  {node.Key} executed at {string.Join(", ", node.Select(r => $"{r.At.TotalSeconds:F2}s (port {r.RemotePort}{(lost.Contains(r) ? ", in flight on the killed worker" : string.Empty)})"))}");
            }

            var total = done - started;
            output.WriteLine(
                $"{Runs} runs x {ScaleOutSpec.TopLevelNodes + Items + ScaleOutSpec.Probes} nodes ({nodes} in all: maps of {Items} echo and "
                + $"{ScaleOutSpec.Probes} http), {Workers} workers, 1 killed: all Succeeded {total.TotalSeconds:F1}s after the first start "
                + $"({(_clock.Elapsed - started).TotalSeconds:F1}s with the checks), {transitions} transitions, {nodes / total.TotalSeconds:F0} nodes/s");
            output.WriteLine(
                $"{requests.Count} probe executions, {reExecutions} re-executions; the killed worker's {lost.Count} in-flight probes ran again "
                + $"{retaken.Min(x => (x.Again!.At - killStart).TotalSeconds):F1}-{retaken.Max(x => (x.Again!.At - killStart).TotalSeconds):F1}s after the kill (visibility {Visibility})");
            _passed = true;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    private FlowProcess StartWorker(int number) =>
        FlowProcess.Start(
            Path.Combine(_dir, $"worker-{number.ToString(CultureInfo.InvariantCulture)}.log"),
            "worker", "--store", _store, "--visibility", Visibility, "--allow-host", "127.0.0.1");

    private async Task<string> StartRunAsync(string spec, int k)
    {
        var inputs = Path.Combine(_dir, $"inputs-{k.ToString("D2", CultureInfo.InvariantCulture)}.json");
        await File.WriteAllTextAsync(inputs, ScaleOutSpec.Inputs(k, Items).ToJsonString());
        var (code, stdout, stderr) = await CliRunner.RunAsync("run", spec, "--detach", "--store", _store, "--input-file", inputs);
        code.ShouldBe(0, stderr);
        return stdout.Trim();
    }

    /// <summary>Waits until one of <paramref name="workers"/> has requests to the probe server in flight; returns it and their local ports.</summary>
    private async Task<(FlowProcess Worker, IReadOnlySet<int> Ports)> WaitForRequestsInFlightAsync(IReadOnlyList<FlowProcess> workers, int serverPort)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            foreach (var worker in workers)
            {
                var ports = worker.PortsConnectedTo(serverPort);
                if (ports.Count > 0)
                {
                    return (worker, ports);
                }
            }

            waited.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), $"no worker ever had a probe in flight; worker logs in {_dir}");
            await Task.Delay(10);
        }
    }

    /// <summary>Polls <c>flow runs --status Succeeded</c> until it lists every run; no run may fail on the way.</summary>
    private async Task<TimeSpan> WaitUntilAllSucceededAsync(IEnumerable<string> runIds)
    {
        var waited = Stopwatch.StartNew();
        var wanted = runIds.Order(StringComparer.Ordinal).ToList();
        while (true)
        {
            var failed = await ListAsync("--status", "Failed");
            failed.ShouldBeEmpty("no run may fail");
            var succeeded = await ListAsync("--status", "Succeeded");
            if (succeeded.Select(r => r["runId"]!.GetValue<string>()).Order(StringComparer.Ordinal).SequenceEqual(wanted))
            {
                return _clock.Elapsed;
            }

            waited.Elapsed.ShouldBeLessThan(CompletionLimit, $"not all runs finished: {(await ProgressAsync()).Describe()}; worker logs in {_dir}");
            await Task.Delay(500);
        }
    }

    private async Task<Progress> ProgressAsync()
    {
        var runs = await ListAsync();
        return new Progress(
            _clock.Elapsed,
            runs.Count,
            runs.Count(r => r["status"]!.GetValue<string>() == "Succeeded"),
            runs.Sum(r => r["nodesDone"]!.GetValue<int>()));
    }

    private async Task<List<JsonNode>> ListAsync(params string[] filter)
    {
        var runs = await CliJsonAsync(["runs", .. filter, "--limit", "1000", "--output", "json", "--store", _store]);
        runs["continuationToken"].ShouldBeNull();
        return [.. runs["runs"]!.AsArray().Select(r => r!)];
    }

    /// <summary>
    /// The read-only commands (runs, status, events), like run --detach, run in-process: the same command code as the <c>flow</c> binary, without
    /// a process start per poll competing with the workers for the two cores.
    /// </summary>
    private static async Task<JsonNode> CliJsonAsync(params string[] args)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(args);
        code.ShouldBe(0, $"flow {string.Join(' ', args)}: {stderr}");
        return JsonNode.Parse(stdout)!;
    }

    private sealed record Progress(TimeSpan Elapsed, int Listed, int Succeeded, int NodesDone)
    {
        public string Describe() =>
            $"{Listed} runs listed, {Succeeded} succeeded, {NodesDone} of {Runs * ScaleOutSpec.TopLevelNodes} top-level nodes done";
    }
}

/// <summary>
/// The scale-out workflow: a seed, a map of <c>items</c> echo children (50 at a time), a map of 10 slow http probes
/// against the test's server, three echo/transform chain nodes joined by an append reduce, a short and a long durable
/// delay, a merge join of the maps' totals, the chain join and the long delay, and a final echo. Its outputs depend on
/// every node, and on the run's inputs, so each run's differ.
/// </summary>
internal static class ScaleOutSpec
{
    /// <summary>seed, short, long, a, b, c, each, probe, total, parts, final, report.</summary>
    public const int TopLevelNodes = 12;

    /// <summary>The children of the http map.</summary>
    public const int Probes = 10;

    /// <summary>The <c>X-Flow-Node</c> header of run <paramref name="k"/>'s probe <paramref name="index"/>.</summary>
    public static string ProbeNode(int k, int index) => $"run {k}/probe[{index}]";

    public static string Yaml(int port) => """
        name: scale-out
        description: many runs of a wide map with joins and delays, shared by several workers
        inputs:
          items: { type: array, required: true }
          bias: { type: integer, required: true }
          label: { type: string, required: true }
        nodes:
          - id: seed
            type: echo
            with: { items: "${{ inputs.items }}", bias: "${{ inputs.bias }}" }
          - id: short
            type: delay
            needs: [seed]
            with: { duration: 300ms }
          - id: long
            type: delay
            needs: [seed]
            with: { duration: 1s }
          - id: a
            type: echo
            needs: [seed]
            with: { part: a, v: "${{ nodes.seed.output.bias + 1 }}" }
          - id: b
            type: echo
            needs: [seed]
            with: { part: b, v: "${{ nodes.seed.output.bias * 2 }}" }
          - id: c
            type: transform
            needs: [a]
            with: { part: c, v: "${{ nodes.a.output.v + 10 }}" }
          - id: each
            type: map
            needs: [seed, short]
            items: ${{ nodes.seed.output.items }}
            maxConcurrency: 50
            node:
              type: echo
              with: ${{ item * 2 + nodes.seed.output.bias }}
          - id: probe
            type: map
            needs: [seed]
            items: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
            node:
              type: http
              with:
                method: POST
                url: "http://127.0.0.1:PORT/probe"
                headers: { X-Flow-Node: "${{ inputs.label }}/probe[${{ index }}]" }
                body: { item: "${{ item + nodes.seed.output.bias }}" }
                expectStatus: 200
          - id: total
            type: transform
            needs: [each, probe]
            with:
              sum: "${{ sum(nodes.each.output) }}"
              count: "${{ length(nodes.each.output) }}"
              probes: "${{ length(nodes.probe.output) }}"
              squares: "${{ nodes.probe.output[0].body.square + nodes.probe.output[9].body.square }}"
          - id: parts
            type: transform
            needs: [a, b, c]
            reduce: append
            with: { parts: "${{ length(input) }}", vsum: "${{ input[0].v + input[1].v + input[2].v }}" }
          - id: final
            type: transform
            needs: [total, parts, long]
            reduce: merge
            with: ${{ input }}
          - id: report
            type: echo
            needs: [final]
            with: { text: "${{ inputs.label }}: ${{ nodes.final.output.count }} items, sum ${{ nodes.final.output.sum }}" }
        outputs:
          sum: ${{ nodes.final.output.sum }}
          count: ${{ nodes.final.output.count }}
          probes: ${{ nodes.final.output.probes }}
          squares: ${{ nodes.final.output.squares }}
          parts: ${{ nodes.final.output.parts }}
          vsum: ${{ nodes.final.output.vsum }}
          waited: ${{ nodes.final.output.duration }}
          values: ${{ nodes.each.output }}
          report: ${{ nodes.report.output.text }}

        """.Replace("PORT", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Run <paramref name="k"/>'s inputs: items k*1000 .. k*1000+items-1, bias k.</summary>
    public static JsonObject Inputs(int k, int items) => new()
    {
        ["items"] = new JsonArray([.. Enumerable.Range(k * 1000, items).Select(i => (JsonNode)i)]),
        ["bias"] = k,
        ["label"] = $"run {k}",
    };

    /// <summary>What run <paramref name="k"/>'s outputs must be, computed here and not by the engine.</summary>
    public static JsonObject ExpectedOutputs(int k, int items)
    {
        var values = Enumerable.Range(k * 1000, items).Select(i => (long)i * 2 + k).ToList();
        var sum = values.Sum();
        return new JsonObject
        {
            ["sum"] = sum,
            ["count"] = items,
            ["probes"] = Probes,
            ["squares"] = (k * k) + ((9 + k) * (9 + k)),
            ["parts"] = 3,
            ["vsum"] = (k + 1) + (k * 2) + (k + 1 + 10),
            ["waited"] = "1s",
            ["values"] = new JsonArray([.. values.Select(v => (JsonNode)v)]),
            ["report"] = $"run {k}: {items} items, sum {sum}",
        };
    }
}
