using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;

namespace FlowFunctions.Engine.Runs;

/// <summary>
/// The JSON forms of what the engine stores and sends: node rows, inbox events, outbox effects and work items.
/// Hand-written (no reflection) so that the stored format is explicit and stable.
/// </summary>
internal static class RunJson
{
    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(JsonNode? node) =>
        DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public static DateTimeOffset? ParseOptionalTime(JsonNode? node) => node is null ? null : ParseTime(node);

    // ---- node states (values are written by the caller, which may move large ones to the artifact store) ----

    public static JsonObject WriteNode(NodeState node)
    {
        var row = new JsonObject
        {
            ["id"] = node.Id,
            ["status"] = node.Status.ToString(),
            ["attempts"] = node.Attempts,
            ["attempt"] = node.Attempt,
            ["incarnation"] = node.Incarnation,
            ["openNeeds"] = node.OpenNeeds,
            ["unsuccessfulNeeds"] = node.UnsuccessfulNeeds,
        };
        if (node.Error is { } error)
        {
            row["error"] = FlowEngine.ErrorDocument(error);
        }

        if (node.Reason is not null)
        {
            row["reason"] = node.Reason;
        }

        if (node.StartedAt is { } started)
        {
            row["startedAt"] = Time(started);
        }

        if (node.CompletedAt is { } completed)
        {
            row["completedAt"] = Time(completed);
        }

        if (node.Map is { } map)
        {
            row["map"] = new JsonObject { ["total"] = map.Total, ["nextIndex"] = map.NextIndex, ["active"] = map.Active };
        }

        return row;
    }

    public static NodeState ReadNode(JsonObject row, JsonNode? input, JsonNode? output, MapProgress? map) => new()
    {
        Id = row["id"]!.GetValue<string>(),
        Status = Enum.Parse<NodeStatus>(row["status"]!.GetValue<string>()),
        Attempts = row["attempts"]!.GetValue<int>(),
        Attempt = row["attempt"]!.GetValue<int>(),
        Incarnation = row["incarnation"]!.GetValue<int>(),
        OpenNeeds = row["openNeeds"]?.GetValue<int>() ?? 0,
        UnsuccessfulNeeds = row["unsuccessfulNeeds"]?.GetValue<int>() ?? 0,
        Error = row["error"] is JsonObject e ? ReadError(e) : null,
        Reason = row["reason"]?.GetValue<string>(),
        StartedAt = ParseOptionalTime(row["startedAt"]),
        CompletedAt = ParseOptionalTime(row["completedAt"]),
        Input = input,
        Output = output,
        Map = map,
    };

    public static NodeError ReadError(JsonObject e) =>
        new(e["message"]!.GetValue<string>(), Enum.Parse<ErrorClass>(e["class"]!.GetValue<string>()), e["attempt"]!.GetValue<int>())
        {
            // Rows written before kinds existed have none: Other.
            Kind = e["kind"] is { } kind ? ParseKind(kind.GetValue<string>()) : ErrorKind.Other,
            Status = e["status"]?.GetValue<int>(),
        };

    private static ErrorKind ParseKind(string name) => Enum.Parse<ErrorKind>(name, ignoreCase: true);

    public static MapProgress ReadMap(JsonObject mapRow, ImmutableArray<JsonNode?> items, ImmutableDictionary<int, NodeState> children) =>
        new(items, mapRow["nextIndex"]!.GetValue<int>(), mapRow["active"]!.GetValue<int>(), children);

    // ---- inbox events ----

    /// <summary>A deterministic id per event, so that a redelivered result is stored once.</summary>
    public static string EventId(RunEvent evt) => evt switch
    {
        RunEvent.ActivitySucceeded e => $"{e.NodeId}:{e.Incarnation}:{e.Attempt}:done",
        RunEvent.ActivityFailed e => $"{e.NodeId}:{e.Incarnation}:{e.Attempt}:done",
        RunEvent.ActivityParked e => $"{e.NodeId}:{e.Incarnation}:{e.Attempt}:done",
        RunEvent.TimerFired e => $"{e.NodeId}:{e.Incarnation}:{e.Attempt}:{e.Purpose}",
        _ => throw new ArgumentException($"{evt.GetType().Name} has no deterministic id; pass one", nameof(evt)),
    };

    public static JsonObject WriteEvent(RunEvent evt)
    {
        var json = WriteEventFields(evt);
        if (evt.Actor is { } actor)
        {
            json["actor"] = actor;
        }

        return json;
    }

    private static JsonObject WriteEventFields(RunEvent evt) => evt switch
    {
        RunEvent.ActivitySucceeded e => new JsonObject
        {
            ["kind"] = "succeeded", ["nodeId"] = e.NodeId, ["attempt"] = e.Attempt, ["incarnation"] = e.Incarnation,
            ["executions"] = e.Executions, ["output"] = e.Output?.DeepClone(), ["fromCache"] = e.FromCache ? true : null,
        },
        RunEvent.ActivityParked e => new JsonObject
        {
            ["kind"] = "parked", ["nodeId"] = e.NodeId, ["attempt"] = e.Attempt, ["incarnation"] = e.Incarnation,
            ["executions"] = e.Executions, ["breakerKey"] = e.BreakerKey, ["retryAt"] = Time(e.RetryAt),
        },
        RunEvent.ActivityFailed e => new JsonObject
        {
            ["kind"] = "failed", ["nodeId"] = e.NodeId, ["attempt"] = e.Attempt, ["incarnation"] = e.Incarnation,
            ["executions"] = e.Executions, ["message"] = e.Message, ["class"] = e.Class.ToString(), ["errorKind"] = FlowEngine.ErrorKindName(e.Kind),
            ["status"] = e.Status, ["retryAfterMs"] = e.RetryAfter is { } after ? (long)after.TotalMilliseconds : null,
        },
        RunEvent.TimerFired e => new JsonObject
        {
            ["kind"] = "timer", ["nodeId"] = e.NodeId, ["attempt"] = e.Attempt, ["incarnation"] = e.Incarnation, ["purpose"] = e.Purpose.ToString(),
        },
        RunEvent.NodeCancelRequested e => new JsonObject { ["kind"] = "cancelNode", ["nodeId"] = e.NodeId, ["reason"] = e.Reason },
        RunEvent.RunCancelRequested e => new JsonObject { ["kind"] = "cancelRun", ["reason"] = e.Reason },
        RunEvent.RunPauseRequested => new JsonObject { ["kind"] = "pause" },
        RunEvent.RunResumeRequested => new JsonObject { ["kind"] = "resume" },
        RunEvent.RunTerminateRequested e => new JsonObject { ["kind"] = "terminate", ["reason"] = e.Reason },
        RunEvent.NodeRedriveRequested e => new JsonObject { ["kind"] = "redrive", ["nodeId"] = e.NodeId, ["with"] = e.With?.DeepClone() },
        RunEvent.GraphPatchRequested e => new JsonObject { ["kind"] = "patch", ["patch"] = e.Patch.ToJson(), ["author"] = e.Author },
        RunEvent.ExternalEventRaised e => new JsonObject { ["kind"] = "external", ["name"] = e.Name, ["payload"] = e.Payload?.DeepClone(), ["eventId"] = e.EventId },
        RunEvent.ContinueRequested => new JsonObject { ["kind"] = "continue" },
        _ => throw new ArgumentException($"{evt.GetType().Name} is not stored in an inbox", nameof(evt)),
    };

    /// <summary><c>{"runId", "fromNode"}</c> of a rerun, or null.</summary>
    public static JsonObject? WriteRerunSource(RerunSource? source) =>
        source is null ? null : new JsonObject { ["runId"] = source.RunId, ["fromNode"] = source.FromNode };

    /// <summary>A mutation-log row: who, when, why, the patch and what it changed.</summary>
    public static JsonObject WriteMutation(GraphMutation m) => new()
    {
        ["revision"] = m.Revision,
        ["author"] = m.Author,
        ["at"] = Time(m.At),
        ["reason"] = m.Reason,
        ["patch"] = m.Patch.ToJson(),
        ["result"] = new JsonObject
        {
            ["nodesAdded"] = new JsonArray([.. m.Diff.NodesAdded.Select(x => (JsonNode)x)]),
            ["nodesRemoved"] = new JsonArray([.. m.Diff.NodesRemoved.Select(x => (JsonNode)x)]),
            ["nodesChanged"] = new JsonArray([.. m.Diff.NodesChanged.Select(x => (JsonNode)x)]),
            ["edgesAdded"] = new JsonArray([.. m.Diff.EdgesAdded.Select(x => (JsonNode)x)]),
            ["edgesRemoved"] = new JsonArray([.. m.Diff.EdgesRemoved.Select(x => (JsonNode)x)]),
        },
    };

    public static RunEvent ReadEvent(JsonObject e)
    {
        var evt = ReadEventFields(e);
        return e["actor"]?.GetValue<string>() is { } actor ? evt with { Actor = actor } : evt;
    }

    private static RunEvent ReadEventFields(JsonObject e)
    {
        string NodeId() => e["nodeId"]!.GetValue<string>();
        int Int(string name) => e[name]!.GetValue<int>();
        return e["kind"]!.GetValue<string>() switch
        {
            "succeeded" => new RunEvent.ActivitySucceeded(NodeId(), Int("attempt"), Int("incarnation"), e["output"]?.DeepClone(), Int("executions"), e["fromCache"]?.GetValue<bool>() ?? false),
            "parked" => new RunEvent.ActivityParked(NodeId(), Int("attempt"), Int("incarnation"), e["breakerKey"]!.GetValue<string>(), ParseTime(e["retryAt"]), Int("executions")),
            "failed" => new RunEvent.ActivityFailed(NodeId(), Int("attempt"), Int("incarnation"), e["message"]!.GetValue<string>(), Enum.Parse<ErrorClass>(e["class"]!.GetValue<string>()), Int("executions"))
            {
                Kind = e["errorKind"] is { } kind ? ParseKind(kind.GetValue<string>()) : ErrorKind.Other,
                Status = e["status"]?.GetValue<int>(),
                RetryAfter = e["retryAfterMs"] is { } after ? TimeSpan.FromMilliseconds(after.GetValue<long>()) : null,
            },
            "timer" => new RunEvent.TimerFired(NodeId(), Int("attempt"), Int("incarnation"), Enum.Parse<TimerPurpose>(e["purpose"]!.GetValue<string>())),
            "cancelNode" => new RunEvent.NodeCancelRequested(NodeId(), e["reason"]?.GetValue<string>()),
            "cancelRun" => new RunEvent.RunCancelRequested(e["reason"]?.GetValue<string>()),
            "pause" => new RunEvent.RunPauseRequested(),
            "resume" => new RunEvent.RunResumeRequested(),
            "terminate" => new RunEvent.RunTerminateRequested(e["reason"]?.GetValue<string>()),
            "redrive" => new RunEvent.NodeRedriveRequested(NodeId(), e["with"]?.DeepClone()),
            "patch" => new RunEvent.GraphPatchRequested(
                GraphPatch.Parse(e["patch"]).Patch ?? throw new FormatException("stored patch does not parse"), e["author"]?.GetValue<string>()),
            "external" => new RunEvent.ExternalEventRaised(e["name"]!.GetValue<string>(), e["payload"]?.DeepClone(), e["eventId"]?.GetValue<string>()),
            "continue" => new RunEvent.ContinueRequested(),
            var kind => throw new FormatException($"unknown inbox event kind '{kind}'"),
        };
    }

    // ---- outbox effects and the messages they become ----

    public static JsonObject WriteEffect(Effect effect) => effect switch
    {
        Effect.ScheduleActivity e => new JsonObject
        {
            ["kind"] = "schedule", ["nodeId"] = e.NodeId, ["type"] = e.NodeType, ["attempt"] = e.Attempt, ["incarnation"] = e.Incarnation,
            ["input"] = e.Input?.DeepClone(), ["retry"] = WriteRetry(e.Retry), ["maxExecutions"] = e.MaxExecutions,
            ["timeoutMs"] = e.Timeout is { } t ? (long)t.TotalMilliseconds : null,
            ["deadline"] = e.Deadline is { } d ? Time(d) : null,
            ["breaker"] = e.Breaker is { } b ? WriteBreaker(b) : null,
            ["cache"] = e.Cache is { } c ? new JsonObject { ["workflow"] = c.Workflow, ["nodeId"] = c.NodeId, ["hash"] = c.Hash, ["ttlMs"] = (long)c.Ttl.TotalMilliseconds } : null,
            ["priorExecutions"] = e.PriorExecutions,
        },
        Effect.ArmTimer e => new JsonObject
        {
            ["kind"] = "timer", ["nodeId"] = e.NodeId, ["attempt"] = e.Attempt, ["incarnation"] = e.Incarnation,
            ["purpose"] = e.Purpose.ToString(), ["dueAt"] = Time(e.DueAt),
        },
        Effect.CancelActivity e => new JsonObject { ["kind"] = "cancel", ["nodeId"] = e.NodeId, ["attempt"] = e.Attempt, ["incarnation"] = e.Incarnation },
        Effect.CompleteRun e => new JsonObject { ["kind"] = "complete", ["status"] = e.Status.ToString(), ["error"] = e.Error },
        Effect.ContinueRun => new JsonObject { ["kind"] = "continue" },
        _ => throw new ArgumentException($"unknown effect {effect.GetType().Name}", nameof(effect)),
    };

    public static JsonObject WriteRetry(RetryPolicy retry) => new()
    {
        ["maxAttempts"] = retry.MaxAttempts,
        ["backoff"] = retry.Backoff.ToString(),
        ["delayMs"] = (long)retry.Delay.TotalMilliseconds,
        ["maxDelayMs"] = (long)retry.MaxDelay.TotalMilliseconds,
        ["jitter"] = retry.Jitter,
        ["retryOn"] = new JsonArray([.. retry.RetryOn.Entries.Select(x => (JsonNode)x)]),
    };

    public static RetryPolicy ReadRetry(JsonNode r) => new(
        r["maxAttempts"]!.GetValue<int>(),
        Enum.Parse<BackoffKind>(r["backoff"]!.GetValue<string>()),
        TimeSpan.FromMilliseconds(r["delayMs"]!.GetValue<long>()),
        TimeSpan.FromMilliseconds(r["maxDelayMs"]!.GetValue<long>()),
        r["jitter"]!.GetValue<bool>())
    {
        // Work items written before retryOn existed retry every transient failure.
        RetryOn = r["retryOn"] is JsonArray entries ? RetryOn.Of(entries.Select(x => x!.GetValue<string>())) : RetryOn.Transient,
    };

    private static JsonObject WriteBreaker(CircuitBreakerPolicy b) => new()
    {
        ["key"] = b.Key,
        ["failureRatio"] = b.FailureRatio,
        ["minimumThroughput"] = b.MinimumThroughput,
        ["samplingMs"] = (long)b.SamplingDuration.TotalMilliseconds,
        ["breakMs"] = (long)b.BreakDuration.TotalMilliseconds,
    };

    private static CircuitBreakerPolicy ReadBreaker(JsonNode b) => new(
        b["key"]?.GetValue<string>(),
        b["failureRatio"]!.GetValue<double>(),
        b["minimumThroughput"]!.GetValue<int>(),
        TimeSpan.FromMilliseconds(b["samplingMs"]!.GetValue<long>()),
        TimeSpan.FromMilliseconds(b["breakMs"]!.GetValue<long>()));

    private static StepCacheKey ReadCacheKey(JsonNode c) => new(
        c["workflow"]!.GetValue<string>(),
        c["nodeId"]!.GetValue<string>(),
        c["hash"]!.GetValue<string>(),
        TimeSpan.FromMilliseconds(c["ttlMs"]!.GetValue<long>()));

    /// <summary>
    /// A work-queue message: several work items (schedule effects) of one run, and the trace context of the span that
    /// dispatched them (optional: messages without one still run).
    /// </summary>
    public static JsonObject WriteWorkMessage(string runId, IEnumerable<JsonObject> scheduleEffects, ActivityContext trace) => RunTrace.Write(
        new JsonObject
        {
            ["runId"] = runId,
            ["items"] = new JsonArray([.. scheduleEffects.Select(e => (JsonNode)e.DeepClone())]),
        },
        trace);

    public static IReadOnlyList<ActivityRequest> ReadWorkMessage(JsonObject message)
    {
        var runId = message["runId"]!.GetValue<string>();
        var items = message["items"]!.AsArray();
        if (items.Count == 0)
        {
            throw new FormatException("a work message holds at least one item");
        }

        var trace = RunTrace.Read(message);
        return [.. items.Select(i => ReadWorkItem(runId, i!.AsObject()) with { Trace = trace })];
    }

    private static ActivityRequest ReadWorkItem(string runId, JsonObject w) => new(
        runId,
        w["nodeId"]!.GetValue<string>(),
        w["type"]!.GetValue<string>(),
        w["attempt"]!.GetValue<int>(),
        w["incarnation"]!.GetValue<int>(),
        w["input"]?.DeepClone(),
        ReadRetry(w["retry"]!),
        w["maxExecutions"]!.GetValue<int>(),
        w["timeoutMs"] is { } t ? TimeSpan.FromMilliseconds(t.GetValue<long>()) : null,
        ParseOptionalTime(w["deadline"]),
        w["breaker"] is { } b ? ReadBreaker(b) : null,
        w["cache"] is { } c ? ReadCacheKey(c) : null,
        w["priorExecutions"]?.GetValue<int>());
}
