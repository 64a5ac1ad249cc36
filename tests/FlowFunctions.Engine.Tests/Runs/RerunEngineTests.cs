using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Tests.Runs;

public class RerunEngineTests
{
    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task Rerun_OfAPatchedRun_UsesItsCurrentGraph_CopiesUpstream_ExecutesOnlyTheNodeAndItsDescendants(string store)
    {
        using var executions = new HandlerExecutions();
        await using var fixture = new EngineFixture(store: store);
        var source = await fixture.StartAsync("""
            name: t
            inputs: { n: { type: integer, default: 2 } }
            nodes:
              - { id: load, type: echo, with: "${{ inputs.n }}" }
              - { id: m, type: map, needs: [load], items: [1, 2, 3], node: { type: echo, with: "${{ item }}" } }
              - { id: join, type: echo, needs: [m], with: { m: "${{ nodes.m.output }}" } }
            outputs:
              all: "${{ nodes.join.output }}"
            """);
        var patch = GraphPatch.Parse(JsonNode.Parse("""
            { "reason": "add b", "operations": [
              { "op": "addNode", "node": { "id": "b", "type": "echo", "needs": ["load"], "with": "${{ nodes.load.output }}" } },
              { "op": "addEdge", "from": "b", "to": "join" },
              { "op": "updateNode", "id": "join", "with": { "m": "${{ nodes.m.output }}", "b": "${{ nodes.b.output }}" } } ] }
            """)).Patch!;
        (await fixture.Engine.PatchRunAsync(source, patch, "tester")).Outcome.ShouldBe(PatchOutcome.Accepted);
        var original = await fixture.RunToEndAsync(source);
        original.Status.ShouldBe(RunStatus.Succeeded);
        original.GraphRevision.ShouldBe(2);

        var result = await fixture.Engine.RerunAsync(source, "join");
        result.Outcome.ShouldBe(RerunOutcome.Started, result.Message);
        var rerun = await fixture.RunToEndAsync(result.RunId!);
        rerun.Status.ShouldBe(RunStatus.Succeeded);
        rerun.Outputs!.ToJsonString().ShouldBe(original.Outputs!.ToJsonString());
        executions.Of(result.RunId!).ShouldBe(["join"], "upstream nodes, the map's children and the patched-in branch are copied, not executed");
        executions.Of(source).Count.ShouldBe(6);

        await using var cold = fixture.Open();
        var reloaded = (await cold.GetRunAsync(result.RunId!))!;
        reloaded.RerunOf.ShouldBe(new RerunSource(source, "join"));
        reloaded.Spec.Nodes.Select(n => n.Id).ShouldBe(["load", "m", "join", "b"]);
        reloaded.Nodes["m"].Map!.Children.Count.ShouldBe(3);
        reloaded.Nodes["m"].Output!.ToJsonString().ShouldBe("[1,2,3]");
        reloaded.Inputs["n"]!.GetValue<long>().ShouldBe(2);
        FlowEngine.RunDocument(reloaded)["rerunOf"]!.ToJsonString().ShouldBe($$"""{"runId":"{{source}}","fromNode":"join"}""");
        var history = await fixture.Engine.GetHistoryAsync(result.RunId!);
        history.ShouldContain(h => h["nodeId"]!.GetValue<string>() == "b" && h["detail"]!.GetValue<string>() == $"copied from run {source}");
    }

    [Fact]
    public async Task Rerun_FromAFailedNode_RunsItAgainWithoutTheUpstream_RefusalsChangeNothing()
    {
        using var executions = new HandlerExecutions();
        await using var fixture = new EngineFixture();
        var source = await fixture.StartAsync("""
            name: t
            nodes:
              - { id: a, type: echo, with: 1 }
              - { id: b, type: fail, needs: [a], with: { message: "still broken" } }
              - { id: c, type: echo, needs: [b] }
            """);
        (await fixture.RunToEndAsync(source)).Status.ShouldBe(RunStatus.Failed);

        var refused = await fixture.Engine.RerunAsync(source, "c");
        refused.Outcome.ShouldBe(RerunOutcome.Refused);
        refused.Message.ShouldContain("its upstream node 'b' is Failed");
        (await fixture.Engine.RerunAsync(source, "zzz")).Outcome.ShouldBe(RerunOutcome.NodeNotFound);
        (await fixture.Engine.RerunAsync("no-such-run", "b")).Outcome.ShouldBe(RerunOutcome.RunNotFound);
        (await fixture.Engine.ListRunsAsync(new Storage.RunQuery())).Runs.Count.ShouldBe(1, "a refused rerun starts nothing");

        var result = await fixture.Engine.RerunAsync(source, "b");
        var rerun = await fixture.RunToEndAsync(result.RunId!);
        rerun.Status.ShouldBe(RunStatus.Failed);
        rerun.Reason.ShouldBe("node 'b' failed: still broken");
        rerun.Nodes["a"].Output!.GetValue<long>().ShouldBe(1);
        executions.Of(result.RunId!).ShouldBe(["b"]);
    }
}
