using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>How a simulated run misbehaves.</summary>
/// <param name="RandomFailures">Activities also fail at random (transiently or permanently), not only <c>fail</c> nodes.</param>
/// <param name="MaxDispatches">The per-decision budget; small budgets force <see cref="Effect.ContinueRun"/>.</param>
/// <param name="NoiseRate">How often (out of 100 steps) a duplicate or stale event is delivered instead of real work.</param>
/// <param name="InlineRetries">Whether a work item may perform several executions (what <see cref="Effect.ScheduleActivity.MaxExecutions"/> allows).</param>
/// <param name="PatchRate">How often (out of 100 steps) a random graph patch (valid or not) arrives, at most <see cref="RunSimulator.MaxPatches"/> per run.</param>
internal sealed record SimulationOptions(bool RandomFailures, int MaxDispatches, int NoiseRate, bool InlineRetries, int PatchRate = 0)
{
    public static SimulationOptions Random(Random random) => new(
        random.Next(3) == 0,
        random.Next(3) == 0 ? 1 + random.Next(5) : int.MaxValue,
        random.Next(4) * 10,
        random.Next(2) == 0);

    public override string ToString() =>
        $"randomFailures={RandomFailures} maxDispatches={(MaxDispatches == int.MaxValue ? "unbounded" : MaxDispatches.ToString(CultureInfo.InvariantCulture))} noise={NoiseRate}% inlineRetries={InlineRetries} patches={PatchRate}%";
}

/// <summary>Why an event was delivered.</summary>
internal enum StepKind
{
    /// <summary>The <see cref="RunEvent.RunStarted"/>.</summary>
    Start,

    /// <summary>The result of outstanding work (an activity, a timer, a continuation).</summary>
    Work,

    /// <summary>An event delivered before, delivered again.</summary>
    Duplicate,

    /// <summary>A result for work that is no longer outstanding (completed, cancelled, or an older attempt).</summary>
    Stale,

    /// <summary>A random graph patch (applied or refused by the decision function).</summary>
    Patch,
}

/// <summary>One decision: the state before, the event, the context and what Decide returned.</summary>
internal sealed record SimulationStep(StepKind Kind, RunState? Before, RunEvent Event, DecisionContext Context, Decision Decision);

/// <summary>
/// Drives <see cref="RunDecider.Decide"/> to completion the way an engine would, with a seeded scheduler picking which
/// outstanding work item finishes next. Activities behave like the real executor (echo returns its input; <c>fail</c>
/// honours <c>times</c>, <c>message</c> and <c>output</c>), timers fire, cancelled work disappears, continuations are
/// delivered. Noise (duplicates, stale results) is mixed in. Every step is recorded for the properties to check.
/// </summary>
internal sealed class RunSimulator
{
    public const int MaxSteps = 20_000;

    public const int MaxPatches = 8;

    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FlowSpec _spec;
    private readonly JsonObject? _specSource;
    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly List<Effect> _outstanding = [];
    private readonly List<Effect> _retired = [];
    private readonly List<RunEvent> _delivered = [];
    private readonly List<SimulationStep> _steps = [];
    private readonly HashSet<string> _disturbed = new(StringComparer.Ordinal);
    private DateTimeOffset _now = Epoch;
    private int _patches;

    public RunSimulator(FlowSpec spec, int seed, SimulationOptions options, JsonObject? specSource = null)
    {
        _spec = spec;
        _specSource = specSource;
        _options = options;
        _random = new Random(seed);
    }

    /// <summary>Every decision, in order.</summary>
    public IReadOnlyList<SimulationStep> Steps => _steps;

    /// <summary>Nodes (and map children) that failed for a reason other than their own <c>fail</c> settings: an injected failure or a timeout.</summary>
    public IReadOnlySet<string> Disturbed => _disturbed;

    /// <summary>The last state.</summary>
    public RunState State => _steps[^1].Decision.State;

    /// <summary>Runs until the run is terminal, nothing is outstanding, or <see cref="MaxSteps"/> decisions were made.</summary>
    public RunSimulator Run()
    {
        Deliver(StepKind.Start, null, new RunEvent.RunStarted("run-1", _spec, null, _specSource));
        while (!State.IsTerminal && _steps.Count < MaxSteps)
        {
            // Drawn only when patches are on, so the runs of the other properties stay what their seeds made them.
            if (_options.PatchRate > 0 && _patches < MaxPatches && _random.Next(100) < _options.PatchRate)
            {
                _patches++;
                Deliver(StepKind.Patch, State, new RunEvent.GraphPatchRequested(RandomPatch(), "simulator"));
                continue;
            }

            if (_random.Next(100) < _options.NoiseRate && TryNoise())
            {
                continue;
            }

            if (_outstanding.Count == 0)
            {
                return this;
            }

            var item = PickOutstanding();
            _outstanding.Remove(item);
            _retired.Add(item);
            switch (item)
            {
                case Effect.ScheduleActivity activity:
                    Deliver(StepKind.Work, State, Execute(activity));
                    break;
                case Effect.ArmTimer timer:
                    _now = timer.DueAt > _now ? timer.DueAt : _now;
                    if (timer.Purpose == TimerPurpose.AttemptTimeout)
                    {
                        _disturbed.Add(timer.NodeId);
                    }

                    Deliver(StepKind.Work, State, new RunEvent.TimerFired(timer.NodeId, timer.Attempt, timer.Incarnation, timer.Purpose));
                    break;
                case Effect.ContinueRun:
                    Deliver(StepKind.Work, State, new RunEvent.ContinueRequested());
                    break;
            }
        }

        return this;
    }

    /// <summary>A human-readable trace of the run, for failure messages.</summary>
    public string Trace()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"options: {_options}");
        foreach (var step in _steps.TakeLast(60))
        {
            var evt = step.Event is RunEvent.RunStarted ? "RunStarted" : step.Event.ToString();
            text.AppendLine(CultureInfo.InvariantCulture, $"[{step.Kind}] {evt} -> {step.Decision.State.Status}; effects: {string.Join(", ", step.Decision.Effects.Select(RunText.Describe))}");
        }

        text.AppendLine("final nodes:");
        foreach (var node in State.Nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {node.Id}: {node.Status} attempts={node.Attempts} error={node.Error?.Message} reason={node.Reason}");
        }

        return text.ToString();
    }

    private void Deliver(StepKind kind, RunState? before, RunEvent evt)
    {
        _now = _now.AddMilliseconds(10);
        var context = new DecisionContext(_now, _random.NextDouble(), _options.MaxDispatches);
        var decision = RunDecider.Decide(before, evt, context);
        _steps.Add(new SimulationStep(kind, before, evt, context, decision));
        if (kind == StepKind.Work || kind == StepKind.Start)
        {
            _delivered.Add(evt);
        }

        foreach (var effect in decision.Effects)
        {
            switch (effect)
            {
                case Effect.ScheduleActivity or Effect.ArmTimer or Effect.ContinueRun:
                    _outstanding.Add(effect);
                    break;
                case Effect.CancelActivity cancel:
                    var cancelled = _outstanding.OfType<Effect.ScheduleActivity>()
                        .Where(a => a.NodeId == cancel.NodeId && a.Attempt == cancel.Attempt && a.Incarnation == cancel.Incarnation)
                        .ToList();
                    foreach (var activity in cancelled)
                    {
                        _outstanding.Remove(activity);
                        _retired.Add(activity);
                    }

                    break;
            }
        }
    }

    /// <summary>Activities finish more often than timers fire, and timeouts least often, so that most runs do useful work.</summary>
    private Effect PickOutstanding()
    {
        static int Weight(Effect e) => e switch
        {
            Effect.ScheduleActivity => 6,
            Effect.ArmTimer { Purpose: TimerPurpose.AttemptTimeout } => 1,
            _ => 3,
        };

        var total = _outstanding.Sum(Weight);
        var pick = _random.Next(total);
        foreach (var effect in _outstanding)
        {
            pick -= Weight(effect);
            if (pick < 0)
            {
                return effect;
            }
        }

        return _outstanding[^1];
    }

    /// <summary>Delivers a duplicate of an earlier event or a result for retired work; false when there is none to deliver.</summary>
    private bool TryNoise()
    {
        if (_random.Next(2) == 0)
        {
            var candidates = _delivered.Where(e => e is not RunEvent.RunStarted).ToList();
            if (candidates.Count == 0)
            {
                return false;
            }

            Deliver(StepKind.Duplicate, State, candidates[_random.Next(candidates.Count)]);
            return true;
        }

        if (_retired.Count == 0)
        {
            return false;
        }

        // A late result of work that is gone: from the item itself, or from an older attempt or another incarnation of it.
        var retired = _retired[_random.Next(_retired.Count)];
        var shift = _random.Next(3) switch
        {
            0 => (Attempt: 0, Incarnation: 0),
            1 => (Attempt: -1, Incarnation: 0),
            _ => (Attempt: 0, Incarnation: 1),
        };
        RunEvent? stale = retired switch
        {
            Effect.ScheduleActivity a => _random.Next(2) == 0
                ? new RunEvent.ActivitySucceeded(a.NodeId, a.Attempt + shift.Attempt, a.Incarnation + shift.Incarnation, JsonValue.Create("stale"))
                : new RunEvent.ActivityFailed(a.NodeId, a.Attempt + shift.Attempt, a.Incarnation + shift.Incarnation, "stale failure", ErrorClass.Transient),
            Effect.ArmTimer t => new RunEvent.TimerFired(t.NodeId, t.Attempt + shift.Attempt, t.Incarnation + shift.Incarnation, t.Purpose),
            _ => null,
        };
        if (stale is null)
        {
            return false;
        }

        Deliver(StepKind.Stale, State, stale);
        return true;
    }

    /// <summary>
    /// One to three random operations over the current graph: new echo nodes needing random nodes (and sometimes needed by
    /// one), edges between random nodes (which may close a cycle or give a started node new needs), removed edges and
    /// nodes, updated <c>with</c>s. Many are invalid; the decision function must refuse those whole.
    /// </summary>
    private GraphPatch RandomPatch()
    {
        var ids = State.Spec.Nodes.Select(n => n.Id).ToList();
        string Any() => ids[_random.Next(ids.Count)];
        var operations = new JsonArray();
        for (var i = _random.Next(1, 4); i > 0; i--)
        {
            switch (_random.Next(6))
            {
                case 0 or 1:
                    var id = $"p{_patches}x{i}";
                    var needs = new JsonArray([.. ids.Where(_ => _random.Next(4) == 0).Select(n => (JsonNode)n)]);
                    operations.Add(new JsonObject { ["op"] = "addNode", ["node"] = new JsonObject { ["id"] = id, ["type"] = "echo", ["needs"] = needs, ["with"] = id } });
                    if (_random.Next(3) == 0)
                    {
                        operations.Add(new JsonObject { ["op"] = "addEdge", ["from"] = id, ["to"] = Any() });
                    }

                    ids.Add(id);
                    break;
                case 2:
                    operations.Add(new JsonObject { ["op"] = "addEdge", ["from"] = Any(), ["to"] = Any() });
                    break;
                case 3:
                    var edges = State.Spec.Nodes.SelectMany(n => n.Needs.Select(need => (From: need, To: n.Id))).ToList();
                    if (edges.Count > 0)
                    {
                        var (from, to) = edges[_random.Next(edges.Count)];
                        operations.Add(new JsonObject { ["op"] = "removeEdge", ["from"] = from, ["to"] = to });
                    }

                    break;
                case 4:
                    operations.Add(new JsonObject { ["op"] = "removeNode", ["id"] = Any() });
                    break;
                default:
                    operations.Add(new JsonObject { ["op"] = "updateNode", ["id"] = Any(), ["with"] = new JsonObject { ["v"] = _random.Next(100) } });
                    break;
            }
        }

        if (operations.Count == 0)
        {
            operations.Add(new JsonObject { ["op"] = "updateNode", ["id"] = Any(), ["with"] = "touched" });
        }

        var document = new JsonObject { ["reason"] = "random", ["operations"] = operations };
        if (_random.Next(4) == 0)
        {
            document["expectedRevision"] = Math.Max(1, State.GraphRevision - _random.Next(2));
        }

        var (patch, errors) = GraphPatch.Parse(document);
        return patch ?? throw new InvalidOperationException($"the simulator built an unparsable patch: {string.Join("; ", errors)}\n{document}");
    }

    /// <summary>What the executor would report for a work item: one execution, or several when inline retries are on.</summary>
    private RunEvent Execute(Effect.ScheduleActivity activity)
    {
        var executions = _options.InlineRetries ? activity.MaxExecutions : 1;
        string? message = null;
        var errorClass = ErrorClass.Transient;
        for (var i = 0; i < executions; i++)
        {
            var execution = activity.Attempt + i;
            if (_options.RandomFailures && _random.Next(5) == 0)
            {
                _disturbed.Add(activity.NodeId);
                errorClass = _random.Next(2) == 0 ? ErrorClass.Transient : ErrorClass.Permanent;
                message = $"injected {errorClass} failure";
                if (errorClass == ErrorClass.Permanent)
                {
                    return new RunEvent.ActivityFailed(activity.NodeId, activity.Attempt, activity.Incarnation, message, errorClass, i + 1);
                }

                continue;
            }

            if (activity.NodeType == "fail")
            {
                var with = activity.Input as JsonObject;
                // Read the number from its JSON text: the YAML reader may hold it as a long, a decimal or a double.
                var times = with?["times"] is JsonValue t && int.TryParse(t.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : (int?)null;
                if (times is null || execution <= times)
                {
                    message = with?["message"] is JsonValue m && m.TryGetValue<string>(out var s) ? s : "fail node failed";
                    errorClass = ErrorClass.Transient;
                    continue;
                }

                return new RunEvent.ActivitySucceeded(activity.NodeId, activity.Attempt, activity.Incarnation, with?["output"]?.DeepClone(), i + 1);
            }

            return new RunEvent.ActivitySucceeded(activity.NodeId, activity.Attempt, activity.Incarnation, activity.Input?.DeepClone(), i + 1);
        }

        return new RunEvent.ActivityFailed(activity.NodeId, activity.Attempt, activity.Incarnation, message ?? "failed", errorClass, executions);
    }
}

/// <summary>Canonical text of states and effects: records hold JSON nodes and immutable collections, whose equality is by reference.</summary>
internal static class RunText
{
    public static string Describe(RunState state)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{state.Status}|{state.Reason}|{state.TerminalNodes}|{string.Join(",", state.Dispatchable)}|{state.CompletedAt:O}|{state.Outputs?.ToJsonString()}|rev{state.GraphRevision}\n");
        foreach (var node in state.Nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal))
        {
            text.Append(Describe(node)).Append('\n');
        }

        return text.ToString();
    }

    public static string Describe(NodeState node)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{node.Id}|{node.Status}|{node.Attempts}|{node.Attempt}|{node.Incarnation}|{node.OpenNeeds}|{node.UnsuccessfulNeeds}|{node.Input?.ToJsonString()}|{node.Output?.ToJsonString()}|{node.Error}|{node.Reason}|{node.StartedAt:O}|{node.CompletedAt:O}");
        if (node.Map is { } map)
        {
            text.Append(CultureInfo.InvariantCulture, $"|map {string.Join(",", map.Items.Select(i => i?.ToJsonString()))} next={map.NextIndex} active={map.Active}");
            foreach (var (index, child) in map.Children.OrderBy(c => c.Key))
            {
                text.Append(CultureInfo.InvariantCulture, $"\n  [{index}] {Describe(child)}");
            }
        }

        return text.ToString();
    }

    public static string Describe(Effect effect) => effect switch
    {
        Effect.ScheduleActivity a => $"Schedule({a.NodeId},{a.NodeType},a{a.Attempt},i{a.Incarnation},{a.Input?.ToJsonString()},{a.Retry},max{a.MaxExecutions},{a.Timeout})",
        Effect.CompleteRun c => $"Complete({c.Status},{c.Outputs?.ToJsonString()},{c.Error})",
        _ => effect.ToString(),
    };
}
