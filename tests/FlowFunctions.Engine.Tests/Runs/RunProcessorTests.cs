using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Engine.Worker;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Tests.Runs;

public sealed class RunProcessorTests
{
    private const string FanOut = """
        name: fan
        nodes:
          - { id: root, type: echo, with: 1 }
          - { id: a, type: echo, needs: [root], with: "${{ nodes.root.output + 1 }}" }
          - { id: b, type: echo, needs: [root], with: "${{ nodes.root.output + 2 }}" }
          - { id: join, type: transform, needs: [a, b], reduce: sum, with: "${{ input }}" }
        outputs: { total: "${{ nodes.join.output }}" }
        """;

    [Fact]
    public async Task StartRun_CommitsTheFirstDecision_AndDispatchesItsWork()
    {
        await using var fixture = new EngineFixture();

        var runId = await fixture.StartAsync(FanOut);

        var state = (await fixture.Engine.GetRunAsync(runId))!;
        state.Nodes["root"].Status.ShouldBe(NodeStatus.Running);
        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.WorkQueue, default)).ShouldBe(1);
        (await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.OutboxPrefix, default)).ShouldBeEmpty();
        (await fixture.Engine.ListRunsAsync(new RunQuery())).Runs.ShouldHaveSingleItem().Status.ShouldBe("Running");
    }

    [Fact]
    public async Task Run_FansOutAndIn_ToTheExpectedOutputs()
    {
        await using var fixture = new EngineFixture();

        var state = await fixture.RunToEndAsync(await fixture.StartAsync(FanOut));

        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["total"]!.GetValue<long>().ShouldBe(5);
        (await fixture.Engine.ListRunsAsync(new RunQuery())).Runs.Single().Status.ShouldBe("Succeeded");
    }

    [Fact]
    public async Task StartRun_WithATakenId_IsRefused()
    {
        await using var fixture = new EngineFixture();
        await fixture.StartAsync(FanOut, "run-1");

        await Should.ThrowAsync<RunAlreadyExistsException>(() => fixture.StartAsync(FanOut, "run-1"));
    }

    [Fact]
    public async Task AppendEvent_SameEventTwice_IsStoredOnce()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync(FanOut);
        var done = new RunEvent.ActivitySucceeded("root", 1, 0, JsonValue.Create(1));

        (await fixture.Engine.Processor.AppendEventAsync(runId, RunJson.EventId(done), done, default)).ShouldBeTrue();
        (await fixture.Engine.Processor.AppendEventAsync(runId, RunJson.EventId(done), done, default)).ShouldBeFalse();

        (await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.InboxPrefix, default)).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task CrashBetweenCommitAndDispatch_TheNextEpisodeDispatchesTheOutbox()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync(FanOut);
        var done = new RunEvent.ActivitySucceeded("root", 1, 0, JsonValue.Create(1));
        await fixture.Engine.Processor.AppendEventAsync(runId, RunJson.EventId(done), done, default, wake: false);
        await using var crashing = fixture.Open(store => new CrashOnEnqueueStore(store, fixture.Options.WorkQueue));
        await fixture.Engine.Store.Queues.DequeueAsync(fixture.Options.WorkQueue, 32, TimeSpan.FromMinutes(5), default);

        await Should.ThrowAsync<IOException>(() => crashing.Processor.ProcessAsync(runId, default));
        (await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.OutboxPrefix, default)).Count.ShouldBe(2, "committed, not dispatched");

        await using var recovered = fixture.Open();
        await recovered.Processor.AppendEventAsync(runId, "nudge", new RunEvent.ContinueRequested(), default);
        (await recovered.Processor.ProcessAsync(runId, default)).ShouldBeTrue();

        (await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.OutboxPrefix, default)).ShouldBeEmpty();
        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.WorkQueue, default)).ShouldBe(2, "one message with a and b, plus root's old one still invisible");
        (await recovered.GetRunAsync(runId))!.Nodes["a"].Status.ShouldBe(NodeStatus.Running);
    }

    [Fact]
    public async Task RacingProcessors_ApplyEveryTransitionExactlyOnce()
    {
        await using var fixture = new EngineFixture(new EngineOptions { LeaseDuration = TimeSpan.Zero });
        var runId = await fixture.StartAsync(FanOut);
        var done = new RunEvent.ActivitySucceeded("root", 1, 0, JsonValue.Create(1));
        await fixture.Engine.Processor.AppendEventAsync(runId, RunJson.EventId(done), done, default, wake: false);
        var engines = Enumerable.Range(0, 4).Select(_ => fixture.Open()).ToList();

        // A zero-length lease lets every processor in: only the fencing row keeps them apart.
        await Task.WhenAll(engines.Select(e => Task.Run(() => e.Processor.ProcessAsync(runId, default))));

        var history = await fixture.Engine.GetHistoryAsync(runId);
        history.Count(h => h["nodeId"]!.GetValue<string>() == "root" && h["to"]!.GetValue<string>() == "Succeeded").ShouldBe(1);
        history.Count(h => h["nodeId"]!.GetValue<string>() == "a" && h["to"]!.GetValue<string>() == "Running").ShouldBe(1);
        // Dispatch is at least once: a loser that reloads may dispatch the winner's outbox again before it is deleted.
        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.WorkQueue, default)).ShouldBeGreaterThanOrEqualTo(2);
        foreach (var engine in engines)
        {
            await engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task StaleWorkItem_IsDroppedWithoutRunningIt()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync("name: t\nnodes:\n  - { id: a, type: fail, with: { message: must not run } }\n");
        var taken = await fixture.Engine.Store.Queues.DequeueAsync(fixture.Options.WorkQueue, 1, TimeSpan.FromMinutes(5), default);
        var stale = JsonNode.Parse(taken.Single().Body)!;
        stale["items"]![0]!["attempt"] = 7;
        await fixture.Engine.Store.Queues.EnqueueAsync(fixture.Options.WorkQueue, stale.ToJsonString(), TimeSpan.Zero, default);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await fixture.Engine.CreateWorker().RunAsync(stop.Token);

        (await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.InboxPrefix, default)).ShouldBeEmpty();
        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.WorkQueue, default)).ShouldBe(1, "only the invisible original is left");
    }

    [Fact]
    public async Task MalformedMessages_AreDeadLetteredWithAReason()
    {
        await using var fixture = new EngineFixture();
        await fixture.Engine.Store.Queues.EnqueueAsync(fixture.Options.WorkQueue, "{not json", TimeSpan.Zero, default);
        await fixture.Engine.Store.Queues.EnqueueAsync(fixture.Options.ControlQueue, """{"kind":"bogus","runId":"x"}""", TimeSpan.Zero, default);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await fixture.Engine.CreateWorker().RunAsync(stop.Token);

        var dead = await fixture.Engine.Store.Queues.DequeueAsync(FlowWorker.PoisonQueue, 10, TimeSpan.FromMinutes(1), default);
        var reasons = dead.Select(m => JsonNode.Parse(m.Body)!["reason"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        reasons.Count.ShouldBe(2);
        reasons[0].ShouldStartWith("malformed work item: ");
        reasons[1].ShouldBe("unknown control message kind");
        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.WorkQueue, default)).ShouldBe(0);
        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.ControlQueue, default)).ShouldBe(0);
    }

    [Fact]
    public async Task LargeValues_GoToTheArtifactStore_AndReadBack()
    {
        await using var fixture = new EngineFixture();
        var big = new string('x', 40_000);
        var runId = await fixture.StartAsync($"name: t\nnodes:\n  - {{ id: a, type: transform, with: {{ text: {big} }} }}\n  - {{ id: b, type: echo, needs: [a], with: \"${{{{ length(nodes.a.output.text) }}}}\" }}\n");

        var state = await fixture.RunToEndAsync(runId);

        var row = await fixture.Engine.Store.Partitions.GetAsync(runId, RunRows.Node("a"), default);
        row!.Value.Length.ShouldBeLessThan(2_000);
        row.Value.ShouldContain("outputRef");
        await using var reader = fixture.Open();
        (await reader.GetRunAsync(runId))!.Nodes["a"].Output!["text"]!.GetValue<string>().ShouldBe(big);
        state.Nodes["b"].Output!.GetValue<long>().ShouldBe(40_000);
    }

    [Fact]
    public async Task TimerLongerThanOneQueueStep_IsReArmedAndFiresOnTime()
    {
        await using var fixture = new EngineFixture(new EngineOptions { MaxTimerStep = TimeSpan.FromMilliseconds(150) });
        var runId = await fixture.StartAsync("name: t\nnodes:\n  - { id: wait, type: delay, with: { duration: 600ms } }\n");

        var state = await fixture.RunToEndAsync(runId);

        state.Status.ShouldBe(RunStatus.Succeeded);
        (state.Nodes["wait"].CompletedAt!.Value - state.StartedAt).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(600));
    }

    [Fact]
    public async Task SmallEpisodeBudgets_StillCompleteAWideRun()
    {
        await using var fixture = new EngineFixture(new EngineOptions { MaxDispatchesPerEpisode = 7, MaxEventsPerEpisode = 11 });
        var nodes = string.Join("\n", Enumerable.Range(0, 150).Select(i => $"  - {{ id: n{i}, type: echo, needs: [root], with: {i} }}"));
        var yaml = $"name: wide\nnodes:\n  - {{ id: root, type: echo }}\n{nodes}\n  - {{ id: join, type: transform, needs: [{string.Join(", ", Enumerable.Range(0, 150).Select(i => $"n{i}"))}], reduce: sum, with: \"${{{{ input }}}}\" }}\noutputs: {{ sum: \"${{{{ nodes.join.output }}}}\" }}\n";

        var state = await fixture.RunToEndAsync(await fixture.StartAsync(yaml), TimeSpan.FromSeconds(60));

        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["sum"]!.GetValue<long>().ShouldBe(Enumerable.Range(0, 150).Sum());
    }

    [Fact]
    public async Task CancelRun_CancelsPendingWork_AndTheRunEndsCancelled()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync("name: t\nnodes:\n  - { id: wait, type: delay, with: { duration: 1h } }\n  - { id: after, type: echo, needs: [wait] }\n");

        await fixture.Engine.CancelRunAsync(runId, "no longer needed");
        var state = await fixture.RunToEndAsync(runId);

        state.Status.ShouldBe(RunStatus.Cancelled);
        state.Reason.ShouldBe("no longer needed");
        state.Nodes.Values.ShouldAllBe(n => n.Status == NodeStatus.Cancelled);
    }

    [Fact]
    public async Task Sweep_ReWakesARunWhoseWakeUpWasLost()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync(FanOut);
        var done = new RunEvent.ActivitySucceeded("root", 1, 0, JsonValue.Create(1));
        await fixture.Engine.Processor.AppendEventAsync(runId, RunJson.EventId(done), done, default, wake: false);
        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.ControlQueue, default)).ShouldBe(0);

        await fixture.Engine.CreateWorker().SweepAsync(default);

        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.ControlQueue, default)).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task SecondPassOfARunInTheSameProcess_WaitsForTheFirst_SoTheIndexNeverGoesBackToAnOlderStatus(string store)
    {
        await using var fixture = new EngineFixture(store: store);
        var (spec, text) = EngineFixture.Spec("name: t\nnodes:\n  - { id: a, type: echo, with: 1 }\n");
        await using (var crashing = fixture.Open(s => new CrashOnEnqueueStore(s, fixture.Options.WorkQueue)))
        {
            // Committed and indexed as Running; the process dies before dispatching, so a's outbox row is a leftover.
            await Should.ThrowAsync<IOException>(() => crashing.StartRunAsync(spec, text, null, "run-1"));
        }

        var done = new RunEvent.ActivitySucceeded("a", 1, 0, JsonValue.Create(1));
        await fixture.Engine.Processor.AppendEventAsync("run-1", RunJson.EventId(done), done, default, wake: false);
        IndexGateStore? gate = null;
        await using var engine = fixture.Open(s => gate = new IndexGateStore(s));

        // Pass A (say the control loop) loads the Running state, finds the leftover and stops in its index write.
        var first = Task.Run(() => engine.Processor.ProcessAsync("run-1", default));
        await gate!.Held.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Pass B of the same process (say the command loop): it must not run an episode beside A. When it did, it
        // finished the run and indexed it as Succeeded, then A's delayed write put back the Running it had loaded.
        var second = await engine.Processor.ProcessAsync("run-1", default);
        gate.Release.SetResult();
        (await first.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();

        (await engine.GetRunAsync("run-1"))!.Status.ShouldBe(RunStatus.Succeeded);
        (await engine.ListRunsAsync(new RunQuery())).Runs.ShouldHaveSingleItem().Status.ShouldBe("Succeeded");
        (await engine.ListRunsAsync(new RunQuery { Status = "Succeeded" })).Runs.ShouldHaveSingleItem().RunId.ShouldBe("run-1");
        (await engine.ListRunsAsync(new RunQuery { Status = "Running" })).Runs.ShouldBeEmpty();
        second.ShouldBeFalse("the first pass holds the run's lease");
    }

    /// <summary>Holds the first run index write until <see cref="Release"/> (<see cref="Held"/> says it is waiting); the rest pass.</summary>
    private sealed class IndexGateStore(IFlowStore inner) : IFlowStore, IRunIndex
    {
        private int _writes;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IPartitionStore Partitions => inner.Partitions;

        public IWorkQueue Queues => inner.Queues;

        public IArtifactStore Artifacts => inner.Artifacts;

        public IRunIndex Runs => this;

        public async Task UpsertAsync(RunSummary summary, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _writes) == 1)
            {
                Held.SetResult();
                await Release.Task;
            }

            await inner.Runs.UpsertAsync(summary, cancellationToken);
        }

        public Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken) => inner.Runs.ListAsync(query, cancellationToken);

        public Task DeleteAsync(string runId, CancellationToken cancellationToken) => inner.Runs.DeleteAsync(runId, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Simulates a process dying right after an episode's commit: the first enqueue of a work item fails.</summary>
    internal sealed class CrashOnEnqueueStore(IFlowStore inner, string queue) : IFlowStore
    {
        public IPartitionStore Partitions => inner.Partitions;

        public IWorkQueue Queues { get; } = new CrashingQueue(inner.Queues, queue);

        public IArtifactStore Artifacts => inner.Artifacts;

        public IRunIndex Runs => inner.Runs;

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private sealed class CrashingQueue(IWorkQueue inner, string queue) : IWorkQueue
        {
            public Task EnqueueAsync(string name, string body, TimeSpan delay, CancellationToken ct) =>
                name == queue ? throw new IOException("process died") : inner.EnqueueAsync(name, body, delay, ct);

            public Task<IReadOnlyList<QueueMessage>> DequeueAsync(string name, int max, TimeSpan visibility, CancellationToken ct) => inner.DequeueAsync(name, max, visibility, ct);

            public Task<bool> DeleteAsync(string name, QueueMessage message, CancellationToken ct) => inner.DeleteAsync(name, message, ct);

            public Task<QueueMessage?> UpdateVisibilityAsync(string name, QueueMessage message, TimeSpan visibility, CancellationToken ct) => inner.UpdateVisibilityAsync(name, message, visibility, ct);

            public Task<int> CountAsync(string name, CancellationToken ct) => inner.CountAsync(name, ct);
        }
    }
}
