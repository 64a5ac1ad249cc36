using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;

namespace FlowFunctions.Engine.Tests.Runs;

public class RunControlEngineTests
{
    private const string Broken = """
        name: t
        nodes:
          - { id: a, type: echo, with: { x: 1 } }
          - { id: b, type: fail, needs: [a], with: { message: "bad input" } }
          - { id: c, type: echo, needs: [b], with: "${{ nodes.b.output }}" }
        outputs:
          result: "${{ nodes.c.output }}"
        """;

    private static async Task WorkForAsync(FlowEngine engine, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource(duration);
        await engine.CreateWorker().RunAsync(stop.Token);
    }

    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task Redrive_AFailedNodeAfterFixingItsInput_TheRunSucceeds_AndTheOverrideSurvivesAReload(string store)
    {
        await using var fixture = new EngineFixture(store: store);
        var runId = await fixture.StartAsync(Broken);
        var failed = await fixture.RunToEndAsync(runId);
        failed.Status.ShouldBe(RunStatus.Failed);
        failed.Nodes["b"].Status.ShouldBe(NodeStatus.Failed);
        failed.Nodes["c"].Status.ShouldBe(NodeStatus.Cancelled);

        var refused = await fixture.Engine.ControlRunAsync(runId, new RunEvent.NodeRedriveRequested("a"));
        refused.Outcome.ShouldBe(ControlOutcome.Refused);
        refused.Message.ShouldContain("only a Failed node can be redriven");

        var fix = JsonNode.Parse("""{"times": 0, "output": "fixed"}""");
        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.NodeRedriveRequested("b", fix))).Outcome.ShouldBe(ControlOutcome.Accepted);
        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.RunPauseRequested())).Outcome.ShouldBe(ControlOutcome.Refused, "the run is still Failed until the redrive is applied");
        await fixture.Engine.Processor.ProcessAsync(runId, default);

        await using (var cold = fixture.Open())
        {
            var reloaded = (await cold.GetRunAsync(runId))!;
            reloaded.Status.ShouldBe(RunStatus.Running);
            reloaded.WithOverrides["b"].ToJsonString().ShouldBe(fix!.ToJsonString());
            reloaded.Nodes["b"].Incarnation.ShouldBe(1);
            reloaded.Nodes["c"].Status.ShouldBe(NodeStatus.Pending);
        }

        var state = await fixture.RunToEndAsync(runId, engine: fixture.Open());
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["result"]!.GetValue<string>().ShouldBe("fixed");
        var history = await fixture.Engine.GetHistoryAsync(runId);
        history.ShouldContain(h => h["nodeId"]!.GetValue<string>() == RunProcessor.RunHistoryId && h["detail"]!.GetValue<string>().StartsWith("redrove 'b'", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task Pause_MidFanOut_NothingRunsWhilePaused_ResumeFinishes_AndPausedSurvivesAReload(string store)
    {
        using var executions = new HandlerExecutions();
        await using var fixture = new EngineFixture(store: store);
        var runId = await fixture.StartAsync("""
            name: t
            nodes:
              - { id: m, type: map, items: [1, 2, 3, 4], maxConcurrency: 1, node: { type: echo, with: "${{ item }}" } }
            outputs:
              all: "${{ nodes.m.output }}"
            """);
        (await fixture.Engine.GetRunAsync(runId))!.Nodes["m"].Map!.Children.Count.ShouldBe(1);

        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.RunPauseRequested())).Outcome.ShouldBe(ControlOutcome.Accepted);
        await WorkForAsync(fixture.Engine, TimeSpan.FromSeconds(1.5));

        await using (var cold = fixture.Open())
        {
            var paused = (await cold.GetRunAsync(runId))!;
            paused.Status.ShouldBe(RunStatus.Paused);
            var map = paused.Nodes["m"].Map!;
            map.Children.Count.ShouldBe(1, "nothing new was dispatched while paused");
            map.Children[0].Status.ShouldBe(NodeStatus.Succeeded, "the running child finished and its result was recorded");
            map.Active.ShouldBe(0);
            executions.Of(runId).ShouldBe(["m[0]"], "no handler ran while paused");
        }

        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.RunPauseRequested())).Outcome.ShouldBe(ControlOutcome.Refused);
        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.RunResumeRequested())).Outcome.ShouldBe(ControlOutcome.Accepted);
        var state = await fixture.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["all"]!.ToJsonString().ShouldBe("[1,2,3,4]");
        executions.Of(runId).ShouldBe(["m[0]", "m[1]", "m[2]", "m[3]"]);
        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.RunResumeRequested())).Outcome.ShouldBe(ControlOutcome.Refused);
        (await fixture.Engine.ControlRunAsync("nope", new RunEvent.RunResumeRequested())).Outcome.ShouldBe(ControlOutcome.RunNotFound);
    }

    [Fact]
    public async Task Terminate_EndsTheRunCancelled()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync("name: t\nnodes:\n  - { id: wait, type: delay, with: { duration: 1h } }\n");
        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.RunTerminateRequested("stuck"))).Outcome.ShouldBe(ControlOutcome.Accepted);
        var state = await fixture.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Cancelled);
        state.Reason.ShouldBe("terminated: stuck");
    }

    [Fact]
    public async Task Redrive_OfAFailedMap_StartsOver_AndItsOldChildRowsAreGone()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync("""
            name: t
            nodes:
              - { id: src, type: fail, with: { times: 0, output: [1, 2, 3] } }
              - { id: m, type: map, needs: [src], items: "${{ nodes.src.output }}", node: { type: fail, with: { message: "no" } } }
            """);
        (await fixture.RunToEndAsync(runId)).Status.ShouldBe(RunStatus.Failed);
        (await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.ChildPrefix, default)).Count.ShouldBe(3);

        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.NodeRedriveRequested("m"))).Outcome.ShouldBe(ControlOutcome.Accepted);
        await fixture.Engine.Processor.ProcessAsync(runId, default);
        (await fixture.Engine.GetRunAsync(runId))!.Status.ShouldBe(RunStatus.Running);
        var state = await fixture.RunToEndAsync(runId, engine: fixture.Open());
        state.Status.ShouldBe(RunStatus.Failed);
        state.Nodes["m"].Incarnation.ShouldBe(1);
        await using var cold = fixture.Open();
        var reloaded = (await cold.GetRunAsync(runId))!;
        reloaded.Nodes["m"].Map!.Children.Values.ShouldAllBe(c => c.Incarnation == 1);
    }
}
