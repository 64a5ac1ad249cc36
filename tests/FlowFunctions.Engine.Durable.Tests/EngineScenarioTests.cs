using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Durable.Tests;

/// <summary>
/// The engine's end-to-end scenarios, one fixture, both engines (<see cref="BothEngines"/>): what a user sees of a run
/// must not depend on which engine drove it.
/// </summary>
public class EngineScenarioTests
{
    private static GraphPatch Patch(string json) => GraphPatch.Parse(JsonNode.Parse(json)).Patch!;

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task FanOutAndFanIn_ReduceTheBranchesInDeclaredOrder(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: fan
            nodes:
              - { id: load, type: echo, with: 1 }
              - { id: a, type: echo, needs: [load], with: 10 }
              - { id: b, type: echo, needs: [load], with: 20 }
              - { id: c, type: echo, needs: [load], with: 30 }
              - { id: sum, type: transform, needs: [a, b, c], reduce: sum, with: "${{ input }}" }
              - { id: all, type: transform, needs: [a, b, c], reduce: append, with: "${{ input }}" }
            outputs:
              sum: "${{ nodes.sum.output }}"
              all: "${{ nodes.all.output }}"
            """);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!.ToJsonString().ShouldBe("""{"sum":60,"all":[10,20,30]}""");
        state.Nodes.Values.ShouldAllBe(n => n.Status == NodeStatus.Succeeded && n.Attempts == 1);
        (await both.Engine.GetRunSnapshotAsync(runId))!.Engine.ShouldBe(engine == "durable" ? RunEngine.Durable : RunEngine.Native);
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task AMapOverItems_RunsEachChild_AndReducesTheirOutputs(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: map
            nodes:
              - { id: items, type: echo, with: [1, 2, 3, 4, 5, 6, 7] }
              - { id: m, type: map, needs: [items], items: "${{ nodes.items.output }}", maxConcurrency: 3, reduce: sum, node: { type: transform, with: "${{ item * 10 }}" } }
            outputs:
              total: "${{ nodes.m.output }}"
            """);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["total"]!.ToJsonString().ShouldBe("280");
        state.Nodes["m"].Map!.Children.Count.ShouldBe(7);
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task Conditions_SkipTheBranchNotTaken_AndWhatDependsOnIt(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: cond
            nodes:
              - { id: classify, type: echo, with: { large: true } }
              - { id: big, type: echo, needs: [classify], when: "${{ nodes.classify.output.large }}", with: big }
              - { id: small, type: echo, needs: [classify], when: "${{ !nodes.classify.output.large }}", with: small }
              - { id: after-small, type: echo, needs: [small], with: never }
            outputs:
              took: "${{ nodes.big.output }}"
            """);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["took"]!.GetValue<string>().ShouldBe("big");
        state.Nodes["small"].Status.ShouldBe(NodeStatus.Skipped);
        state.Nodes["after-small"].Status.ShouldBe(NodeStatus.Skipped);
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task Retries_InlineAndDurable_CountEveryExecution(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: retry
            nodes:
              - id: quick
                type: fail
                with: { times: 2, message: flaky, output: ok }
                retry: { maxAttempts: 3, backoff: constant, delay: 10ms }
              - id: slow
                type: fail
                with: { times: 1, message: flaky, output: ok }
                retry: { maxAttempts: 2, backoff: constant, delay: 2s, maxDelay: 2s }
            """);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Nodes["quick"].Attempts.ShouldBe(3);
        state.Nodes["slow"].Attempts.ShouldBe(2);
        state.Nodes["slow"].Output!.GetValue<string>().ShouldBe("ok");
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task AWaitNode_TakesARaisedEvent_ARepeatedEventIdIsApplied_Once(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: approval
            nodes:
              - { id: w, type: wait, with: { event: approved, timeout: 1h } }
              - { id: w2, type: wait, needs: [w], with: { event: approved, timeout: 1h } }
              - { id: after, type: echo, needs: [w2], with: "${{ nodes.w.output.by }}" }
            outputs:
              by: "${{ nodes.after.output }}"
            """);
        await both.WaitAsync(runId, s => s.Nodes["w"].Status == NodeStatus.Waiting);
        (await both.Engine.RaiseEventAsync(runId, "approved", JsonNode.Parse("""{"by":"ann"}"""), eventId: "e1")).Outcome.ShouldBe(ControlOutcome.Accepted);
        await both.WaitAsync(runId, s => s.Nodes["w2"].Status == NodeStatus.Waiting);
        (await both.Engine.RaiseEventAsync(runId, "approved", JsonNode.Parse("""{"by":"bob"}"""), eventId: "e1")).Outcome.ShouldBe(ControlOutcome.Accepted);
        await Task.Delay(1000);
        (await both.Engine.GetRunAsync(runId))!.Nodes["w2"].Status.ShouldBe(NodeStatus.Waiting, "a repeated event id is applied once");
        (await both.Engine.RaiseEventAsync(runId, "approved", JsonNode.Parse("""{"by":"cy"}"""), eventId: "e2")).Outcome.ShouldBe(ControlOutcome.Accepted);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["by"]!.GetValue<string>().ShouldBe("ann");
        state.Nodes["w2"].Output!["by"]!.GetValue<string>().ShouldBe("cy");
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task ALivePatch_AddsABranch_ThatRunsAndJoins_AStalePatchIsRefused(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: patch
            nodes:
              - { id: gate, type: wait, with: { event: go } }
              - { id: a, type: echo, needs: [gate], with: a }
              - { id: join, type: echo, needs: [a], with: { a: "${{ nodes.a.output }}" } }
            outputs:
              all: "${{ nodes.join.output }}"
            """);
        await both.WaitAsync(runId, s => s.Nodes["gate"].Status == NodeStatus.Waiting);
        var patch = Patch("""
            { "expectedRevision": 1, "reason": "add b", "operations": [
              { "op": "addNode", "node": { "id": "b", "type": "echo", "needs": ["gate"], "with": "b" } },
              { "op": "addEdge", "from": "b", "to": "join" },
              { "op": "updateNode", "id": "join", "with": { "a": "${{ nodes.a.output }}", "b": "${{ nodes.b.output }}" } } ] }
            """);
        (await both.Engine.PatchRunAsync(runId, patch with { DryRun = true }, "tester")).Outcome.ShouldBe(PatchOutcome.DryRun);
        (await both.Engine.PatchRunAsync(runId, patch, "tester")).Outcome.ShouldBe(PatchOutcome.Accepted);
        await both.WaitAsync(runId, s => s.GraphRevision == 2);
        (await both.Engine.PatchRunAsync(runId, patch, "tester")).Outcome.ShouldBe(PatchOutcome.Conflict);
        (await both.Engine.RaiseEventAsync(runId, "go", null)).Outcome.ShouldBe(ControlOutcome.Accepted);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["all"]!.ToJsonString().ShouldBe("""{"a":"a","b":"b"}""");
        (await both.Engine.GetRevisionsAsync(runId)).ShouldHaveSingleItem()["author"]!.GetValue<string>().ShouldBe("tester");
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task PauseHoldsNewWork_ResumeGoesOn(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: pause
            nodes:
              - { id: gate, type: wait, with: { event: go } }
              - { id: a, type: echo, needs: [gate], with: a }
            """);
        await both.WaitAsync(runId, s => s.Nodes["gate"].Status == NodeStatus.Waiting);
        (await both.Engine.ControlRunAsync(runId, new RunEvent.RunPauseRequested())).Outcome.ShouldBe(ControlOutcome.Accepted);
        await both.WaitAsync(runId, s => s.Status == RunStatus.Paused);
        (await both.Engine.RaiseEventAsync(runId, "go", null)).Outcome.ShouldBe(ControlOutcome.Accepted);
        await Task.Delay(1500);
        var paused = (await both.Engine.GetRunAsync(runId))!;
        paused.Status.ShouldBe(RunStatus.Paused);
        paused.Nodes["a"].Status.ShouldNotBe(NodeStatus.Succeeded);
        (await both.Engine.ControlRunAsync(runId, new RunEvent.RunResumeRequested())).Outcome.ShouldBe(ControlOutcome.Accepted);
        (await both.RunToEndAsync(runId)).Status.ShouldBe(RunStatus.Succeeded);
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task AFailedRun_IsRedrivenWithANewWith_AndSucceeds(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: redrive
            nodes:
              - { id: a, type: echo, with: { x: 1 } }
              - { id: b, type: fail, needs: [a], with: { message: "bad input" } }
              - { id: c, type: echo, needs: [b], with: "${{ nodes.b.output }}" }
            outputs:
              result: "${{ nodes.c.output }}"
            """);
        var failed = await both.RunToEndAsync(runId);
        failed.Status.ShouldBe(RunStatus.Failed);
        (await both.Engine.ControlRunAsync(runId, new RunEvent.NodeRedriveRequested("b", JsonNode.Parse("""{"times": 0, "output": "fixed"}"""))))
            .Outcome.ShouldBe(ControlOutcome.Accepted);
        var state = await both.WaitAsync(runId, s => s.Status == RunStatus.Succeeded);
        state.Outputs!["result"]!.GetValue<string>().ShouldBe("fixed");
        state.Nodes["b"].Incarnation.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task ARerunFromANode_CopiesWhatIsUpstream_AndRunsTheRest(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var source = await both.StartRunAsync("""
            name: rerun
            nodes:
              - { id: a, type: echo, with: 1 }
              - { id: b, type: fail, needs: [a], with: { message: broken } }
            """);
        var original = await both.RunToEndAsync(source);
        original.Status.ShouldBe(RunStatus.Failed);
        var rerun = await both.Engine.RerunAsync(source, "b");
        rerun.Outcome.ShouldBe(RerunOutcome.Started);
        var state = await both.RunToEndAsync(rerun.RunId!);
        state.Status.ShouldBe(RunStatus.Failed);
        state.Nodes["a"].StartedAt.ShouldBe(original.Nodes["a"].StartedAt, "copied from the source run, not executed again");
        state.Nodes["b"].StartedAt.ShouldNotBe(original.Nodes["b"].StartedAt);
        state.RerunOf!.RunId.ShouldBe(source);
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task Cancel_EndsTheRunCancelled_AndAFinishedRunRefusesEvents(string engine)
    {
        await using var both = await BothEngines.StartAsync(engine);
        var runId = await both.StartRunAsync("""
            name: cancel
            nodes:
              - { id: w, type: wait, with: { event: never } }
              - { id: after, type: echo, needs: [w], with: x }
            """);
        await both.WaitAsync(runId, s => s.Nodes["w"].Status == NodeStatus.Waiting);
        (await both.Engine.CancelRunAsync(runId, "not needed")).ShouldBeTrue();
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Cancelled);
        state.Nodes["after"].Status.ShouldBe(NodeStatus.Cancelled);
        (await both.Engine.RaiseEventAsync(runId, "never", null)).Outcome.ShouldBe(ControlOutcome.Refused);
    }

    [Theory]
    [MemberData(nameof(BothEngines.Kinds), MemberType = typeof(BothEngines))]
    public async Task CancellingARun_StopsItsRunningHandler(string engine)
    {
        using var hanging = new HangingServer();
        await using var both = await BothEngines.StartAsync(
            engine,
            new EngineOptions { MaxPollDelay = TimeSpan.FromMilliseconds(200), WorkVisibility = TimeSpan.FromSeconds(3) },
            activities: options => options.Http.AllowedHosts.Add("127.0.0.1"));
        var runId = await both.StartRunAsync($$"""
            name: slow
            nodes:
              - { id: call, type: http, with: { url: "{{hanging.Url}}", method: GET }, timeout: 10m }
            """);
        await hanging.Requested.WaitAsync(TimeSpan.FromSeconds(60));

        (await both.Engine.CancelRunAsync(runId, "taking too long")).ShouldBeTrue();

        (await both.RunToEndAsync(runId)).Status.ShouldBe(RunStatus.Cancelled);
        await hanging.Abandoned.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A loopback HTTP server that takes one request and never answers; it sees when the client gives up.</summary>
    private sealed class HangingServer : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _serving;
        private System.Net.Sockets.TcpClient? _client;

        public HangingServer()
        {
            _listener.Start();
            _serving = ServeAsync();
        }

        public string Url => $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}/slow";

        /// <summary>Completes when the request has arrived.</summary>
        public Task Requested => _requested.Task;

        /// <summary>Completes when the client closed the connection without an answer (its handler was cancelled).</summary>
        public Task Abandoned => _abandoned.Task;

        public void Dispose()
        {
            _listener.Stop();
            _client?.Dispose();

            // Ends with the listener or the connection; what it throws then is the shutdown, not a finding.
            _ = _serving.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }

        private async Task ServeAsync()
        {
            _client = await _listener.AcceptTcpClientAsync();
            var stream = _client.GetStream();
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer) > 0)
                {
                    _requested.TrySetResult();
                }
            }
            catch (IOException)
            {
                // Reset rather than closed: abandoned all the same.
            }

            _abandoned.TrySetResult();
        }
    }
}
