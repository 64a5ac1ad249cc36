using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using static FlowFunctions.Core.Tests.Runs.Decisions;

namespace FlowFunctions.Core.Tests.Runs;

public class RunControlTests
{
    private const string Chain = """
        name: t
        nodes:
          - { id: a, type: echo }
          - { id: b, type: echo, needs: [a], with: { v: 1 } }
          - { id: c, type: echo, needs: [b] }
        """;

    private const string Wide = """
        name: t
        nodes:
          - { id: a, type: echo }
          - { id: b, type: echo }
          - { id: c, type: echo, needs: [a] }
        """;

    [Fact]
    public void Pause_StopsDispatch_CompletionsStillApply_ResumeDispatchesWhatBecameReady()
    {
        var d = Start(Wide);
        d = Apply(d, new RunEvent.RunPauseRequested());
        d.State.Status.ShouldBe(RunStatus.Paused);
        d.Refusal.ShouldBeNull();
        d.RunNotes.ShouldBe(["paused"]);

        d = Succeed(d, "a");
        Status(d, "a").ShouldBe(NodeStatus.Succeeded);
        Status(d, "c").ShouldBe(NodeStatus.Ready);
        Scheduled(d).ShouldBeEmpty();

        d = Succeed(d, "b");
        d.State.Status.ShouldBe(RunStatus.Paused);

        d = Apply(d, new RunEvent.RunResumeRequested());
        d.State.Status.ShouldBe(RunStatus.Running);
        Scheduled(d).ShouldBe(["c"]);
        d = Succeed(d, "c");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Pause_WhenAllWorkFinishesWhilePaused_TheRunCompletesOnResume()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo }\n");
        d = Apply(d, new RunEvent.RunPauseRequested());
        d = Succeed(d, "a");
        d.State.Status.ShouldBe(RunStatus.Paused);
        d = Apply(d, new RunEvent.RunResumeRequested());
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Refusals_AreRecorded_AndChangeNothing()
    {
        var d = Start(Wide);
        var refused = Apply(d, new RunEvent.RunResumeRequested());
        refused.Refusal.ShouldNotBeNull().ShouldContain("only a Paused run can be resumed");
        refused.State.ShouldBeSameAs(d.State);
        refused.Effects.ShouldBeEmpty();
        refused.RunNotes.Single().ShouldStartWith("resume refused");

        var paused = Apply(d, new RunEvent.RunPauseRequested());
        Apply(paused, new RunEvent.RunPauseRequested()).Refusal.ShouldNotBeNull().ShouldContain("only a Running run can be paused");

        Apply(d, new RunEvent.NodeRedriveRequested("a")).Refusal.ShouldNotBeNull().ShouldContain("node 'a' is Running; only a Failed node can be redriven");
        Apply(d, new RunEvent.NodeRedriveRequested("nope")).Refusal.ShouldNotBeNull().ShouldContain("no node 'nope'");
        Apply(d, new RunEvent.NodeRedriveRequested("m[0]")).Refusal.ShouldNotBeNull().ShouldContain("map child");

        var done = Succeed(Succeed(Succeed(d, "a"), "b"), "c");
        done.State.Status.ShouldBe(RunStatus.Succeeded);
        Apply(done, new RunEvent.RunTerminateRequested("x")).Refusal.ShouldNotBeNull().ShouldContain("already Succeeded");
        Apply(done, new RunEvent.RunPauseRequested()).Refusal.ShouldNotBeNull();
        Apply(done, new RunEvent.RunResumeRequested()).Refusal.ShouldNotBeNull();
        Apply(done, new RunEvent.NodeRedriveRequested("a")).Refusal.ShouldNotBeNull().ShouldContain("the run is Succeeded");

        var cancelled = Apply(d, new RunEvent.RunCancelRequested("stop"));
        Apply(cancelled, new RunEvent.NodeRedriveRequested("a")).Refusal.ShouldNotBeNull().ShouldContain("the run is Cancelled");
    }

    [Fact]
    public void Redrive_RefusesAnInvalidWithTemplate()
    {
        var d = Fail(Start(Chain), "a", ErrorClass.Permanent);
        var refused = Apply(d, new RunEvent.NodeRedriveRequested("a", JsonNode.Parse("""{"v":"${{ nope( }}"}""")));
        refused.Refusal.ShouldNotBeNull().ShouldContain("invalid 'with'");
    }

    [Fact]
    public void Terminate_EndsTheRunCancelled_AndAsksRunningActivitiesToStop()
    {
        var d = Apply(Start(Wide), new RunEvent.RunTerminateRequested("stuck"));
        d.State.Status.ShouldBe(RunStatus.Cancelled);
        d.State.Reason.ShouldBe("terminated: stuck");
        d.Effects.OfType<Effect.CancelActivity>().Select(e => e.NodeId).ShouldBe(["a", "b"], ignoreOrder: true);
        d.Effects.OfType<Effect.CompleteRun>().Single().Status.ShouldBe(RunStatus.Cancelled);
        Status(d, "c").ShouldBe(NodeStatus.Cancelled);
    }

    [Fact]
    public void Terminate_WorksOnAPausedRun()
    {
        var d = Apply(Apply(Start(Wide), new RunEvent.RunPauseRequested()), new RunEvent.RunTerminateRequested());
        d.State.Status.ShouldBe(RunStatus.Cancelled);
    }

    [Fact]
    public void Redrive_OfAFailedRun_ReopensTheNodeAndWhatTheRunEndCancelled_WithANewIncarnationAndPatchedWith()
    {
        var d = Succeed(Start(Chain), "a");
        d = Fail(d, "b", ErrorClass.Permanent);
        d.State.Status.ShouldBe(RunStatus.Failed);
        Status(d, "c").ShouldBe(NodeStatus.Cancelled);
        var old = d.State.Nodes["b"];

        d = Apply(d, new RunEvent.NodeRedriveRequested("b", JsonNode.Parse("""{"v":"${{ nodes.a.output.x }}"}""")));
        d.Refusal.ShouldBeNull();
        d.State.Status.ShouldBe(RunStatus.Running);
        d.State.Reason.ShouldBeNull();
        d.State.CompletedAt.ShouldBeNull();
        var b = d.State.Nodes["b"];
        b.Status.ShouldBe(NodeStatus.Running);
        b.Incarnation.ShouldBe(old.Incarnation + 1);
        b.Attempts.ShouldBe(0);
        b.Error.ShouldBeNull();
        Status(d, "c").ShouldBe(NodeStatus.Pending);
        d.State.Nodes["c"].OpenNeeds.ShouldBe(1);
        d.State.TerminalNodes.ShouldBe(1);
        var scheduled = d.Effects.OfType<Effect.ScheduleActivity>().Single();
        scheduled.NodeId.ShouldBe("b");
        scheduled.Incarnation.ShouldBe(old.Incarnation + 1);
        scheduled.MaxExecutions.ShouldBe(1);
        d.State.WithOverrides.ShouldContainKey("b");

        // A late result of the old incarnation is ignored.
        var late = Apply(d, new RunEvent.ActivitySucceeded("b", old.Attempt, old.Incarnation, null));
        late.State.ShouldBeSameAs(d.State);

        d = Succeed(d, "b");
        Scheduled(d).ShouldBe(["c"]);
        d = Succeed(d, "c");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Redrive_UsesThePatchedWith()
    {
        var d = Succeed(Start(Chain), "a", JsonNode.Parse("""{"x":7}"""));
        d = Fail(d, "b", ErrorClass.Permanent);
        d = Apply(d, new RunEvent.NodeRedriveRequested("b", JsonNode.Parse("""{"v":"${{ nodes.a.output.x }}"}""")));
        d.Effects.OfType<Effect.ScheduleActivity>().Single().Input!["v"]!.GetValue<int>().ShouldBe(7);
    }

    [Fact]
    public void Redrive_OfAContinueFailure_ReopensSkippedDownstream_WithRecomputedCounters()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: b, type: echo, needs: [a] }
              - { id: c, type: echo, needs: [b] }
              - { id: x, type: echo }
            """);
        d = Fail(d, "a", ErrorClass.Permanent);
        Status(d, "b").ShouldBe(NodeStatus.Skipped);
        Status(d, "c").ShouldBe(NodeStatus.Skipped);
        d.State.Status.ShouldBe(RunStatus.Running);

        d = Apply(d, new RunEvent.NodeRedriveRequested("a"));
        Status(d, "a").ShouldBe(NodeStatus.Running);
        Status(d, "b").ShouldBe(NodeStatus.Pending);
        Status(d, "c").ShouldBe(NodeStatus.Pending);
        d.State.Nodes["b"].OpenNeeds.ShouldBe(1);
        d.State.Nodes["b"].UnsuccessfulNeeds.ShouldBe(0);
        d.State.Nodes["c"].OpenNeeds.ShouldBe(1);
        d.State.TerminalNodes.ShouldBe(0);
        d.Transitions.ShouldContain(t => t.NodeId == "b" && t.From == NodeStatus.Skipped && t.To == NodeStatus.Pending);

        d = Succeed(Succeed(Succeed(Succeed(d, "a"), "x"), "b"), "c");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Redrive_OfAPauseFailure_ReturnsTheRunToRunning_ResumeIsRefusedUntilThen()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: pause }
              - { id: b, type: echo, needs: [a] }
            """);
        d = Fail(d, "a", ErrorClass.Permanent);
        d.State.Status.ShouldBe(RunStatus.Paused);
        Apply(d, new RunEvent.RunResumeRequested()).Refusal.ShouldNotBeNull().ShouldContain("node 'a' failed and paused the run");

        d = Apply(d, new RunEvent.NodeRedriveRequested("a"));
        d.State.Status.ShouldBe(RunStatus.Running);
        Status(d, "a").ShouldBe(NodeStatus.Running);
        Status(d, "b").ShouldBe(NodeStatus.Pending);
        d = Succeed(Succeed(d, "a"), "b");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Redrive_InARunPausedBySomeone_KeepsItPaused()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: b, type: echo, needs: [a] }
              - { id: x, type: echo }
            """);
        d = Apply(d, new RunEvent.RunPauseRequested());
        d = Fail(d, "a", ErrorClass.Permanent);
        d = Apply(d, new RunEvent.NodeRedriveRequested("a"));
        d.State.Status.ShouldBe(RunStatus.Paused);
        Status(d, "a").ShouldBe(NodeStatus.Ready);
        Scheduled(d).ShouldBeEmpty();
        d = Apply(d, new RunEvent.RunResumeRequested());
        Scheduled(d).ShouldBe(["a"]);
    }

    [Fact]
    public void Redrive_OfAFailedMap_StartsItOverWithChildrenOfTheNewIncarnation()
    {
        var d = Start("name: t\nnodes:\n  - { id: m, type: map, items: [1, 2], node: { type: echo } }\n");
        var oldChild = d.State.Nodes["m"].Map!.Children[0];
        d = Fail(d, "m[1]", ErrorClass.Permanent);
        d.State.Status.ShouldBe(RunStatus.Failed);

        d = Apply(d, new RunEvent.NodeRedriveRequested("m"));
        d.State.Status.ShouldBe(RunStatus.Running);
        Scheduled(d).ShouldBe(["m[0]", "m[1]"]);
        d.State.Nodes["m"].Map!.Children[0].Incarnation.ShouldBe(1);
        Apply(d, new RunEvent.ActivitySucceeded("m[0]", oldChild.Attempt, oldChild.Incarnation, null)).State.ShouldBeSameAs(d.State);
        d = Succeed(Succeed(d, "m[0]"), "m[1]");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }
}
