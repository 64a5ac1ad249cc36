using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Tests.Activities;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>
/// The wall clock jumping forward and back (NTP steps, a VM resumed from a snapshot) under a running worker: the store,
/// the engine and the worker share one fake clock that ticks forward in small steps and jumps by hours at chosen moments.
/// A durable delay and a durable retry timer each fire once, never early, and duplicate timer deliveries change nothing.
/// </summary>
public sealed class ClockJumpTests : IDisposable
{
    private const string Spec = """
        name: clock-jumps
        nodes:
          - { id: nap, type: delay, with: { duration: 1h } }
          - id: flaky
            type: fail
            needs: [nap]
            with: { times: 1, message: "not yet", output: ok }
            retry: { maxAttempts: 3, backoff: constant, delay: 10m, maxDelay: 10m }
          - { id: done, type: echo, needs: [flaky], with: "${{ nodes.flaky.output }}" }
        outputs:
          result: ${{ nodes.done.output }}
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("flow-clock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ClockJumpsForwardAndBack_TimersFireOnceAndNeverEarly()
    {
        var clock = new FakeTimeProvider();
        await using var engine = FlowEngine.Create(new SqliteFlowStore(Path.Combine(_dir, "flow.db"), clock), new EngineOptions(), clock);
        var (spec, text) = EngineFixture.Spec(Spec);
        var runId = await engine.StartRunAsync(spec, text, null);
        using var stop = new CancellationTokenSource();
        var worker = engine.CreateWorker().RunAsync(stop.Token);
        var ticker = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                clock.Advance(TimeSpan.FromMilliseconds(100));
                await Task.Delay(5, CancellationToken.None);
            }
        });

        try
        {
            // The delay's timer is armed an hour ahead; jumping back first must not fire it, jumping past it must, once.
            await UntilAsync(engine, runId, state => state.Nodes["nap"].Status == NodeStatus.Waiting);
            clock.Advance(TimeSpan.FromMinutes(-50));
            await TicksAsync();
            (await engine.GetRunAsync(runId))!.Nodes["nap"].Status.ShouldBe(NodeStatus.Waiting);
            clock.Advance(TimeSpan.FromHours(3));

            // The first execution fails; its retry waits 10 minutes on a durable timer. Back 2 hours, then forward.
            await UntilAsync(engine, runId, state => state.Nodes["flaky"].Status == NodeStatus.Waiting);
            clock.Advance(TimeSpan.FromHours(-2));
            await TicksAsync();
            var waiting = (await engine.GetRunAsync(runId))!.Nodes["flaky"];
            (waiting.Status, waiting.Attempts).ShouldBe((NodeStatus.Waiting, 1));
            clock.Advance(TimeSpan.FromHours(5));

            var done = await UntilAsync(engine, runId, state => state.IsTerminal);
            done.Status.ShouldBe(RunStatus.Succeeded);

            // Well after the end: back and forth again, any late or duplicate timer delivery must change nothing.
            clock.Advance(TimeSpan.FromHours(-10));
            await TicksAsync();
            clock.Advance(TimeSpan.FromDays(2));
            await TicksAsync();
        }
        finally
        {
            await stop.CancelAsync();
            await worker;
            await ticker;
        }

        var final = (await engine.GetRunAsync(runId))!;
        final.Status.ShouldBe(RunStatus.Succeeded);
        final.Nodes["flaky"].Attempts.ShouldBe(2);
        final.Nodes["done"].Output!.GetValue<string>().ShouldBe("ok");
        var history = await engine.GetHistoryAsync(runId);
        var succeeded = history.Where(t => t["to"]!.GetValue<string>() == "Succeeded").Select(t => t["nodeId"]!.GetValue<string>()).ToList();
        succeeded.Order(StringComparer.Ordinal).ShouldBe(["done", "flaky", "nap"]);
        history.Count(t => t["nodeId"]!.GetValue<string>() == "flaky" && t["to"]!.GetValue<string>() == "Running").ShouldBe(2);
    }

    /// <summary>Lets the worker poll for a while (real time; the ticker moves the fake clock 2 s meanwhile).</summary>
    private static Task TicksAsync() => Task.Delay(TimeSpan.FromMilliseconds(100));

    private static async Task<RunState> UntilAsync(FlowEngine engine, string runId, Func<RunState, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var state = (await engine.GetRunAsync(runId))!;
            if (condition(state))
            {
                return state;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"run {runId} is {state.Status}: {string.Join(", ", state.Nodes.Values.Select(n => $"{n.Id}={n.Status}/{n.Attempts}"))}");
            }

            await Task.Delay(10);
        }
    }
}
