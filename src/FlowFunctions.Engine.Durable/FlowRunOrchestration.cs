using System.Diagnostics;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;
using Microsoft.DurableTask;

namespace FlowFunctions.Engine.Durable;

/// <summary>
/// The one orchestration of a durable run. It owns no graph logic: every step hands the events it collected (activity
/// results, timers, raised events and commands) to <see cref="FlowActivities.Step"/>, which applies them with
/// <see cref="RunDecider.Decide"/> at this orchestration's replay-safe time and jitter and commits them to the run's
/// partition, and it carries out the effects that come back: activities become activity calls, timers durable timers.
/// History holds events and effects, never the run's state; after <see cref="DurableRunOptions.ContinueAsNewAfter"/>
/// activities and timers it drains its activities and continues as new, carrying the work it held back and its timers.
/// </summary>
public sealed class FlowRunOrchestration
{
    /// <summary>The orchestration's name in the task hub.</summary>
    public const string Name = "FlowRun";

    /// <summary>The external event every command and raised event of a run arrives as (its data: the event's JSON).</summary>
    public const string EventName = "flow";

    private readonly TaskOrchestrationContext _context;
    private readonly DurableRunOptions _options;
    private readonly List<(Task<JsonObject> Task, JsonObject Work)> _activities = [];
    private readonly List<(Task Task, JsonObject Timer)> _timers = [];
    private readonly List<JsonObject> _held = [];
    /// <summary>The next step's events in their JSON forms (a large one as a reference: the orchestration never reads them).</summary>
    private readonly List<JsonObject> _events = [];
    private Task<string>? _external;

    /// <summary>Whether the last step left the run finished, and the status its completion reported.</summary>
    private bool _finished;
    private string? _status;
    private int _started;

    /// <summary>The trace context of the last step's span, which the work it scheduled carries (none in histories written before).</summary>
    private ActivityContext _trace;

    private FlowRunOrchestration(TaskOrchestrationContext context, DurableRunOptions options)
    {
        _context = context;
        _options = options;
    }

    /// <summary>Runs a generation of the orchestration; the input is <see cref="Generation"/>'s JSON text.</summary>
    public static async Task<string?> RunAsync(TaskOrchestrationContext context, string? input, DurableRunOptions options) =>
        await new FlowRunOrchestration(context, options).RunAsync(Generation.Parse(input ?? throw new ArgumentNullException(nameof(input))));

    private async Task<string> RunAsync(Generation generation)
    {
        var runId = generation.RunId;
        var step = generation.Step;
        _trace = generation.Trace;
        _events.AddRange(generation.Events.Select(RunJson.WriteEvent));
        if (_events.Count > 0)
        {
            step++;
        }

        var effects = generation.Carried ?? await StepAsync(runId, step);
        _external = _context.WaitForExternalEvent<string>(EventName);
        while (true)
        {
            foreach (var effect in effects)
            {
                if (Carry(runId, effect) is { } status)
                {
                    _status = status;
                }
            }

            // A finished run's orchestration ends once nothing of it is in flight; an event that arrived meanwhile (a
            // redrive racing the end) is applied first, and may start the run again.
            if (_finished && _events.Count == 0 && _activities.Count == 0 && !_external.IsCompleted)
            {
                return _status ?? "finished";
            }

            var draining = _started >= _options.ContinueAsNewAfter;
            if (_events.Count == 0 && draining && _activities.Count == 0 && !AnyCompleted())
            {
                _context.ContinueAsNew(new Generation(runId, step, [.. _held, .. _timers.Select(t => t.Timer)]) { Trace = _trace }.ToJson(), preserveUnprocessedEvents: true);
                return "continued";
            }

            if (_events.Count == 0)
            {
                await Task.WhenAny([.. _activities.Select(a => (Task)a.Task), .. _timers.Select(t => t.Task), _external]);
            }

            await CollectAsync();
            step++;
            effects = await StepAsync(runId, step);
        }
    }

    /// <summary>Starts what an effect asks for; returns the run's final status when the effect completes it.</summary>
    private string? Carry(string runId, JsonObject effect)
    {
        switch (effect["kind"]!.GetValue<string>())
        {
            case "schedule" when _started >= _options.ContinueAsNewAfter:
                _held.Add(effect);
                break;
            case "schedule":
                _started++;
                _activities.Add((_context.CallActivityAsync<JsonObject>(FlowActivities.ExecuteName, RunJson.WriteWorkMessage(runId, [effect], _trace)), effect));
                break;
            case "timer":
                _started++;
                _timers.Add((_context.CreateTimer(RunJson.ParseTime(effect["dueAt"]).UtcDateTime, CancellationToken.None), effect));
                break;
            case "continue":
                _events.Add(RunJson.WriteEvent(new RunEvent.ContinueRequested()));
                break;
            case "complete":
                return effect["status"]!.GetValue<string>();

            // "cancel": an activity call cannot be recalled; its result no longer applies when it arrives, and an activity
            // that has not started yet finds its attempt superseded and does not run the handler (FlowActivities.Execute).
        }

        return null;
    }

    /// <summary>Takes the results of everything that finished into the next step's events.</summary>
    private async Task CollectAsync()
    {
        foreach (var done in _activities.Where(a => a.Task.IsCompleted).ToList())
        {
            _activities.Remove(done);
            if (await ResultAsync(done) is { } evt)
            {
                _events.Add(evt);
            }
        }

        foreach (var fired in _timers.Where(t => t.Task.IsCompleted).ToList())
        {
            _timers.Remove(fired);
            var t = fired.Timer;
            _events.Add(RunJson.WriteEvent(new RunEvent.TimerFired(t["nodeId"]!.GetValue<string>(), t["attempt"]!.GetValue<int>(), t["incarnation"]!.GetValue<int>(), Enum.Parse<TimerPurpose>(t["purpose"]!.GetValue<string>()))));
        }

        while (_external!.IsCompleted)
        {
            _events.Add(JsonNode.Parse(await _external)!.AsObject());
            _external = _context.WaitForExternalEvent<string>(EventName);
        }
    }

    /// <summary>An activity's run event, or null when the work item was superseded before it ran.</summary>
    private static async Task<JsonObject?> ResultAsync((Task<JsonObject> Task, JsonObject Work) done)
    {
        try
        {
            return (await done.Task)["event"]?.AsObject();
        }
        catch (TaskFailedException ex)
        {
            // The activity itself failed (not the handler: the executor reports those as outcomes), e.g. the store was
            // unreachable. Reported as a transient failure of the attempt, which the node's retry policy handles.
            var w = done.Work;
            return RunJson.WriteEvent(new RunEvent.ActivityFailed(w["nodeId"]!.GetValue<string>(), w["attempt"]!.GetValue<int>(), w["incarnation"]!.GetValue<int>(), $"activity failed: {ex.FailureDetails.ErrorMessage}", ErrorClass.Transient));
        }
    }

    private bool AnyCompleted() => _external!.IsCompleted || _timers.Any(t => t.Task.IsCompleted);

    private async Task<IReadOnlyList<JsonObject>> StepAsync(string runId, long step)
    {
        var input = new JsonObject
        {
            ["runId"] = runId,
            ["step"] = step,
            ["now"] = RunJson.Time(new DateTimeOffset(_context.CurrentUtcDateTime, TimeSpan.Zero)),
            ["jitter"] = Jitter(_context.NewGuid()),
            ["events"] = new JsonArray([.. _events.Select(e => (JsonNode)e.DeepClone())]),
        };
        _events.Clear();
        var result = await _context.CallActivityAsync<JsonObject>(FlowActivities.StepName, input);
        _finished = result["finished"]?.GetValue<bool>() ?? false;
        _trace = RunTrace.Read(result);
        if (!_finished)
        {
            _status = null;
        }

        return [.. result["effects"]!.AsArray().Select(e => e!.AsObject())];
    }

    /// <summary>A number in [0, 1) from a replay-safe id.</summary>
    private static double Jitter(Guid id) => (BitConverter.ToUInt64(id.ToByteArray(), 0) >> 11) / (double)(1UL << 53);

    /// <summary>What a generation of the orchestration starts from: the run, its next step and the work carried over.</summary>
    /// <param name="RunId">The run (also the orchestration's instance id).</param>
    /// <param name="Step">The last step committed (0, the run's start, for a new run; a new run's first step answers its start's effects).</param>
    /// <param name="Carried">Effects to carry out before the next step (held work and unfired timers); null for a new run.</param>
    internal sealed record Generation(string RunId, long Step, IReadOnlyList<JsonObject>? Carried)
    {
        /// <summary>Events to apply as the generation's first step (the redrive that restarts a finished run's orchestration).</summary>
        public IReadOnlyList<RunEvent> Events { get; init; } = [];

        /// <summary>The trace context the carried work runs under (the span of the step that scheduled it).</summary>
        public ActivityContext Trace { get; init; }

        public static Generation Parse(string json)
        {
            var o = JsonNode.Parse(json)!.AsObject();
            return new Generation(o["runId"]!.GetValue<string>(), o["step"]!.GetValue<long>(), o["carried"] is JsonArray carried ? [.. carried.Select(e => e!.AsObject())] : null)
            {
                Events = o["events"] is JsonArray events ? [.. events.Select(e => RunJson.ReadEvent(e!.AsObject()))] : [],
                Trace = RunTrace.Read(o),
            };
        }

        public string ToJson() => RunTrace.Write(new JsonObject
        {
            ["runId"] = RunId,
            ["step"] = Step,
            ["carried"] = Carried is null ? null : new JsonArray([.. Carried.Select(e => (JsonNode)e.DeepClone())]),
            ["events"] = Events.Count == 0 ? null : new JsonArray([.. Events.Select(e => (JsonNode)RunJson.WriteEvent(e))]),
        }, Trace).ToJsonString();
    }
}
