using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Runs;

namespace FlowFunctions.Engine.Durable;

/// <summary>
/// The two activities of a durable run: a step of its decisions, and one work item through the activity pipeline. What
/// they hand to the orchestration goes into its history, so an event or work item larger than the engine's inline limit
/// (<see cref="EngineOptions.InlineValueLimitBytes"/>) travels as <c>{"ref": hash}</c> to its JSON in the artifact store,
/// like a large node value in the run's rows; the other activity reads it back.
/// </summary>
public sealed class FlowActivities(FlowEngine engine)
{
    /// <summary>The step activity's name in the task hub.</summary>
    public const string StepName = "FlowStep";

    /// <summary>The work item activity's name in the task hub.</summary>
    public const string ExecuteName = "FlowExecute";

    private const string Ref = "ref";

    /// <summary>
    /// Applies a step's events and commits them (<see cref="RunProcessor.ApplyDurableStepAsync"/>). Input:
    /// <c>{"runId","step","now","jitter","events":[...]}</c>; output: <c>{"effects":[...],"finished":bool,"traceparent"}</c> (the
    /// step's span, which the work it schedules carries), a large work item as
    /// <c>{"kind":"schedule","nodeId","attempt","incarnation","ref":hash}</c>.
    /// </summary>
    public async Task<JsonObject?> Step(JsonObject? input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var events = new List<Core.Runs.RunEvent>();
        foreach (var evt in input["events"]!.AsArray())
        {
            events.Add(RunJson.ReadEvent(await InlineAsync(evt!.AsObject())));
        }

        var (effects, finished, trace) = await engine.Processor.ApplyDurableStepAsync(
            input["runId"]!.GetValue<string>(),
            input["step"]!.GetValue<long>(),
            events,
            RunJson.ParseTime(input["now"]),
            input["jitter"]!.GetValue<double>(),
            CancellationToken.None);
        var forms = new JsonArray();
        foreach (var effect in effects)
        {
            forms.Add(effect["kind"]!.GetValue<string>() == "schedule" ? await OutOfLineAsync(effect, ["kind", "nodeId", "attempt", "incarnation"]) : effect.DeepClone());
        }

        return RunTrace.Write(new JsonObject { ["effects"] = forms, ["finished"] = finished }, trace);
    }

    /// <summary>
    /// Runs one work item (a work message of one item) through the activity executor, like a native worker: an item whose
    /// attempt is no longer the one its node waits for (cancelled, timed out, redriven) is not run, and while it runs its
    /// attempt is checked again every third of <see cref="EngineOptions.WorkVisibility"/>, as a native worker's heartbeat
    /// does, and its handler is cancelled once it is superseded. Output: <c>{"event": {...}}</c> (or
    /// <c>{"event": {"ref": hash}}</c>), or <c>{}</c> for a superseded item.
    /// </summary>
    public async Task<JsonObject?> Execute(JsonObject? workMessage)
    {
        ArgumentNullException.ThrowIfNull(workMessage);
        var item = await InlineAsync(workMessage["items"]![0]!.AsObject());
        var request = RunJson.ReadWorkMessage(RunJson.WriteWorkMessage(workMessage["runId"]!.GetValue<string>(), [item], RunTrace.Read(workMessage)))[0];
        if (!await IsCurrentAsync(request, CancellationToken.None))
        {
            return [];
        }

        using var superseded = new CancellationTokenSource();
        using var finished = new CancellationTokenSource();
        var watch = WatchAttemptAsync(request, superseded, finished.Token);
        try
        {
            var outcome = await engine.Executor.ExecuteAsync(request, superseded.Token);
            return new JsonObject { ["event"] = await OutOfLineAsync(RunJson.WriteEvent(outcome.ToEvent(request)), []) };
        }
        catch (OperationCanceledException) when (superseded.IsCancellationRequested)
        {
            return [];
        }
        finally
        {
            await finished.CancelAsync();
            await watch;
        }
    }

    private async Task<bool> IsCurrentAsync(ActivityRequest request, CancellationToken ct) =>
        (await CurrentAttempts.FindAsync(engine.Store.Partitions, [request], ct)).Count > 0;

    /// <summary>Cancels <paramref name="superseded"/> when the run no longer waits for the request's attempt; ends with <paramref name="finished"/>.</summary>
    private async Task WatchAttemptAsync(ActivityRequest request, CancellationTokenSource superseded, CancellationToken finished)
    {
        try
        {
            while (true)
            {
                await Task.Delay(engine.Options.WorkVisibility / 3, engine.Time, finished);
                bool current;
                try
                {
                    current = await IsCurrentAsync(request, finished);
                }
                catch (Exception) when (!finished.IsCancellationRequested)
                {
                    // A failed or timed-out read (storage unreachable) must not fail or unwatch a handler: look again next time.
                    continue;
                }

                if (!current)
                {
                    await superseded.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The item finished.
        }
    }

    /// <summary><paramref name="value"/> itself when it is small, else its fields <paramref name="kept"/> and a reference to the whole.</summary>
    private async Task<JsonObject> OutOfLineAsync(JsonObject value, string[] kept)
    {
        var json = value.ToJsonString();
        if (Encoding.UTF8.GetByteCount(json) <= engine.Options.InlineValueLimitBytes)
        {
            return (JsonObject)value.DeepClone();
        }

        var reference = new JsonObject { [Ref] = await engine.Store.Artifacts.PutAsync(Encoding.UTF8.GetBytes(json), CancellationToken.None) };
        foreach (var field in kept)
        {
            reference[field] = value[field]?.DeepClone();
        }

        return reference;
    }

    private async Task<JsonObject> InlineAsync(JsonObject value)
    {
        if (value[Ref]?.GetValue<string>() is not { } hash)
        {
            return value;
        }

        var bytes = await engine.Store.Artifacts.GetAsync(hash, CancellationToken.None) ?? throw new InvalidDataException($"artifact {hash} of a durable run's history is missing");
        return JsonNode.Parse(bytes)!.AsObject();
    }
}
