using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using static FlowFunctions.Core.Tests.Runs.Decisions;

namespace FlowFunctions.Core.Tests.Runs;

public class RunDeciderTests
{
    [Fact]
    public void Start_SchedulesRootsInDeclaredOrderWithResolvedInputs()
    {
        var d = Start("""
            name: t
            inputs: { region: { type: string, default: eu } }
            nodes:
              - { id: b, type: echo, with: { r: "${{ inputs.region }}" } }
              - { id: a, type: echo }
              - { id: c, type: echo, needs: [a] }
            """);

        Scheduled(d).ShouldBe(["b", "a"]);
        d.Effects.OfType<Effect.ScheduleActivity>().First().Input!["r"]!.GetValue<string>().ShouldBe("eu");
        d.State.Status.ShouldBe(RunStatus.Running);
        Status(d, "b").ShouldBe(NodeStatus.Running);
        Status(d, "c").ShouldBe(NodeStatus.Pending);
    }

    [Fact]
    public void Completion_SchedulesDependentsWithUpstreamOutputs_AndTheRunCompletesWithOutputs()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, with: { n: 2 } }
              - { id: b, type: echo, needs: [a], with: { doubled: "${{ nodes.a.output.n * 2 }}" } }
            outputs: { result: "${{ nodes.b.output.doubled }}", text: "n=${{ nodes.a.output.n }}" }
            """);

        d = Succeed(d, "a", JsonNode.Parse("""{"n": 2}"""));
        var scheduled = d.Effects.OfType<Effect.ScheduleActivity>().Single();
        scheduled.NodeId.ShouldBe("b");
        scheduled.Input!["doubled"]!.GetValue<long>().ShouldBe(4);

        d = Succeed(d, "b", scheduled.Input);

        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Outputs!.ToJsonString().ShouldBe("""{"result":4,"text":"n=2"}""");
        d.Effects.OfType<Effect.CompleteRun>().Single().Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void TransformChain_IsEvaluatedInlineWithinOneDecision()
    {
        var d = Start("""
            name: t
            inputs: { x: { type: integer, default: 3 } }
            nodes:
              - { id: a, type: transform, with: "${{ inputs.x + 1 }}" }
              - { id: b, type: transform, needs: [a], with: "${{ nodes.a.output * 10 }}" }
            outputs: { b: "${{ nodes.b.output }}" }
            """);

        d.Effects.OfType<Effect.ScheduleActivity>().ShouldBeEmpty();
        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Outputs!["b"]!.GetValue<long>().ShouldBe(40);
        d.State.Nodes["b"].Attempts.ShouldBe(1);
    }

    [Fact]
    public void DuplicateAndStaleCompletions_ChangeNothing()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo }\n  - { id: b, type: echo, needs: [a] }\n");
        var done = new RunEvent.ActivitySucceeded("a", 1, 0, JsonValue.Create(1));
        d = Apply(d, done);

        var again = Apply(d, done);
        var stale = Apply(d, new RunEvent.ActivitySucceeded("b", 7, 0, null));
        var wrongIncarnation = Apply(d, new RunEvent.ActivitySucceeded("b", 1, 5, null));

        foreach (var ignored in new[] { again, stale, wrongIncarnation })
        {
            ignored.Effects.ShouldBeEmpty();
            ignored.State.Nodes["b"].ShouldBe(d.State.Nodes["b"]);
            ignored.State.Nodes["a"].ShouldBe(d.State.Nodes["a"]);
        }
    }

    [Fact]
    public void AllSucceeded_FailedNeed_SkipsTheSubtree_AndTheRunGoesOnWhenTheFailureIsTolerated()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: b, type: echo, needs: [a] }
              - { id: c, type: echo, needs: [b] }
              - { id: other, type: echo }
            """);

        d = Fail(d, "a", ErrorClass.Permanent);

        Status(d, "a").ShouldBe(NodeStatus.Failed);
        Status(d, "b").ShouldBe(NodeStatus.Skipped);
        d.State.Nodes["b"].Reason.ShouldBe("need 'a' failed");
        Status(d, "c").ShouldBe(NodeStatus.Skipped);
        d.State.Status.ShouldBe(RunStatus.Running);

        d = Succeed(d, "other");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void AllDone_RunsAfterAFailedNeed()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: cleanup, type: echo, needs: [a], trigger: all-done, with: "${{ nodes.a.status }}" }
            """);

        d = Fail(d, "a", ErrorClass.Permanent);

        d.Effects.OfType<Effect.ScheduleActivity>().Single().Input!.GetValue<string>().ShouldBe("Failed");
    }

    [Fact]
    public void AnySucceeded_WaitsForAllNeeds_RunsIfOneSucceeded_SkipsIfNone()
    {
        const string yaml = """
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: b, type: echo, onFailure: continue }
              - { id: join, type: echo, needs: [a, b], trigger: any-succeeded }
            """;

        var d = Succeed(Start(yaml), "a");
        Status(d, "join").ShouldBe(NodeStatus.Pending);
        d = Fail(d, "b", ErrorClass.Permanent);
        Scheduled(d).ShouldBe(["join"]);

        var none = Fail(Fail(Start(yaml), "a", ErrorClass.Permanent), "b", ErrorClass.Permanent);
        Status(none, "join").ShouldBe(NodeStatus.Skipped);
        none.State.Nodes["join"].Reason.ShouldBe("no need succeeded");
    }

    [Fact]
    public void WhenFalse_SkipsTheNodeAndItsAllSucceededDependents()
    {
        var d = Start("""
            name: t
            inputs: { go: { type: boolean, default: false } }
            nodes:
              - { id: a, type: echo, when: "${{ inputs.go }}" }
              - { id: b, type: echo, needs: [a] }
              - { id: c, type: echo, needs: [a], trigger: all-done }
            """);

        Status(d, "a").ShouldBe(NodeStatus.Skipped);
        d.State.Nodes["a"].Reason.ShouldBe("'when' was false");
        Status(d, "b").ShouldBe(NodeStatus.Skipped);
        Scheduled(d).ShouldBe(["c"]);
    }

    [Fact]
    public void TransientFailure_RetriesAfterBackoff_ThenFailsTheRunWhenAttemptsRunOut()
    {
        var d = Start("""
            name: t
            nodes:
              - id: a
                type: echo
                retry: { maxAttempts: 3, backoff: exponential, delay: 1s }
              - { id: slow, type: echo }
            """);

        d = Fail(d, "a", seconds: 10);
        Status(d, "a").ShouldBe(NodeStatus.Waiting);
        var timer = d.Effects.OfType<Effect.ArmTimer>().Single();
        timer.Purpose.ShouldBe(TimerPurpose.RetryBackoff);
        timer.DueAt.ShouldBe(T0.AddSeconds(11));

        d = Apply(d, new RunEvent.TimerFired("a", timer.Attempt, timer.Incarnation, TimerPurpose.RetryBackoff), 11);
        d.Effects.OfType<Effect.ScheduleActivity>().Single().Attempt.ShouldBe(2);
        d.Effects.OfType<Effect.ScheduleActivity>().Single().MaxExecutions.ShouldBe(2);

        d = Fail(d, "a", seconds: 12);
        d.Effects.OfType<Effect.ArmTimer>().Single().DueAt.ShouldBe(T0.AddSeconds(14));
        d = Apply(d, new RunEvent.TimerFired("a", 2, 0, TimerPurpose.RetryBackoff), 14);
        d = Fail(d, "a", seconds: 15);

        Status(d, "a").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["a"].Attempts.ShouldBe(3);
        d.State.Status.ShouldBe(RunStatus.Failed);
        d.State.Reason.ShouldBe("node 'a' failed: boom");
        Status(d, "slow").ShouldBe(NodeStatus.Cancelled);
        d.Effects.OfType<Effect.CancelActivity>().Single().NodeId.ShouldBe("slow");
        d.Effects.OfType<Effect.CompleteRun>().Single().Status.ShouldBe(RunStatus.Failed);
    }

    [Fact]
    public void PermanentFailure_IsNeverRetried()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo, retry: { maxAttempts: 5 } }\n");

        d = Fail(d, "a", ErrorClass.Permanent);

        Status(d, "a").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["a"].Error!.Class.ShouldBe(ErrorClass.Permanent);
        d.Effects.OfType<Effect.ArmTimer>().ShouldBeEmpty();
    }

    [Fact]
    public void InlineRetries_CountExecutionsReportedByTheWorkItem()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo, retry: { maxAttempts: 4, delay: 1s } }\n");

        d = Apply(d, new RunEvent.ActivityFailed("a", 1, 0, "503", ErrorClass.Transient, Executions: 2));
        d.State.Nodes["a"].Attempts.ShouldBe(2);
        d = Apply(d, new RunEvent.TimerFired("a", 1, 0, TimerPurpose.RetryBackoff), 10);
        var work = d.Effects.OfType<Effect.ScheduleActivity>().Single();
        work.Attempt.ShouldBe(3);
        work.MaxExecutions.ShouldBe(2);

        d = Apply(d, new RunEvent.ActivitySucceeded("a", 3, 0, null, Executions: 2), 11);
        d.State.Nodes["a"].Attempts.ShouldBe(4);
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Theory]
    [InlineData(BackoffKind.Constant, 3, false, 0.0, 1000)]
    [InlineData(BackoffKind.Linear, 3, false, 0.0, 3000)]
    [InlineData(BackoffKind.Exponential, 1, false, 0.0, 1000)]
    [InlineData(BackoffKind.Exponential, 3, false, 0.0, 4000)]
    [InlineData(BackoffKind.Exponential, 10, false, 0.0, 5000)]
    [InlineData(BackoffKind.Constant, 1, true, 0.0, 750)]
    [InlineData(BackoffKind.Constant, 1, true, 0.999999, 1250)]
    [InlineData(BackoffKind.Exponential, 40, true, 0.5, 5000)]
    public void DelayAfter_FollowsTheBackoffCappedByMaxDelay(BackoffKind backoff, int failedAttempt, bool jitter, double sample, long expectedMs)
    {
        var policy = new RetryPolicy(10, backoff, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), jitter);

        policy.DelayAfter(failedAttempt, sample).TotalMilliseconds.ShouldBe(expectedMs, 1);
    }

    [Fact]
    public void Timeout_ArmsATimerThatFailsTheAttemptTransiently()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo, timeout: 30s, retry: { maxAttempts: 2, delay: 1s } }\n");
        var timer = d.Effects.OfType<Effect.ArmTimer>().Single();
        timer.Purpose.ShouldBe(TimerPurpose.AttemptTimeout);
        // The work item may execute twice (30s each) with an inline wait between: the timer leaves room for both.
        timer.DueAt.ShouldBe(T0.AddSeconds(30 + 30 + 10));
        d.Effects.OfType<Effect.ScheduleActivity>().Single().Timeout.ShouldBe(TimeSpan.FromSeconds(30));

        d = Apply(d, new RunEvent.TimerFired("a", 1, 0, TimerPurpose.AttemptTimeout), 70);

        d.Effects.OfType<Effect.CancelActivity>().Single().NodeId.ShouldBe("a");
        Status(d, "a").ShouldBe(NodeStatus.Waiting);
        d.State.Nodes["a"].Error!.Message.ShouldBe("timed out after 30s");
        Apply(d, new RunEvent.ActivitySucceeded("a", 1, 0, null), 71).Effects.ShouldBeEmpty();
    }

    [Fact]
    public void Delay_IsADurableTimer()
    {
        var d = Start("name: t\nnodes:\n  - { id: wait, type: delay, with: { duration: 5m } }\n  - { id: after, type: echo, needs: [wait] }\n");

        var timer = d.Effects.OfType<Effect.ArmTimer>().Single();
        timer.Purpose.ShouldBe(TimerPurpose.Delay);
        timer.DueAt.ShouldBe(T0.AddMinutes(5));
        Status(d, "wait").ShouldBe(NodeStatus.Waiting);

        d = Apply(d, new RunEvent.TimerFired("wait", timer.Attempt, timer.Incarnation, TimerPurpose.Delay), 300);

        Status(d, "wait").ShouldBe(NodeStatus.Succeeded);
        Scheduled(d).ShouldBe(["after"]);
    }

    [Fact]
    public void Map_RespectsMaxConcurrency_AndReducesInIndexOrderWhateverTheCompletionOrder()
    {
        var d = Start("""
            name: t
            nodes:
              - id: each
                type: map
                items: [a, b, c, d]
                maxConcurrency: 2
                node: { type: echo, with: { name: "${{ item }}", i: "${{ index }}" } }
              - { id: after, type: transform, needs: [each], with: "${{ length(nodes.each.output) }}" }
            outputs: { names: "${{ nodes.each.output }}" }
            """);

        Scheduled(d).ShouldBe(["each[0]", "each[1]"]);
        d = Succeed(d, "each[1]", JsonValue.Create("B"));
        Scheduled(d).ShouldBe(["each[2]"]);
        d = Succeed(d, "each[2]", JsonValue.Create("C"));
        Scheduled(d).ShouldBe(["each[3]"]);
        d.State.Nodes["each"].Map!.Active.ShouldBe(2);
        d = Succeed(d, "each[3]", JsonValue.Create("D"));
        d = Succeed(d, "each[0]", JsonValue.Create("A"));

        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Outputs!["names"]!.ToJsonString().ShouldBe("""["A","B","C","D"]""");
        d.State.Nodes["after"].Output!.GetValue<long>().ShouldBe(4);
    }

    [Fact]
    public void Map_OverNoItems_SucceedsWithTheEmptyReduction()
    {
        var d = Start("name: t\nnodes:\n  - { id: m, type: map, items: [], node: { type: echo }, reduce: sum }\n");

        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Nodes["m"].Output!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public void Map_ItemsThatAreNotAList_FailTheNodePermanently()
    {
        var d = Start("name: t\ninputs: { x: { type: string, default: abc } }\nnodes:\n  - { id: m, type: map, items: \"${{ inputs.x }}\", node: { type: echo } }\n");

        Status(d, "m").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["m"].Error!.Message.ShouldBe("items evaluated to a string; a map needs an array");
    }

    [Fact]
    public void Map_ChildFailure_FailsTheMapAndCancelsRunningSiblings()
    {
        var d = Start("name: t\nnodes:\n  - { id: m, type: map, items: [1, 2, 3], onFailure: continue, node: { type: echo } }\n");

        d = Fail(d, "m[1]", ErrorClass.Permanent);

        Status(d, "m").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["m"].Error!.Message.ShouldBe("m[1] failed: boom");
        Status(d, "m[0]").ShouldBe(NodeStatus.Cancelled);
        d.Effects.OfType<Effect.CancelActivity>().Select(e => e.NodeId).ShouldBe(["m[0]", "m[2]"], ignoreOrder: true);
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Map_ChildRetries_UseTheTemplatePolicy()
    {
        var d = Start("name: t\nnodes:\n  - { id: m, type: map, items: [1], node: { type: echo, retry: { maxAttempts: 2, delay: 2s } } }\n");

        d = Fail(d, "m[0]");
        var timer = d.Effects.OfType<Effect.ArmTimer>().Single();
        timer.NodeId.ShouldBe("m[0]");
        d = Apply(d, new RunEvent.TimerFired("m[0]", timer.Attempt, timer.Incarnation, TimerPurpose.RetryBackoff), 3);

        d.Effects.OfType<Effect.ScheduleActivity>().Single().Attempt.ShouldBe(2);
        d = Succeed(d, "m[0]", JsonValue.Create(9));
        d.State.Nodes["m"].Output!.ToJsonString().ShouldBe("[9]");
    }

    [Fact]
    public void Reduce_OfNeeds_IsInNeedsOrderAndLeavesOutParentsThatDidNotSucceed()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: b, type: echo, onFailure: continue }
              - { id: c, type: echo, onFailure: continue }
              - { id: join, type: echo, needs: [a, b, c], trigger: all-done, reduce: merge, with: "${{ input }}" }
            """);

        d = Succeed(d, "c", JsonNode.Parse("""{"c": 3, "shared": "c"}"""));
        d = Fail(d, "b", ErrorClass.Permanent);
        d = Succeed(d, "a", JsonNode.Parse("""{"a": 1, "shared": "a"}"""));

        Status(d, "join").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["join"].Error!.Message.ShouldContain("merge conflict at /shared");
    }

    [Fact]
    public void Reduce_Append_OfNeeds()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo }
              - { id: b, type: echo }
              - { id: join, type: transform, needs: [b, a], reduce: append, with: "${{ input }}" }
            """);

        d = Succeed(Succeed(d, "a", JsonNode.Parse("[1, 2]")), "b", JsonValue.Create(0));

        d.State.Nodes["join"].Output!.ToJsonString().ShouldBe("[0,1,2]");
    }

    [Fact]
    public void OnFailurePause_ParksTheRun_KeepsDependentsPending_AndLetsRunningWorkFinish()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: pause }
              - { id: b, type: echo, needs: [a] }
              - { id: other, type: echo }
            """);

        d = Fail(d, "a", ErrorClass.Permanent);

        d.State.Status.ShouldBe(RunStatus.Paused);
        d.State.Reason!.ShouldStartWith("node 'a' failed");
        Status(d, "b").ShouldBe(NodeStatus.Pending);
        d.Effects.OfType<Effect.CompleteRun>().ShouldBeEmpty();

        d = Succeed(d, "other");
        Status(d, "other").ShouldBe(NodeStatus.Succeeded);
        d.State.Status.ShouldBe(RunStatus.Paused);
    }

    [Fact]
    public void CancelRun_CancelsEverythingUnfinished_AndLaterEventsAreIgnored()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo }\n  - { id: b, type: echo, needs: [a] }\n  - { id: m, type: map, items: [1, 2], node: { type: echo } }\n");

        d = Apply(d, new RunEvent.RunCancelRequested("operator said so"));

        d.State.Status.ShouldBe(RunStatus.Cancelled);
        d.State.Nodes.Values.ShouldAllBe(n => n.Status == NodeStatus.Cancelled);
        d.Effects.OfType<Effect.CancelActivity>().Select(e => e.NodeId).ShouldBe(["a", "m[0]", "m[1]"], ignoreOrder: true);
        d.Effects.OfType<Effect.CompleteRun>().Single().Error.ShouldBe("operator said so");

        var after = Apply(d, new RunEvent.ActivitySucceeded("a", 1, 0, null));
        after.State.ShouldBeSameAs(d.State);
        after.Effects.ShouldBeEmpty();
    }

    [Fact]
    public void CancelNode_SkipsItsDependents()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo }\n  - { id: b, type: echo, needs: [a] }\n");

        d = Apply(d, new RunEvent.NodeCancelRequested("a"));

        Status(d, "a").ShouldBe(NodeStatus.Cancelled);
        Status(d, "b").ShouldBe(NodeStatus.Skipped);
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void Budget_LimitsDispatchesPerDecision_AndAsksToContinue()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo }
              - { id: b, type: echo }
              - { id: c, type: echo }
              - { id: m, type: map, items: [1, 2, 3], node: { type: echo } }
            """, budget: 2);

        Scheduled(d).ShouldBe(["a", "b"]);
        d.Effects.OfType<Effect.ContinueRun>().ShouldHaveSingleItem();
        d = Apply(d, new RunEvent.ContinueRequested(), budget: 2);
        Scheduled(d).ShouldBe(["c"]);
        d.Effects.OfType<Effect.ContinueRun>().ShouldHaveSingleItem();
        d = Apply(d, new RunEvent.ContinueRequested(), budget: 2);
        Scheduled(d).ShouldBe(["m[0]", "m[1]"]);
        d.Effects.OfType<Effect.ContinueRun>().ShouldHaveSingleItem();
        d = Apply(d, new RunEvent.ContinueRequested(), budget: 10);
        Scheduled(d).ShouldBe(["m[2]"]);
        d.Effects.OfType<Effect.ContinueRun>().ShouldBeEmpty();
    }

    [Fact]
    public void InvalidInputs_FailTheRunAtStart_WithEveryProblem()
    {
        var d = Start(
            "name: t\ninputs:\n  n: { type: integer, required: true }\n  s: { type: string }\nnodes:\n  - { id: a, type: echo }\n",
            new JsonObject { ["s"] = 5, ["extra"] = true });

        d.State.Status.ShouldBe(RunStatus.Failed);
        d.State.Reason.ShouldBe("invalid inputs: unknown input 'extra' (declared inputs: n, s); missing required input 'n' (integer); input 's' must be a string, not an integer");
        Status(d, "a").ShouldBe(NodeStatus.Cancelled);
    }

    [Fact]
    public void ExpressionErrorAtRunTime_FailsTheNodePermanently_WithoutRetry()
    {
        var d = Start("name: t\ninputs: { s: { type: string, default: x } }\nnodes:\n  - { id: a, type: echo, retry: { maxAttempts: 3 }, with: \"${{ inputs.s * 2 }}\" }\n");

        Status(d, "a").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["a"].Error!.Class.ShouldBe(ErrorClass.Permanent);
        d.State.Nodes["a"].Error!.Message.ShouldContain("'*'");
        d.State.Status.ShouldBe(RunStatus.Failed);
    }

    [Fact]
    public void OutputExpressionError_FailsTheRun()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: transform, with: x }\noutputs: { bad: \"${{ nodes.a.output * 2 }}\" }\n");

        d.State.Status.ShouldBe(RunStatus.Failed);
        d.State.Reason!.ShouldStartWith("output 'bad':");
    }

    [Fact]
    public void NodeThatDidNotSucceed_ReadsAsNullOutput()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: a, type: echo, onFailure: continue }
              - { id: b, type: transform, needs: [a], trigger: all-done, with: "${{ coalesce(nodes.a.output.x, 'fallback') }}" }
            """);

        d = Fail(d, "a", ErrorClass.Permanent);

        d.State.Nodes["b"].Output!.GetValue<string>().ShouldBe("fallback");
    }

    [Fact]
    public void EffectIds_AreDeterministic()
    {
        const string yaml = "name: t\nnodes:\n  - { id: a, type: echo, timeout: 5s }\n";

        Start(yaml).Effects.Select(e => e.EffectId).ShouldBe(["a:0:1:run", "a:0:1:AttemptTimeout"]);
        Start(yaml).Effects.Select(e => e.EffectId).ShouldBe(Start(yaml).Effects.Select(e => e.EffectId));
    }

    [Fact]
    public void ChangedNodes_NamesEveryNodeWhoseStateWasReplaced()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo }\n  - { id: m, type: map, needs: [a], items: [1, 2], maxConcurrency: 1, node: { type: echo } }\n  - { id: z, type: echo }\n");
        foreach (var id in new[] { "a", "m[0]", "m[1]", "z" })
        {
            var before = d.State;
            d = Succeed(d, id);
            var replaced = d.State.Nodes.Where(n => !ReferenceEquals(before.Nodes[n.Key], n.Value)).Select(n => n.Key);
            d.ChangedNodes.ShouldBe(replaced, ignoreOrder: true);
            d.ChangedNodes.ShouldNotBeEmpty();
        }

        d.State.Status.ShouldBe(RunStatus.Succeeded);
        Apply(d, new RunEvent.ActivitySucceeded("z", 1, 0, null)).ChangedNodes.ShouldBeEmpty();
    }

    [Fact]
    public void RunStarted_Twice_IsANoOp()
    {
        var d = Start("name: t\nnodes:\n  - { id: a, type: echo }\n");

        var again = RunDecider.Decide(d.State, new RunEvent.RunStarted("run-1", d.State.Spec, null), At());

        again.State.ShouldBeSameAs(d.State);
        again.Effects.ShouldBeEmpty();
    }
}
