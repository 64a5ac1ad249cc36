using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;

namespace FlowFunctions.Engine.Tests.Runs;

public class GraphPatchEngineTests
{
    private const string FanOut = """
        name: t
        nodes:
          - { id: load, type: echo, with: 1 }
          - { id: a, type: echo, needs: [load], with: "a" }
          - { id: join, type: echo, needs: [a], with: { a: "${{ nodes.a.output }}" } }
        outputs:
          all: "${{ nodes.join.output }}"
        """;

    private static GraphPatch Patch(string json) => GraphPatch.Parse(JsonNode.Parse(json)).Patch!;

    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task Patch_AddsABranchToARunningFanOut_ItRunsAndJoins_TheSpecAndMutationLogAreStored(string store)
    {
        await using var fixture = new EngineFixture(store: store);
        var runId = await fixture.StartAsync(FanOut);
        var before = (await fixture.Engine.GetRunSnapshotAsync(runId))!;
        before.State.Nodes["load"].Status.ShouldBe(NodeStatus.Running);

        var patch = Patch("""
            { "expectedRevision": 1, "reason": "add b", "operations": [
              { "op": "addNode", "node": { "id": "b", "type": "echo", "needs": ["load"], "with": "b" } },
              { "op": "addEdge", "from": "b", "to": "join" },
              { "op": "updateNode", "id": "join", "with": { "a": "${{ nodes.a.output }}", "b": "${{ nodes.b.output }}" } } ] }
            """);
        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.GraphPatchRequested(patch, "tester"))).Outcome.ShouldBe(ControlOutcome.Accepted);
        var stale = await fixture.Engine.ControlRunAsync(runId, new RunEvent.GraphPatchRequested(Patch("""{ "expectedRevision": 7, "operations": [ { "op": "removeNode", "id": "join" } ] }""")));
        stale.Outcome.ShouldBe(ControlOutcome.Refused);
        stale.Message.ShouldContain("stale");

        var state = await fixture.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.GraphRevision.ShouldBe(2);
        state.Outputs!["all"]!.ToJsonString().ShouldBe("""{"a":"a","b":"b"}""");

        await using var cold = fixture.Open();
        var reloaded = (await cold.GetRunSnapshotAsync(runId))!;
        reloaded.SpecHash.ShouldNotBe(before.SpecHash);
        reloaded.State.GraphRevision.ShouldBe(2);
        reloaded.State.Spec.Nodes.Select(n => n.Id).ShouldBe(["load", "a", "join", "b"]);
        reloaded.State.Nodes["b"].Status.ShouldBe(NodeStatus.Succeeded);
        var log = await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.RevisionPrefix, default);
        log.Count.ShouldBe(1);
        var row = JsonNode.Parse(log[0].Value)!;
        row["revision"]!.GetValue<int>().ShouldBe(2);
        row["author"]!.GetValue<string>().ShouldBe("tester");
        row["reason"]!.GetValue<string>().ShouldBe("add b");
        row["result"]!["nodesAdded"]!.ToJsonString().ShouldBe("""["b"]""");
        var history = await fixture.Engine.GetHistoryAsync(runId);
        var revised = history.Single(h => h["detail"] != null && h["detail"]!.GetValue<string>() == "graph revision 2 by tester: add b");
        revised["revision"]!.GetValue<int>().ShouldBe(2);
        revised["mutation"]!.ToJsonString().ShouldBe(row.ToJsonString(), "the history entry carries the mutation log row: who, when, reason, the patch, the result");
        revised["mutation"]!["patch"]!["operations"]!.AsArray().Count.ShouldBe(3);
        history.Where(h => h["nodeId"]!.GetValue<string>() != RunProcessor.RunHistoryId).ShouldAllBe(h => h["mutation"] == null && h["revision"] == null);
    }

    [Fact]
    public async Task Patch_RemovingAPendingNode_DeletesItsRow_AndATerminalRunRefusesPatches()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync(FanOut);
        var patch = Patch("""{ "operations": [ { "op": "removeEdge", "from": "a", "to": "join" }, { "op": "updateNode", "id": "join", "with": 1 }, { "op": "removeNode", "id": "a" } ] }""");
        (await fixture.Engine.ControlRunAsync(runId, new RunEvent.GraphPatchRequested(patch))).Outcome.ShouldBe(ControlOutcome.Accepted);
        var state = await fixture.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Nodes.ContainsKey("a").ShouldBeFalse();
        (await fixture.Engine.Store.Partitions.GetAsync(runId, RunRows.Node("a"), default)).ShouldBeNull();

        var late = await fixture.Engine.ControlRunAsync(runId, new RunEvent.GraphPatchRequested(Patch("""{ "operations": [ { "op": "removeNode", "id": "join" } ] }""")));
        late.Outcome.ShouldBe(ControlOutcome.Refused);
        late.Message.ShouldContain("Succeeded");
    }

    [Fact]
    public async Task Patch_RacingACompletionInTheSameInbox_BothApplyExactlyOnce_InArrivalOrder()
    {
        await using var fixture = new EngineFixture();
        var runId = await fixture.StartAsync(FanOut);
        var load = (await fixture.Engine.GetRunAsync(runId))!.Nodes["load"];
        var done = new RunEvent.ActivitySucceeded("load", load.Attempt, load.Incarnation, 1);
        var patch = new RunEvent.GraphPatchRequested(Patch("""{ "expectedRevision": 1, "operations": [ { "op": "addNode", "node": { "id": "b", "type": "echo", "needs": ["load"], "with": "b" } } ] }"""), "racer");

        // The completion, the patch, and redeliveries of both (same event ids), all in the inbox before one episode.
        await Task.WhenAll(
            fixture.Engine.Processor.AppendEventAsync(runId, "done-load", done, default),
            fixture.Engine.Processor.AppendEventAsync(runId, "patch-1", patch, default));
        await fixture.Engine.Processor.AppendEventAsync(runId, "done-load", done, default);
        await fixture.Engine.Processor.AppendEventAsync(runId, "patch-1", patch, default);
        await fixture.Engine.Processor.ProcessAsync(runId, default);
        await fixture.Engine.Processor.AppendEventAsync(runId, "patch-1", patch, default);
        await fixture.Engine.Processor.ProcessAsync(runId, default);

        await using var cold = fixture.Open();
        var state = (await cold.GetRunAsync(runId))!;
        state.GraphRevision.ShouldBe(2);
        state.Nodes["load"].Status.ShouldBe(NodeStatus.Succeeded);
        state.Nodes["b"].Status.ShouldBe(NodeStatus.Running, "the added branch saw load's completion whichever came first");
        state.Nodes["a"].Status.ShouldBe(NodeStatus.Running);
        (await fixture.Engine.Store.Partitions.QueryAsync(runId, RunRows.RevisionPrefix, default)).Count.ShouldBe(1);

        var end = await fixture.RunToEndAsync(runId);
        end.Status.ShouldBe(RunStatus.Succeeded);
        end.Nodes["b"].Output!.GetValue<string>().ShouldBe("b");
    }
}
