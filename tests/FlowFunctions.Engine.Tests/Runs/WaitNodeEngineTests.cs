using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Tests.Runs;

public class WaitNodeEngineTests
{
    [Fact]
    public async Task AWaitNodeStaysWaiting_ARaisedEventSucceedsItWithThePayload_AFinishedRunRefusesEvents()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync("""
            name: t
            nodes:
              - { id: w, type: wait, with: { event: approved, timeout: 1h, required: [by] } }
            outputs:
              by: "${{ nodes.w.output.by }}"
            """);
        await fixture.Engine.Processor.ProcessAsync(runId, default);
        var waiting = (await fixture.Engine.GetRunAsync(runId))!;
        waiting.Status.ShouldBe(RunStatus.Running);
        waiting.Nodes["w"].Status.ShouldBe(NodeStatus.Waiting);

        (await fixture.Engine.RaiseEventAsync("nope", "approved", null)).Outcome.ShouldBe(ControlOutcome.RunNotFound);
        var accepted = await fixture.Engine.RaiseEventAsync(runId, "approved", JsonNode.Parse("""{"by":"ann"}"""));
        accepted.Outcome.ShouldBe(ControlOutcome.Accepted);

        var done = await fixture.RunToEndAsync(runId);
        done.Status.ShouldBe(RunStatus.Succeeded);
        done.Nodes["w"].Output!.ToJsonString().ShouldBe("""{"by":"ann"}""");
        done.Outputs!["by"]!.GetValue<string>().ShouldBe("ann");

        var refused = await fixture.Engine.RaiseEventAsync(runId, "approved", null);
        refused.Outcome.ShouldBe(ControlOutcome.Refused);
        refused.Message.ShouldBe("event 'approved' refused: the run is already Succeeded; a finished run takes no events");
    }

    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task AnEventRaisedBeforeTheNodeWaits_IsKeptAcrossAReload_AndDelivered(string store)
    {
        await using var fixture = new EngineFixture(store: store);
        var runId = await fixture.StartAsync("""
            name: t
            nodes:
              - { id: gate, type: wait, with: { event: first } }
              - { id: w, type: wait, needs: [gate], with: { event: second } }
            """);
        await fixture.Engine.Processor.ProcessAsync(runId, default);
        (await fixture.Engine.RaiseEventAsync(runId, "second", JsonNode.Parse("[1,2]"), eventId: "ev-1")).Outcome.ShouldBe(ControlOutcome.Accepted);
        (await fixture.Engine.RaiseEventAsync(runId, "second", JsonNode.Parse("[1,2]"), eventId: "ev-1")).Outcome.ShouldBe(ControlOutcome.Accepted);
        await fixture.Engine.Processor.ProcessAsync(runId, default);

        await using (var cold = fixture.Open())
        {
            var reloaded = (await cold.GetRunAsync(runId))!;
            reloaded.Nodes["w"].Status.ShouldBe(NodeStatus.Pending);
            reloaded.PendingEvents["second"].ShouldHaveSingleItem()!.ToJsonString().ShouldBe("[1,2]");
            reloaded.SeenEventIds.ShouldBe(["ev-1"]);
        }

        await using var engine = fixture.Open();
        (await engine.RaiseEventAsync(runId, "first", null)).Outcome.ShouldBe(ControlOutcome.Accepted);
        var done = await fixture.RunToEndAsync(runId, engine: engine);
        done.Status.ShouldBe(RunStatus.Succeeded);
        done.Nodes["w"].Output!.ToJsonString().ShouldBe("[1,2]");
        done.PendingEvents.ShouldBeEmpty();
    }
}
