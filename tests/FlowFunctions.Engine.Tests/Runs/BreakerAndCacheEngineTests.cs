using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Engine.Tests.Activities;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>Parking behind an open breaker and the step cache, end to end: real workers over one SQLite file.</summary>
public class BreakerAndCacheEngineTests
{
    private static readonly CircuitBreakerPolicy Svc = new("svc", 1, 1, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1));

    private const string Guarded = """
        name: guarded
        nodes:
          - id: call
            type: echo
            with: { hello: world }
            retry: { maxAttempts: 2 }
            circuitBreaker: { key: svc, failureRatio: 1, minimumThroughput: 1, breakDuration: 1h }
          - { id: after, type: echo, needs: [call], with: "${{ nodes.call.output.hello }}" }
        """;

    [Fact]
    public async Task OpenBreaker_ParksTheNodeWithoutAnAttempt_VisibleInStatusAndHistory_ThenItRunsWhenTheBreakerCloses()
    {
        await using var fixture = new EngineFixture();
        var breakers = fixture.Engine.Store.Breakers;
        await new SharedCircuitBreaker(breakers, TimeProvider.System).RecordAsync(Svc, probe: false, failed: true, default);
        var runId = await fixture.StartAsync(Guarded);

        var parked = await WaitForAsync(fixture.Engine, runId, s => s.Nodes["call"].Status == NodeStatus.Waiting);
        var call = parked.Nodes["call"];
        (call.Reason, call.Attempts, parked.Status).ShouldBe(("circuit open: svc", 0, RunStatus.Running));
        var document = FlowEngine.RunDocument(parked);
        document["nodes"]!["call"]!["status"]!.GetValue<string>().ShouldBe("Waiting");
        document["nodes"]!["call"]!["error"]!.GetValue<string>().ShouldBe("circuit open: svc");
        (await fixture.Engine.GetHistoryAsync(runId)).ShouldContain(t =>
            t["nodeId"]!.GetValue<string>() == "call" && t["to"]!.GetValue<string>() == "Waiting" && t["detail"]!.GetValue<string>() == "circuit open: svc");

        // The breaker half-opens (a clock past the break duration lets a probe through, which succeeds), and the node's
        // half-open timer fires (delivered here instead of an hour from now). Another worker process takes over.
        var later = new FakeTimeProvider();
        later.Advance(DateTimeOffset.UtcNow.AddHours(2) - later.GetUtcNow());
        var breaker = new SharedCircuitBreaker(breakers, later);
        (await breaker.AdmitAsync(Svc, null, default)).IsProbe.ShouldBeTrue();
        await breaker.RecordAsync(Svc, probe: true, failed: false, default);
        var fired = new RunEvent.TimerFired("call", call.Attempt, call.Incarnation, TimerPurpose.BreakerHalfOpen);
        await using var second = fixture.Open();
        await second.Processor.AppendEventAsync(runId, RunJson.EventId(fired), fired, default);

        var done = await fixture.RunToEndAsync(runId, engine: second);
        done.Status.ShouldBe(RunStatus.Succeeded);
        (done.Nodes["call"].Attempts, done.Nodes["call"].Attempt).ShouldBe((1, 2));
        done.Nodes["after"].Output!.GetValue<string>().ShouldBe("world");
    }

    private const string CachedSpec = """
        name: cached
        inputs:
          who: { type: string }
        nodes:
          - id: greet
            type: echo
            with: { greeting: "hello ${{ inputs.who }}" }
            cache: { ttl: 1h, version: "1" }
          - { id: after, type: echo, needs: [greet], with: "${{ nodes.greet.output.greeting }}" }
        outputs:
          said: "${{ nodes.after.output }}"
        """;

    [Fact]
    public async Task SecondRunWithTheSameInput_IsCached_OnAnyWorker_UntilTheCacheIsCleared()
    {
        await using var fixture = new EngineFixture();
        var (spec, text) = EngineFixture.Spec(CachedSpec);
        async Task<RunState> RunAsync(string who, FlowEngine engine)
        {
            var runId = await engine.StartRunAsync(spec, text, new JsonObject { ["who"] = who });
            return await fixture.RunToEndAsync(runId, engine: engine);
        }

        var first = await RunAsync("ann", fixture.Engine);
        (first.Nodes["greet"].Status, first.Nodes["greet"].Attempts).ShouldBe((NodeStatus.Succeeded, 1));

        var second = await RunAsync("ann", fixture.Engine);
        second.Status.ShouldBe(RunStatus.Succeeded);
        (second.Nodes["greet"].Status, second.Nodes["greet"].Attempts).ShouldBe((NodeStatus.Cached, 0));
        second.Nodes["greet"].Output!.ToJsonString().ShouldBe("""{"greeting":"hello ann"}""");
        second.Outputs!["said"]!.GetValue<string>().ShouldBe("hello ann");
        FlowEngine.RunDocument(second)["nodes"]!["greet"]!["status"]!.GetValue<string>().ShouldBe("Cached");

        await using var other = fixture.Open();
        (await RunAsync("ann", other)).Nodes["greet"].Status.ShouldBe(NodeStatus.Cached);
        (await RunAsync("bob", other)).Nodes["greet"].Status.ShouldBe(NodeStatus.Succeeded);

        (await fixture.Engine.Store.StepCache.ClearAsync("cached", "greet", default)).ShouldBe(2);
        (await RunAsync("ann", fixture.Engine)).Nodes["greet"].Status.ShouldBe(NodeStatus.Succeeded);
    }

    [Fact]
    public async Task MapChildren_WithACache_AreCachedOnTheNextRun()
    {
        await using var fixture = new EngineFixture();
        const string spec = """
            name: cached-map
            nodes:
              - id: each
                type: map
                items: [1, 2, 3]
                node: { type: echo, with: { n: "${{ item }}" }, cache: { ttl: 1h } }
            outputs:
              all: "${{ nodes.each.output }}"
            """;

        var first = await fixture.RunToEndAsync(await fixture.StartAsync(spec));
        first.Nodes["each"].Map!.Children.Values.ShouldAllBe(c => c.Status == NodeStatus.Succeeded);

        var second = await fixture.RunToEndAsync(await fixture.StartAsync(spec));
        second.Status.ShouldBe(RunStatus.Succeeded);
        second.Nodes["each"].Map!.Children.Values.ShouldAllBe(c => c.Status == NodeStatus.Cached && c.Attempts == 0);
        second.Outputs!["all"]!.ToJsonString().ShouldBe("""[{"n":1},{"n":2},{"n":3}]""");
        FlowEngine.RunDocument(second)["nodes"]!["each[2]"]!["status"]!.GetValue<string>().ShouldBe("Cached");
        (await fixture.Engine.Store.StepCache.ClearAsync("cached-map", "each", default)).ShouldBe(3);
    }

    private static async Task<RunState> WaitForAsync(FlowEngine engine, string runId, Func<RunState, bool> condition)
    {
        using var stop = new CancellationTokenSource();
        var worker = engine.CreateWorker().RunAsync(stop.Token);
        try
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
                    throw new TimeoutException(string.Join(", ", state.Nodes.Values.Select(n => $"{n.Id}={n.Status} {n.Reason}")));
                }

                await Task.Delay(20);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await worker;
        }
    }
}
