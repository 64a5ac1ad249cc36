using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>
/// A chaos soak on the embedded SQLite store: 200 runs whose activity suffers 5% injected faults and 10% injected latency
/// over its timeout, from a seeded source. Every run must end, every failure must be classified, none may be stuck.
/// Durations are small on purpose; nothing here asserts how long it took.
/// </summary>
public sealed class ChaosSoakTests
{
    private const int Runs = 200;

    private const string Spec = """
        name: soak
        nodes:
          - id: call
            type: echo
            timeout: 100ms
            retry: { maxAttempts: 2, delay: 0s }
            with: { n: 1 }
        """;

    [Fact]
    public async Task TwoHundredRuns_WithFaultsAndLatency_AllEndAndEveryFailureIsClassified()
    {
        var dir = Directory.CreateTempSubdirectory("flow-chaos-").FullName;
        var seeded = new SeededSource(20261122);
        await using var engine = FlowEngine.Create(
            new SqliteFlowStore(Path.Combine(dir, "flow.db"), TimeProvider.System),
            configureActivities: activities =>
            {
                activities.EnvironmentName = "Test";
                activities.Chaos.Rules.Add(new ChaosRule { NodeType = "echo", FaultRate = 0.05, LatencyRate = 0.10, Latency = TimeSpan.FromSeconds(1) });
                activities.Chaos.Randomizer = seeded.Next;
            });
        var (spec, text) = EngineFixture.Spec(Spec);
        var ids = new List<string>();
        for (var i = 0; i < Runs; i++)
        {
            ids.Add(await engine.StartRunAsync(spec, text, null));
        }

        var finished = await WorkUntilAllEndAsync(engine, ids);

        finished.Count.ShouldBe(Runs);
        finished.ShouldAllBe(run => run.Status == RunStatus.Succeeded || run.Status == RunStatus.Failed);
        foreach (var run in finished.Where(r => r.Status == RunStatus.Failed))
        {
            var node = run.Nodes["call"];
            node.Status.ShouldBe(NodeStatus.Failed);
            var error = node.Error.ShouldNotBeNull();
            error.Class.ShouldBe(ErrorClass.Transient);
            (error.Kind, error.Message).ShouldBeOneOf((ErrorKind.Other, ChaosInjector.FaultMessage), (ErrorKind.Timeout, "timed out after 100ms"));
            error.Attempt.ShouldBeInRange(1, 2);
            run.Reason.ShouldBe($"node 'call' failed: {error.Message}");
        }

        finished.Where(r => r.Status == RunStatus.Succeeded).ShouldAllBe(r => r.Nodes["call"].Attempts >= 1 && r.Nodes["call"].Attempts <= 2);
        // The chaos was real: some executions failed and were retried.
        finished.Sum(r => r.Nodes["call"].Attempts).ShouldBeGreaterThan(Runs);
        seeded.Draws.ShouldBeGreaterThanOrEqualTo(Runs * 2);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Works the store until every run is terminal; a generous bound turns a stuck run into a failure that names it.</summary>
    private static async Task<List<RunState>> WorkUntilAllEndAsync(FlowEngine engine, List<string> ids)
    {
        using var stop = new CancellationTokenSource();
        var worker = engine.CreateWorker().RunAsync(stop.Token);
        var open = new HashSet<string>(ids);
        var finished = new List<RunState>();
        var bound = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        try
        {
            while (open.Count > 0)
            {
                foreach (var id in open.ToList())
                {
                    var state = (await engine.GetRunAsync(id))!;
                    if (state.IsTerminal)
                    {
                        open.Remove(id);
                        finished.Add(state);
                    }
                }

                if (open.Count > 0 && DateTime.UtcNow > bound)
                {
                    throw new ShouldAssertException($"{open.Count} run(s) stuck, e.g. {open.First()}");
                }

                await Task.Delay(100);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await worker;
        }

        return finished;
    }

    /// <summary>A seeded, thread-safe source of numbers in [0, 1) (xorshift), so that the soak injects the same way every time it is run alone.</summary>
    private sealed class SeededSource(ulong seed)
    {
        private readonly Lock gate = new();
        private ulong state = seed;

        public int Draws { get; private set; }

        public double Next()
        {
            lock (gate)
            {
                Draws++;
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                return (state >> 11) * (1.0 / (1UL << 53));
            }
        }
    }
}
