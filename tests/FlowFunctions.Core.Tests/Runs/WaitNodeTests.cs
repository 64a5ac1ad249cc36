using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;
using static FlowFunctions.Core.Tests.Runs.Decisions;

namespace FlowFunctions.Core.Tests.Runs;

public class WaitNodeTests
{
    private static RunEvent.ExternalEventRaised Raise(string name, string json, string? id = null) => new(name, JsonNode.Parse(json), id);

    private const string Approval = """
        name: t
        nodes:
          - { id: w, type: wait, with: { event: approved, timeout: 1h, required: [by] } }
          - { id: after, type: echo, needs: [w], with: "${{ nodes.w.output.by }}" }
        """;

    private const string Later = """
        name: t
        nodes:
          - { id: a, type: echo }
          - { id: w, type: wait, needs: [a], with: { event: go } }
        """;

    [Fact]
    public void EventWhileWaiting_SucceedsTheNode_WithThePayloadAsOutput()
    {
        var d = Start(Approval);
        d.State.Nodes["w"].Status.ShouldBe(NodeStatus.Waiting);
        d.State.Nodes["w"].Reason.ShouldStartWith("for event 'approved'");
        var timer = d.Effects.OfType<Effect.ArmTimer>().ShouldHaveSingleItem();
        timer.Purpose.ShouldBe(TimerPurpose.EventTimeout);
        timer.DueAt.ShouldBe(T0.AddHours(1));

        d = Apply(d, Raise("approved", """{"by":"ann"}"""));
        d.State.Nodes["w"].Status.ShouldBe(NodeStatus.Succeeded);
        d.State.Nodes["w"].Output!.ToJsonString().ShouldBe("""{"by":"ann"}""");
        d.Effects.OfType<Effect.ScheduleActivity>().ShouldHaveSingleItem().Input!.GetValue<string>().ShouldBe("ann");

        // The timeout firing afterwards is stale.
        var stale = Apply(d, new RunEvent.TimerFired("w", 1, 0, TimerPurpose.EventTimeout), 3601);
        stale.State.ShouldBeSameAs(d.State);
    }

    [Fact]
    public void EventBeforeTheNodeWaits_IsKept_AndDeliveredWhenItStarts()
    {
        var d = Start(Later);
        d.State.Nodes["w"].Status.ShouldBe(NodeStatus.Pending);

        d = Apply(d, Raise("go", "1"));
        d = Apply(d, Raise("go", "2"));
        d.State.PendingEvents["go"].Select(p => p!.ToJsonString()).ShouldBe(["1", "2"]);

        d = Succeed(d, "a");
        d.State.Nodes["w"].Status.ShouldBe(NodeStatus.Succeeded);
        d.State.Nodes["w"].Output!.ToJsonString().ShouldBe("1");
        d.State.PendingEvents["go"].Select(p => p!.ToJsonString()).ShouldBe(["2"]);
        d.State.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public void EveryNodeWaitingForTheName_GetsTheEvent()
    {
        var d = Start("""
            name: t
            nodes:
              - { id: x, type: wait, with: { event: go } }
              - { id: y, type: wait, with: { event: go } }
              - { id: z, type: wait, with: { event: other } }
            """);
        d = Apply(d, Raise("go", "\"hi\""));
        d.State.Nodes["x"].Output!.GetValue<string>().ShouldBe("hi");
        d.State.Nodes["y"].Output!.GetValue<string>().ShouldBe("hi");
        d.State.Nodes["z"].Status.ShouldBe(NodeStatus.Waiting);
        d.State.PendingEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Timeout_FailsTheNodePermanently()
    {
        var d = Start(Approval);
        d = Apply(d, new RunEvent.TimerFired("w", 1, 0, TimerPurpose.EventTimeout), 3600);
        d.State.Nodes["w"].Status.ShouldBe(NodeStatus.Failed);
        d.State.Nodes["w"].Error!.Message.ShouldBe("no 'approved' event within 1h");
        d.State.Nodes["w"].Error!.Class.ShouldBe(ErrorClass.Permanent);
        d.State.Status.ShouldBe(RunStatus.Failed);
    }

    [Fact]
    public void PayloadMissingARequiredField_FailsTheNode()
    {
        var d = Apply(Start(Approval), Raise("approved", """{"who":"ann"}"""));
        d.State.Nodes["w"].Status.ShouldBe(NodeStatus.Failed);
        d.State.Nodes["w"].Error!.Message.ShouldBe("the 'approved' event payload lacks required field(s) 'by'");

        var notObject = Apply(Start(Approval), Raise("approved", "[1]"));
        notObject.State.Nodes["w"].Error!.Message.ShouldBe("the 'approved' event payload is an array, not an object with required field(s) 'by'");
    }

    [Fact]
    public void EventOnAFinishedRun_IsRefused()
    {
        var d = Apply(Start(Approval), new RunEvent.RunCancelRequested());
        d.State.Status.ShouldBe(RunStatus.Cancelled);

        var raise = Raise("approved", """{"by":"ann"}""");
        RunControl.Refusal(d.State, raise).ShouldBe("the run is already Cancelled; a finished run takes no events");
        var refused = Apply(d, raise);
        refused.Refusal.ShouldNotBeNull();
        refused.State.ShouldBeSameAs(d.State);
        RunControl.Refusal(Start(Approval).State, raise).ShouldBeNull();
    }

    [Fact]
    public void ARepeatedRaiseWithTheSameId_IsIgnored()
    {
        var d = Start(Later);
        d = Apply(d, Raise("go", "1", id: "e1"));
        var again = Apply(d, Raise("go", "1", id: "e1"));
        again.State.ShouldBeSameAs(d.State);
        d.State.PendingEvents["go"].Count.ShouldBe(1);
        d.State.SeenEventIds.ShouldContain("e1");
    }

    [Fact]
    public void Validation_ChecksTheWaitFields()
    {
        var result = SpecLoader.Load("""
            name: t
            nodes:
              - { id: w, type: wait, with: { timeout: soon, required: [1], extra: 2 } }
            """, SpecFormat.Yaml);
        var errors = string.Join("\n", result.Errors);
        errors.ShouldContain("event");
        errors.ShouldContain("timeout");
        errors.ShouldContain("required");
        errors.ShouldContain("extra");
    }
}
