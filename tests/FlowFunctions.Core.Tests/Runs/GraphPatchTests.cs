using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Tests.Runs;

public class GraphPatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static DecisionContext At(double seconds = 0) => new(T0.AddSeconds(seconds), 0.5, int.MaxValue);

    private const string FanOut = """
        name: t
        nodes:
          - { id: load, type: echo }
          - { id: a, type: echo, needs: [load] }
          - { id: b, type: echo, needs: [load] }
          - { id: join, type: echo, needs: [a, b], with: { a: "${{ nodes.a.output }}" } }
          - { id: legacy, type: echo, needs: [load] }
        """;

    private static Decision Start(string yaml)
    {
        var result = SpecLoader.Load(yaml, SpecFormat.Yaml);
        result.Errors.ShouldBeEmpty(string.Join("\n", result.Errors));
        var source = (JsonObject)SourceReader.Read(yaml, SpecFormat.Yaml).Root!;
        return RunDecider.Decide(null, new RunEvent.RunStarted("run-1", result.Spec!, null, source), At());
    }

    private static Decision Succeed(Decision previous, string id, JsonNode? output = null)
    {
        var node = previous.State.Nodes[id];
        return RunDecider.Decide(previous.State, new RunEvent.ActivitySucceeded(id, node.Attempt, node.Incarnation, output ?? JsonValue.Create(id)), At(1));
    }

    private static GraphPatch Patch(string json)
    {
        var (patch, errors) = GraphPatch.Parse(JsonNode.Parse(json));
        errors.ShouldBeEmpty(string.Join("\n", errors));
        return patch!;
    }

    private static Decision Apply(Decision previous, string json) =>
        RunDecider.Decide(previous.State, new RunEvent.GraphPatchRequested(Patch(json), "tester"), At(2));

    [Fact]
    public void A_patch_keeps_the_state_of_pending_nodes_it_does_not_affect_so_their_rows_are_not_rewritten()
    {
        var run = Start(FanOut);
        var patched = Apply(run, """{ "operations": [ { "op": "addNode", "node": { "id": "c", "type": "echo" } }, { "op": "addEdge", "from": "c", "to": "join" } ] }""");
        patched.Refusal.ShouldBeNull();
        patched.State.Nodes["a"].ShouldBeSameAs(run.State.Nodes["a"]);
        patched.State.Nodes["legacy"].ShouldBeSameAs(run.State.Nodes["legacy"]);
        patched.State.Nodes["join"].OpenNeeds.ShouldBe(3, "join gained a need");
    }

    [Fact]
    public void Add_node_and_edge_branch_runs_and_joins()
    {
        var run = Succeed(Start(FanOut), "load");
        var patched = Apply(run, """
            { "expectedRevision": 1, "reason": "enrich", "operations": [
              { "op": "addNode", "node": { "id": "c", "type": "echo", "needs": ["load"] } },
              { "op": "addEdge", "from": "c", "to": "join" } ] }
            """);
        patched.Refusal.ShouldBeNull();
        patched.State.GraphRevision.ShouldBe(2);
        patched.State.Nodes["c"].Status.ShouldBe(NodeStatus.Running);
        patched.Effects.OfType<Effect.ScheduleActivity>().Select(e => e.NodeId).ShouldBe(["c"]);
        patched.State.Nodes["join"].OpenNeeds.ShouldBe(3);
        patched.Mutation!.Diff.NodesAdded.ShouldBe(["c"]);
        patched.Mutation.Diff.EdgesAdded.ShouldBe(["c->join", "load->c"]);
        patched.Mutation.Reason.ShouldBe("enrich");
        patched.Mutation.Author.ShouldBe("tester");

        var done = Succeed(Succeed(Succeed(patched, "a"), "b"), "legacy");
        done.State.Nodes["join"].Status.ShouldBe(NodeStatus.Pending);
        done = Succeed(done, "c");
        done.State.Nodes["join"].Status.ShouldBe(NodeStatus.Running);
        done = Succeed(done, "join");
        done.State.Status.ShouldBe(RunStatus.Succeeded);
        done.State.TerminalNodes.ShouldBe(6);
    }

    [Fact]
    public void Remove_edge_update_and_remove_node_on_unstarted_nodes()
    {
        var run = Start(FanOut);
        var patched = Apply(run, """
            { "operations": [
              { "op": "removeEdge", "from": "b", "to": "join" },
              { "op": "updateNode", "id": "join", "with": { "v": 2 } },
              { "op": "removeNode", "id": "legacy" } ] }
            """);
        patched.Refusal.ShouldBeNull();
        patched.State.Nodes.ContainsKey("legacy").ShouldBeFalse();
        patched.State.Nodes["join"].OpenNeeds.ShouldBe(1);
        patched.Mutation!.Diff.NodesRemoved.ShouldBe(["legacy"]);
        patched.Mutation.Diff.NodesChanged.ShouldBe(["join"]);
        patched.Mutation.Diff.EdgesRemoved.ShouldBe(["b->join", "load->legacy"]);

        var done = Succeed(Succeed(Succeed(patched, "load"), "a"), "join");
        done.State.Nodes["join"].Input!.ToJsonString().ShouldBe("""{"v":2}""");
        done = Succeed(done, "b");
        done.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Removing_the_last_pending_work_completes_the_run()
    {
        const string yaml = """
            name: t
            nodes:
              - { id: a, type: echo }
              - { id: b, type: echo, needs: [a], when: "${{ false }}" }
              - { id: c, type: echo, needs: [a] }
              - { id: d, type: echo, needs: [b], trigger: all-done }
            """;
        var run = Start(yaml);
        var patched = Apply(run, """{ "operations": [ { "op": "removeNode", "id": "d" }, { "op": "removeNode", "id": "c" } ] }""");
        patched.Refusal.ShouldBeNull();
        var done = Succeed(patched, "a");
        done.State.Status.ShouldBe(RunStatus.Succeeded);
        done.State.TerminalNodes.ShouldBe(2);
    }

    [Fact]
    public void Every_problem_is_reported_together()
    {
        var run = Succeed(Start(FanOut), "load");
        var decision = Apply(run, """
            { "operations": [
              { "op": "updateNode", "id": "load", "with": { "x": 1 } },
              { "op": "removeNode", "id": "a" },
              { "op": "addEdge", "from": "join", "to": "b" },
              { "op": "addNode", "node": { "id": "z", "type": "echo", "needs": ["ghost"] } },
              { "op": "addNode", "node": { "id": "y", "type": "echo", "needs": ["load"], "with": { "v": "${{ nodes.join.output }}" } } },
              { "op": "addNode", "node": { "id": "p", "type": "echo", "needs": ["q"] } },
              { "op": "addNode", "node": { "id": "q", "type": "echo", "needs": ["p"] } } ] }
            """);
        var refusal = decision.Refusal!;
        refusal.ShouldNotBeNull();
        decision.State.ShouldBeSameAs(run.State);
        decision.Effects.ShouldBeEmpty();
        refusal.ShouldContain("operations/0 (updateNode): node 'load' has started (Succeeded) and cannot be updated");
        refusal.ShouldContain("operations/1 (removeNode): node 'a' has started (Running) and cannot be removed");
        refusal.ShouldContain("operations/2 (addEdge): node 'b' has started (Running) and cannot gain new needs");
        refusal.ShouldContain("operations/3 (addNode): node 'z'");
        refusal.ShouldContain("ghost");
        refusal.ShouldContain("operations/4 (addNode): node 'y'");
        refusal.ShouldContain("join");
        refusal.ShouldContain("cycle", Case.Insensitive);
        refusal.ShouldContain("'p'");
    }

    [Fact]
    public void Stale_revision_and_terminal_run_are_conflicts()
    {
        var run = Start(FanOut);
        var stale = GraphPatcher.Check(run.State, Patch("""{ "expectedRevision": 4, "operations": [ { "op": "removeNode", "id": "legacy" } ] }"""));
        stale.Conflict.ShouldBeTrue();
        stale.Refusal!.ShouldContain("stale");

        var applied = Apply(run, """{ "expectedRevision": 1, "operations": [ { "op": "removeNode", "id": "legacy" } ] }""");
        applied.State.GraphRevision.ShouldBe(2);
        var again = Apply(applied, """{ "expectedRevision": 1, "operations": [ { "op": "removeNode", "id": "b" } ] }""");
        again.Refusal!.ShouldContain("stale");
        again.State.ShouldBeSameAs(applied.State);

        var cancelled = RunDecider.Decide(run.State, new RunEvent.RunCancelRequested("stop"), At(1));
        var terminal = GraphPatcher.Check(cancelled.State, Patch("""{ "operations": [ { "op": "removeNode", "id": "legacy" } ] }"""));
        terminal.Conflict.ShouldBeTrue();
        terminal.Refusal!.ShouldContain("Cancelled");
        RunControl.Refusal(cancelled.State, new RunEvent.GraphPatchRequested(Patch("""{ "operations": [ { "op": "removeNode", "id": "legacy" } ] }"""))).ShouldNotBeNull();
    }

    [Fact]
    public void Patch_adding_work_to_a_run_paused_on_failure_is_allowed()
    {
        const string yaml = """
            name: t
            nodes:
              - { id: a, type: echo, onFailure: pause, retry: { maxAttempts: 1 } }
              - { id: b, type: echo, needs: [a] }
            """;
        var run = Start(yaml);
        var node = run.State.Nodes["a"];
        var failed = RunDecider.Decide(run.State, new RunEvent.ActivityFailed("a", node.Attempt, node.Incarnation, "boom", ErrorClass.Permanent), At(1));
        failed.State.Status.ShouldBe(RunStatus.Paused);
        var patched = Apply(failed, """{ "operations": [ { "op": "addNode", "node": { "id": "c", "type": "echo" } } ] }""");
        patched.Refusal.ShouldBeNull();
        patched.State.Nodes["c"].Status.ShouldBe(NodeStatus.Ready);
        patched.State.Status.ShouldBe(RunStatus.Paused);
    }

    [Fact]
    public void Dry_run_changes_nothing_and_previews_the_diff()
    {
        var run = Start(FanOut);
        var patch = Patch("""
            { "dryRun": true, "operations": [
              { "op": "addNode", "node": { "id": "c", "type": "echo", "needs": ["load"] } },
              { "op": "removeNode", "id": "legacy" }, { "op": "removeEdge", "from": "b", "to": "join" } ] }
            """);
        var decision = RunDecider.Decide(run.State, new RunEvent.GraphPatchRequested(patch), At(2));
        decision.State.ShouldBeSameAs(run.State);
        decision.Effects.ShouldBeEmpty();
        decision.Mutation.ShouldBeNull();

        var preview = GraphPatcher.Preview(run.State, patch, At(2));
        preview.Check.IsValid.ShouldBeTrue();
        preview.Check.Diff!.NodesAdded.ShouldBe(["c"]);
        preview.Check.Diff.NodesRemoved.ShouldBe(["legacy"]);
        preview.Check.Diff.EdgesRemoved.ShouldBe(["b->join", "load->legacy"]);
        preview.ReadinessChanges.ShouldBe(["c: (new) -> Pending"]);
    }

    [Fact]
    public void Patch_and_completions_in_sequence_each_apply_exactly_once()
    {
        var run = Succeed(Start(FanOut), "load");
        var patch = new RunEvent.GraphPatchRequested(Patch("""{ "operations": [ { "op": "addNode", "node": { "id": "c", "type": "echo", "needs": ["a"] } } ] }"""));
        var a = run.State.Nodes["a"];
        var done = new RunEvent.ActivitySucceeded("a", a.Attempt, a.Incarnation, 1);
        var state = run.State;
        foreach (var evt in new RunEvent[] { done, patch, done, patch with { } })
        {
            state = RunDecider.Decide(state, evt, At(3)).State;
        }

        state.GraphRevision.ShouldBe(2);
        state.Nodes["c"].Status.ShouldBe(NodeStatus.Running);
        state.Nodes["a"].Status.ShouldBe(NodeStatus.Succeeded);
    }

    [Fact]
    public void Parse_reports_every_problem()
    {
        var (patch, errors) = GraphPatch.Parse(JsonNode.Parse("""{ "expectedRevision": "x", "operations": [ { "op": "nope" }, { "op": "addEdge" } ], "extra": 1 }"""));
        patch.ShouldBeNull();
        errors.Length.ShouldBe(5);
    }

    [Fact]
    public void A_running_map_below_its_concurrency_stays_dispatchable_under_its_new_index()
    {
        const string yaml = """
            name: t
            nodes:
              - { id: later, type: echo, needs: [m] }
              - { id: m, type: map, items: [1, 2, 3], maxConcurrency: 1, node: { type: echo } }
            """;
        var run = RunDecider.Decide(Start(yaml).State, new RunEvent.ContinueRequested(), At(1));
        var patched = Apply(run, """{ "operations": [ { "op": "removeNode", "id": "later" } ] }""");
        patched.Refusal.ShouldBeNull();
        var child = patched.State.Nodes["m"].Map!.Children[0];
        var next = RunDecider.Decide(patched.State, new RunEvent.ActivitySucceeded("m[0]", child.Attempt, child.Incarnation, 1), At(3));
        next.Effects.OfType<Effect.ScheduleActivity>().Select(e => e.NodeId).ShouldBe(["m[1]"]);
    }
}
