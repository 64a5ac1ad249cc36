using System.Text.Json.Nodes;
using FlowFunctions.Engine.Runs;

namespace FlowFunctions.Engine.Durable;

/// <summary>The two activities of a durable run: a step of its decisions, and one work item through the activity pipeline.</summary>
internal sealed class FlowActivities(FlowEngine engine)
{
    /// <summary>The step activity's name in the task hub.</summary>
    public const string StepName = "FlowStep";

    /// <summary>The work item activity's name in the task hub.</summary>
    public const string ExecuteName = "FlowExecute";

    /// <summary>
    /// Applies a step's events and commits them (<see cref="RunProcessor.ApplyDurableStepAsync"/>). Input:
    /// <c>{"runId","step","now","jitter","events":[...]}</c>; output: <c>{"effects":[...]}</c>.
    /// </summary>
    public async Task<JsonObject?> Step(JsonObject? input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var effects = await engine.Processor.ApplyDurableStepAsync(
            input["runId"]!.GetValue<string>(),
            input["step"]!.GetValue<long>(),
            [.. input["events"]!.AsArray().Select(e => RunJson.ReadEvent(e!.AsObject()))],
            RunJson.ParseTime(input["now"]),
            input["jitter"]!.GetValue<double>(),
            CancellationToken.None);
        return new JsonObject { ["effects"] = new JsonArray([.. effects.Select(e => (JsonNode)e.DeepClone())]) };
    }

    /// <summary>
    /// Runs one work item (a work message of one item) through the activity executor, like a native worker: an item whose
    /// attempt is no longer the one its node waits for (cancelled, timed out, redriven) is not run. Output:
    /// <c>{"event": {...}}</c>, or <c>{}</c> for a superseded item.
    /// </summary>
    public async Task<JsonObject?> Execute(JsonObject? workMessage)
    {
        ArgumentNullException.ThrowIfNull(workMessage);
        var request = RunJson.ReadWorkMessage(workMessage)[0];
        if ((await CurrentAttempts.FindAsync(engine.Store.Partitions, [request], CancellationToken.None)).Count == 0)
        {
            return [];
        }

        var outcome = await engine.Executor.ExecuteAsync(request, CancellationToken.None);
        return new JsonObject { ["event"] = RunJson.WriteEvent(outcome.ToEvent(request)) };
    }
}
