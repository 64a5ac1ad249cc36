using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using static FlowFunctions.Core.Tests.Runs.Decisions;

namespace FlowFunctions.Core.Tests.Runs;

public class RunRerunTests
{
    private const string Diamond = """
        name: t
        inputs: { x: { type: integer, default: 7 } }
        nodes:
          - { id: a, type: echo, with: "${{ inputs.x }}" }
          - { id: b, type: echo, needs: [a], with: "${{ nodes.a.output }}" }
          - { id: c, type: echo, needs: [a] }
          - { id: d, type: echo, needs: [b, c], with: "${{ nodes.b.output }}" }
        outputs:
          d: "${{ nodes.d.output }}"
        """;

    private static Decision Rerun(Decision source, string from) =>
        RunDecider.Decide(null, new RunEvent.RunRerunStarted("run-2", source.State, from), At(100));

    private static Decision Finished(string yaml, params string[] failing)
    {
        var d = Start(yaml);
        // In declared order, so the run is the same in every process (dictionary order is not).
        while (d.State.Spec.Nodes.Select(n => d.State.Nodes[n.Id]).FirstOrDefault(n => n.Status == NodeStatus.Running && n.Map is null) is { } running)
        {
            d = failing.Contains(running.Id) ? Fail(d, running.Id, ErrorClass.Permanent) : Succeed(d, running.Id, running.Input?.DeepClone());
        }

        return d;
    }

    [Fact]
    public void Rerun_FromAMiddleNode_CopiesUpstreamAndSideBranches_RunsTheNodeAndItsDescendants()
    {
        var source = Finished(Diamond);
        source.State.Status.ShouldBe(RunStatus.Succeeded);

        var d = Rerun(source, "b");
        d.State.RunId.ShouldBe("run-2");
        d.State.RerunOf.ShouldBe(new RerunSource("run-1", "b"));
        d.State.Inputs["x"]!.GetValue<long>().ShouldBe(7);
        d.State.Nodes["a"].ShouldBeSameAs(source.State.Nodes["a"]);
        d.State.Nodes["c"].ShouldBeSameAs(source.State.Nodes["c"]);
        Scheduled(d).ShouldBe(["b"]);
        d.State.Nodes["b"].Input!.GetValue<long>().ShouldBe(7, "the copied output of a feeds b");
        Status(d, "d").ShouldBe(NodeStatus.Pending);
        d.State.TerminalNodes.ShouldBe(2);
        d.Transitions.Where(t => t.Detail == "copied from run run-1").Select(t => t.NodeId).ShouldBe(["a", "c"]);
        d.RunNotes.ShouldBe(["rerun of run run-1 from 'b': 2 node(s) copied, 2 to run"]);

        d = Succeed(d, "b", JsonValue.Create(8), seconds: 101);
        Scheduled(d).ShouldBe(["d"]);
        d = Succeed(d, "d", JsonValue.Create(9), seconds: 102);
        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Outputs!["d"]!.GetValue<int>().ShouldBe(9);
    }

    [Fact]
    public void Rerun_FromTheFailedNode_RunsItAgain_AndWhatItsFailureCancelled()
    {
        var source = Finished(Diamond, "b");
        source.State.Status.ShouldBe(RunStatus.Failed);

        Status(source, "c").ShouldBe(NodeStatus.Cancelled, "b failed the run while c was running");

        var d = Rerun(source, "b");
        d.State.Status.ShouldBe(RunStatus.Running);
        Scheduled(d).ShouldBe(["b", "c"], "c was cancelled by b's failure, so it cannot be copied and runs again");
        Status(d, "a").ShouldBe(NodeStatus.Succeeded);
        Status(d, "d").ShouldBe(NodeStatus.Pending);
        d.State.Nodes["b"].Attempts.ShouldBe(0, "a fresh attempt budget");
    }

    [Fact]
    public void Rerun_NodesThatDidNotSucceedElsewhereRunAgainToo()
    {
        var source = Finished("""
            name: t
            nodes:
              - { id: a, type: echo }
              - { id: flaky, type: echo, onFailure: continue }
              - { id: b, type: echo, needs: [a] }
              - { id: after, type: echo, needs: [flaky] }
            """, "flaky");
        source.State.Status.ShouldBe(RunStatus.Succeeded);
        Status(source, "after").ShouldBe(NodeStatus.Skipped);

        var d = Rerun(source, "b");
        Scheduled(d).Order().ShouldBe(["b", "flaky"]);
        Status(d, "after").ShouldBe(NodeStatus.Pending);
        Status(d, "a").ShouldBe(NodeStatus.Succeeded);
    }

    [Fact]
    public void Rerun_AcrossAMap_CopiesTheMapWithItsChildrenAndOutput()
    {
        var source = Start("""
            name: t
            nodes:
              - { id: m, type: map, items: [1, 2], node: { type: echo, with: "${{ item }}" } }
              - { id: n, type: echo, needs: [m], with: "${{ nodes.m.output }}" }
            """);
        source = Succeed(source, "m[0]", JsonValue.Create(1));
        source = Succeed(source, "m[1]", JsonValue.Create(2));
        source = Succeed(source, "n", JsonValue.Create("done"));
        source.State.Status.ShouldBe(RunStatus.Succeeded);

        var d = Rerun(source, "n");
        d.State.Nodes["m"].ShouldBeSameAs(source.State.Nodes["m"]);
        d.State.Nodes["m"].Map!.Children.Count.ShouldBe(2);
        Scheduled(d).ShouldBe(["n"]);
        d.State.Nodes["n"].Input!.ToJsonString().ShouldBe("[1,2]");
    }

    [Fact]
    public void Rerun_FromAMap_RunsTheMapAgain()
    {
        var source = Finished("name: t\nnodes:\n  - { id: a, type: echo, with: [3, 4] }\n  - { id: m, type: map, needs: [a], items: \"${{ nodes.a.output }}\", node: { type: echo } }\n");
        var d = Rerun(source, "m");
        Scheduled(d).ShouldBe(["m[0]", "m[1]"]);
    }

    [Fact]
    public void Refusal_NamesTheUpstreamNodeThatCannotBeCopied_UnknownNodesAndMapChildren()
    {
        var source = Finished("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: b, type: echo, needs: [a], trigger: all-done }
              - { id: c, type: echo, needs: [b] }
            """, "a");
        Status(source, "b").ShouldBe(NodeStatus.Succeeded);

        RunRerun.Refusal(source.State, "c").ShouldBe("cannot rerun run run-1 from 'c': its upstream node 'a' is Failed; only Succeeded, Cached or Skipped upstream nodes can be copied (redrive it, or rerun from 'a')");
        RunRerun.Refusal(source.State, "a").ShouldBeNull();
        RunRerun.Refusal(source.State, "nope").ShouldBe("run run-1 has no node 'nope'");
        RunRerun.Refusal(source.State, "m[1]").ShouldBe("'m[1]' is a map child; rerun from the map 'm' instead");
        Should.Throw<ArgumentException>(() => Rerun(source, "c")).Message.ShouldStartWith("cannot rerun run run-1 from 'c'");
    }

    [Fact]
    public void Rerun_OfARunStillGoing_CopiesOnlyWhatFinished()
    {
        var source = Start(Diamond);
        source = Succeed(source, "a", JsonValue.Create(7));
        RunRerun.Refusal(source.State, "d").ShouldBe("cannot rerun run run-1 from 'd': its upstream node 'b' is Running; only Succeeded, Cached or Skipped upstream nodes can be copied (redrive it, or rerun from 'b')");

        var d = Rerun(source, "b");
        Scheduled(d).Order().ShouldBe(["b", "c"]);
    }

    [Fact]
    public void Rerun_WhoseOnlyFreshNodeIsSkippedAtOnce_CompletesInItsFirstDecision()
    {
        var source = Finished("name: t\nnodes:\n  - { id: a, type: echo, with: 1 }\n  - { id: b, type: echo, needs: [a], when: false }\noutputs: { a: \"${{ nodes.a.output }}\" }\n");
        Status(source, "b").ShouldBe(NodeStatus.Skipped);

        var d = Rerun(source, "b");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Outputs!["a"]!.GetValue<long>().ShouldBe(1);
        d.Effects.OfType<Effect.CompleteRun>().Count().ShouldBe(1);
    }

    [Fact]
    public void Decide_RerunStartedForAnExistingRun_ChangesNothing()
    {
        var source = Finished(Diamond);
        var d = RunDecider.Decide(source.State, new RunEvent.RunRerunStarted("run-2", source.State, "b"), At(5));
        d.State.ShouldBeSameAs(source.State);
        d.Effects.ShouldBeEmpty();
    }
}
