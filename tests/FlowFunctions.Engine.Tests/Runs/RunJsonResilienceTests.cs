using System.Diagnostics;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Runs;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>What the resilience features add to the stored formats survives a round trip, and older rows still read.</summary>
public sealed class RunJsonResilienceTests
{
    [Fact]
    public void FailedEvent_KeepsKindStatusAndRetryAfter()
    {
        var evt = new RunEvent.ActivityFailed("a", 2, 1, "GET x returned 429", ErrorClass.Transient, 3)
        {
            Kind = ErrorKind.HttpStatus,
            Status = 429,
            RetryAfter = TimeSpan.FromSeconds(7),
        };

        RunJson.ReadEvent(JsonNode.Parse(RunJson.WriteEvent(evt).ToJsonString())!.AsObject()).ShouldBe(evt);
    }

    [Fact]
    public void NodeError_KeepsKindAndStatus_AndAnOldRowReadsAsOther()
    {
        var node = new NodeState { Id = "a", Status = NodeStatus.Failed, Attempts = 3, Attempt = 1, Error = new NodeError("boom", ErrorClass.Transient, 3) { Kind = ErrorKind.HttpStatus, Status = 503 } };
        var row = RunJson.WriteNode(node);

        row["error"]!.ToJsonString().ShouldBe("""{"message":"boom","class":"Transient","attempt":3,"kind":"httpStatus","status":503}""");
        RunJson.ReadNode(row, null, null, null).Error.ShouldBe(node.Error);

        row["error"] = new JsonObject { ["message"] = "old", ["class"] = "Permanent", ["attempt"] = 1 };
        RunJson.ReadNode(row, null, null, null).Error.ShouldBe(new NodeError("old", ErrorClass.Permanent, 1));
    }

    [Fact]
    public void WorkItem_KeepsRetryOnAndDeadline_AndAnOldItemRetriesEveryTransientFailure()
    {
        var deadline = new DateTimeOffset(2026, 11, 22, 8, 5, 0, TimeSpan.Zero);
        var retry = new RetryPolicy(4, BackoffKind.Linear, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), true) { RetryOn = RetryOn.Of(["5xx", "timeout"]) };
        var effect = new Effect.ScheduleActivity("a", "http", 1, 0, null, retry, 4, TimeSpan.FromSeconds(30), deadline);
        var message = RunJson.WriteWorkMessage("run", [RunJson.WriteEffect(effect)], default);

        var request = RunJson.ReadWorkMessage(JsonNode.Parse(message.ToJsonString())!.AsObject()).ShouldHaveSingleItem();

        request.Retry.ShouldBe(retry);
        request.Deadline.ShouldBe(deadline);
        var old = RunJson.WriteRetry(retry);
        old.Remove("retryOn");
        RunJson.ReadRetry(old).RetryOn.ShouldBe(RetryOn.Transient);
    }

    [Fact]
    public void WorkMessage_CarriesTheTraceContext_AndOneWithoutOrWithAGarbledOneStillReads()
    {
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, "vendor=x");
        var effect = RunJson.WriteEffect(new Effect.ScheduleActivity("a", "echo", 1, 0, null, RetryPolicy.None, 1, null));
        var message = RunJson.WriteWorkMessage("run", [effect], trace);

        message["traceparent"]!.GetValue<string>().ShouldBe($"00-{trace.TraceId.ToHexString()}-{trace.SpanId.ToHexString()}-01");
        var read = RunJson.ReadWorkMessage(JsonNode.Parse(message.ToJsonString())!.AsObject()).ShouldHaveSingleItem().Trace;
        (read.TraceId, read.SpanId, read.TraceFlags, read.TraceState).ShouldBe((trace.TraceId, trace.SpanId, trace.TraceFlags, trace.TraceState));

        message.Remove("traceparent");
        message.Remove("tracestate");
        RunJson.ReadWorkMessage(message).ShouldHaveSingleItem().Trace.ShouldBe(default);
        message["traceparent"] = "not a traceparent";
        RunJson.ReadWorkMessage(message).ShouldHaveSingleItem().Trace.ShouldBe(default);
    }
}
