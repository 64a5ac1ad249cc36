using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>The priority lane: work made ready by a command is queued apart and taken before the backlog of the work queue.</summary>
public sealed class PriorityLaneTests
{
    private const string Background = """
        name: background
        nodes:
          - { id: root, type: echo, with: 1 }
        """;

    private const string Gated = """
        name: gated
        nodes:
          - { id: gate, type: wait, with: { event: go } }
          - { id: after, type: echo, needs: [gate], with: 2 }
        """;

    private static GraphPatch AddFresh() =>
        GraphPatch.Parse(JsonNode.Parse("""{ "operations": [ { "op": "addNode", "node": { "id": "fresh", "type": "echo", "with": 3 } } ] }""")).Patch!;

    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task CommandWork_GoesToThePriorityLane_AndIsTakenBeforeOlderWork(string store)
    {
        await using var fixture = new EngineFixture(new EngineOptions { MaxConcurrentActivities = 1 }, store: store);
        var background = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            background.Add(await fixture.StartAsync(Background));
        }

        var gated = await fixture.StartAsync(Gated);
        var queues = fixture.Engine.Store.Queues;
        (await fixture.Engine.PatchRunAsync(gated, AddFresh(), "tester")).Outcome.ShouldBe(PatchOutcome.Accepted);
        (await fixture.Engine.RaiseEventAsync(gated, "go", JsonValue.Create(1))).Outcome.ShouldBe(ControlOutcome.Accepted);
        (await fixture.Engine.Processor.ProcessAsync(gated, default)).ShouldBeTrue();

        (await queues.CountAsync(fixture.Options.WorkQueue, default)).ShouldBe(5, "a run's start is not a command: its work is in the normal queue");
        (await queues.CountAsync(fixture.Options.PriorityWorkQueue, default)).ShouldBe(1, "the patch and the raised event were applied in one episode, its work in one message");

        // One work message at a time: the order the handlers finish in is the order the worker took the messages in.
        using var order = new HandlerExecutions();
        foreach (var runId in background.Append(gated))
        {
            (await fixture.RunToEndAsync(runId)).Status.ShouldBe(RunStatus.Succeeded);
        }

        var ours = order.All.Where(s => s.RunId == gated || background.Contains(s.RunId)).ToList();
        ours.Count.ShouldBe(7);
        ours.Take(2).Select(s => s.NodeId).Order().ToList().ShouldBe(["after", "fresh"], "the command's work runs before the five older items");
        (await queues.CountAsync(fixture.Options.PriorityWorkQueue, default)).ShouldBe(0);
        (await queues.CountAsync(fixture.Options.WorkQueue, default)).ShouldBe(0);
    }

    [Fact]
    public async Task CrashBeforeThePriorityEnqueue_TheLeftoverWorkStillRuns_AndTheCommandIsAppliedOnce()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync(Gated);
        await using (var crashing = fixture.Open(store => new RunProcessorTests.CrashOnEnqueueStore(store, fixture.Options.PriorityWorkQueue)))
        {
            (await crashing.PatchRunAsync(runId, AddFresh(), "tester")).Outcome.ShouldBe(PatchOutcome.Accepted);
            await Should.ThrowAsync<IOException>(() => crashing.Processor.ProcessAsync(runId, default));
        }

        (await fixture.Engine.Store.Queues.CountAsync(fixture.Options.PriorityWorkQueue, default)).ShouldBe(0);
        (await fixture.Engine.RaiseEventAsync(runId, "go", null)).Outcome.ShouldBe(ControlOutcome.Accepted);

        // A fresh worker: the crashed episode's outbox goes out (to the normal queue) and everything completes.
        var state = await fixture.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.GraphRevision.ShouldBe(2, "the patch was applied exactly once");
        state.Nodes["fresh"].Status.ShouldBe(NodeStatus.Succeeded);
        state.Nodes["after"].Status.ShouldBe(NodeStatus.Succeeded);
    }

    [Fact]
    public async Task AWorkerThatDiesHoldingAPriorityItem_ItRunsAgainElsewhere()
    {
        await using var fixture = new EngineFixture(new EngineOptions { WorkVisibility = TimeSpan.FromSeconds(1) });
        var runId = await fixture.StartAsync(Gated);
        (await fixture.Engine.PatchRunAsync(runId, AddFresh(), "tester")).Outcome.ShouldBe(PatchOutcome.Accepted);
        (await fixture.Engine.Processor.ProcessAsync(runId, default)).ShouldBeTrue();

        // Taken by a worker that dies before finishing: the message reappears after its visibility timeout.
        (await fixture.Engine.Store.Queues.DequeueAsync(fixture.Options.PriorityWorkQueue, 1, TimeSpan.FromSeconds(1), default)).ShouldHaveSingleItem();
        (await fixture.Engine.RaiseEventAsync(runId, "go", null)).Outcome.ShouldBe(ControlOutcome.Accepted);

        var state = await fixture.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Nodes["fresh"].Attempt.ShouldBe(1);
    }

    [Fact]
    public async Task ARunningWorker_AppliesACommandOfItsProcessAtOnce_NotFromTheDurableWakeUp()
    {
        await using var fixture = new EngineFixture(new EngineOptions { ControlVisibility = TimeSpan.FromMinutes(5), HousekeepingInterval = TimeSpan.FromMinutes(5) });
        var runId = await fixture.StartAsync(Gated);
        using var stop = new CancellationTokenSource();
        var worker = fixture.Engine.CreateWorker().RunAsync(stop.Token);
        try
        {
            // Once the worker listens, the raise's durable wake-up is invisible for five minutes and housekeeping sleeps
            // as long: only the command loop can have applied it when the run finishes.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            ControlResult raised;
            while ((raised = await fixture.Engine.RaiseEventAsync(runId, "go", null, eventId: "go-1")).Outcome == ControlOutcome.Accepted
                   && !(await fixture.Engine.GetRunAsync(runId))!.IsTerminal)
            {
                DateTime.UtcNow.ShouldBeLessThan(deadline, "the raised event was never applied");
                await Task.Delay(50);
            }

            raised.Outcome.ShouldBe(ControlOutcome.Refused, "a finished run takes no events");
        }
        finally
        {
            await stop.CancelAsync();
            await worker;
        }

        (await fixture.Engine.GetRunAsync(runId))!.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public async Task ACommandHandedToALocalWorkerThatDies_IsAppliedFromTheDelayedWakeUp()
    {
        await using var fixture = new EngineFixture(new EngineOptions { ControlVisibility = TimeSpan.FromSeconds(1) });
        var runId = await fixture.StartAsync(Gated);
        using (fixture.Engine.Processor.ListenForCommands())
        {
            // A worker of this process is listening, so the run is handed to it; it dies before taking it.
            (await fixture.Engine.PatchRunAsync(runId, AddFresh(), "tester")).Outcome.ShouldBe(PatchOutcome.Accepted);
        }

        var queues = fixture.Engine.Store.Queues;
        (await queues.CountAsync(fixture.Options.ControlQueue, default)).ShouldBe(1, "the durable wake-up is stored");
        (await queues.DequeueAsync(fixture.Options.ControlQueue, 32, TimeSpan.FromSeconds(1), default)).ShouldBeEmpty("and delayed while a local worker listens");

        // Another process's worker applies the patch once the wake-up comes due.
        await using var other = fixture.Open();
        using var stop = new CancellationTokenSource();
        var worker = other.CreateWorker().RunAsync(stop.Token);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((await other.GetRunAsync(runId))!.Nodes.GetValueOrDefault("fresh")?.Status != NodeStatus.Succeeded)
            {
                DateTime.UtcNow.ShouldBeLessThan(deadline, "the patch was never applied");
                await Task.Delay(20);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await worker;
        }

        (await other.GetRunAsync(runId))!.GraphRevision.ShouldBe(2);
    }
}
