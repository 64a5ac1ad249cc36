using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;
using FlowFunctions.Core.Graph;
using FlowFunctions.Core.Reducers;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Runs;

/// <summary>
/// The working set of one decision: mutable builders over an immutable <see cref="RunState"/>, the effects emitted
/// so far and the remaining budget. Everything is incremental (need counters, a sorted dispatch set, a work list
/// for propagation), so one event costs in proportion to what it changes, not to the size of the run.
/// </summary>
internal sealed class RunTransition
{
    private readonly RunState _original;
    private readonly DecisionContext _context;
    private readonly RunGraph _graph;
    private readonly ImmutableDictionary<string, NodeState>.Builder _nodes;
    private readonly ImmutableSortedSet<int>.Builder _dispatchable;
    private readonly List<Effect> _effects = [];
    private readonly Queue<int> _settled = new();
    private readonly List<NodeTransition> _transitions = [];
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private int _terminalNodes;
    private int _budget;
    private RunStatus _status;
    private string? _reason;
    private DateTimeOffset? _completedAt;
    private JsonObject? _outputs;
    private ImmutableDictionary<string, JsonNode> _overrides;
    private ImmutableDictionary<string, ImmutableList<JsonNode?>> _pendingEvents;
    private ImmutableHashSet<string> _seenEventIds;
    private readonly List<string> _notes = [];

    public RunTransition(RunState state, DecisionContext context)
    {
        _original = state;
        _context = context;
        _graph = RunGraph.Of(state.Spec);
        _nodes = state.Nodes.ToBuilder();
        _dispatchable = state.Dispatchable.ToBuilder();
        _terminalNodes = state.TerminalNodes;
        _budget = context.MaxDispatches;
        _status = state.Status;
        _reason = state.Reason;
        _completedAt = state.CompletedAt;
        _outputs = state.Outputs;
        _overrides = state.WithOverrides;
        _pendingEvents = state.PendingEvents;
        _seenEventIds = state.SeenEventIds;
    }

    private FlowSpec Spec => _original.Spec;

    private DateTimeOffset Now => _context.Now;

    public static Decision Start(RunEvent.RunStarted started, DecisionContext context)
    {
        var (inputs, errors) = InputBinder.Bind(started.Spec, started.Inputs);
        var nodes = started.Spec.Nodes.ToImmutableDictionary(
            n => n.Id,
            n => new NodeState { Id = n.Id, OpenNeeds = n.Needs.Length },
            StringComparer.Ordinal);
        var state = new RunState
        {
            RunId = started.RunId,
            Spec = started.Spec,
            SpecSource = started.SpecSource,
            Inputs = inputs,
            StartedAt = context.Now,
            Nodes = nodes,
        };
        var transition = new RunTransition(state, context);
        if (!errors.IsEmpty)
        {
            transition.EndRun(RunStatus.Failed, "invalid inputs: " + string.Join("; ", errors));
        }
        else
        {
            for (var i = 0; i < started.Spec.Nodes.Length; i++)
            {
                if (started.Spec.Nodes[i].Needs.IsEmpty)
                {
                    transition.Evaluate(i);
                }
            }

            transition.Settle();
        }

        return transition.Finish();
    }

    /// <summary>Applies <paramref name="evt"/>; false when it no longer applies (a duplicate, a late result, a stale timer).</summary>
    public bool Apply(RunEvent evt)
    {
        var applied = true;
        switch (evt)
        {
            case RunEvent.ActivitySucceeded e:
                applied = OnActivityResult(e.NodeId, e.Attempt, e.Incarnation, (state, template) => state with
                {
                    Status = e.FromCache ? NodeStatus.Cached : NodeStatus.Succeeded,
                    Attempts = state.Attempts + e.Executions,
                    Output = e.Output?.DeepClone(),
                    Error = null,
                    Reason = e.FromCache ? "output from the step cache" : null,
                    CompletedAt = Now,
                });
                break;
            case RunEvent.ActivityFailed e:
                applied = OnActivityResult(e.NodeId, e.Attempt, e.Incarnation, (state, retry) =>
                    Failed(state with { Attempts = state.Attempts + e.Executions }, e.Message, e.Class, retry, e.Kind, e.Status, e.RetryAfter));
                break;
            case RunEvent.ActivityParked e:
                applied = OnActivityResult(e.NodeId, e.Attempt, e.Incarnation, (state, _) => Parked(state with { Attempts = state.Attempts + e.Executions }, e));
                break;
            case RunEvent.TimerFired e:
                applied = OnTimer(e);
                break;
            case RunEvent.NodeCancelRequested e:
                applied = OnNodeCancel(e.NodeId, e.Reason);
                break;
            case RunEvent.RunCancelRequested e:
                EndRun(RunStatus.Cancelled, e.Reason ?? "cancelled");
                break;
            case RunEvent.RunTerminateRequested e:
                _notes.Add("terminated" + (e.Reason is null ? "" : ": " + e.Reason));
                EndRun(RunStatus.Cancelled, "terminated: " + (e.Reason ?? "terminated"));
                break;
            case RunEvent.RunPauseRequested:
                _status = RunStatus.Paused;
                _reason = "paused; resume it to go on";
                _notes.Add("paused");
                break;
            case RunEvent.RunResumeRequested:
                _status = RunStatus.Running;
                _reason = null;
                _notes.Add("resumed");
                break;
            case RunEvent.NodeRedriveRequested e:
                OnRedrive(e);
                break;
            case RunEvent.ExternalEventRaised e:
                applied = OnExternalEvent(e);
                break;
            case RunEvent.ContinueRequested:
                break;
        }

        Settle();
        return applied;
    }

    public Decision Finish()
    {
        if (_status == RunStatus.Running)
        {
            Dispatch();
            Settle();
            if (_status == RunStatus.Running && _terminalNodes == _graph.Nodes.Length)
            {
                CompleteSucceeded();
            }
        }

        var state = _original with
        {
            Nodes = _nodes.ToImmutable(),
            Dispatchable = _dispatchable.ToImmutable(),
            TerminalNodes = _terminalNodes,
            Status = _status,
            Reason = _reason,
            CompletedAt = _completedAt,
            Outputs = _outputs,
            WithOverrides = _overrides,
            PendingEvents = _pendingEvents,
            SeenEventIds = _seenEventIds,
        };
        return new Decision(state, _effects) { Transitions = _transitions, ChangedNodes = _changed, RunNotes = _notes };
    }

    // ---- events ----

    /// <summary>Applies an activity result if it belongs to the attempt in flight; <paramref name="update"/> gets the retry policy that governs the node.</summary>
    private bool OnActivityResult(string nodeId, int attempt, int incarnation, Func<NodeState, RetryPolicy, NodeState> update)
    {
        if (MapChildId.TryParse(nodeId, out var mapId, out var childIndex))
        {
            var mapIndex = _graph.IndexOf(mapId);
            if (mapIndex >= 0 && ChildOf(mapIndex, childIndex) is { Status: NodeStatus.Running } child
                && child.Attempt == attempt && child.Incarnation == incarnation && _graph.Nodes[mapIndex].Map!.Template.Kind == NodeKind.Activity)
            {
                ChildUpdated(mapIndex, childIndex, update(child, _graph.Nodes[mapIndex].Map!.Template.Retry));
                return true;
            }

            return false;
        }

        var index = _graph.IndexOf(nodeId);
        if (index >= 0 && _nodes[nodeId] is { Status: NodeStatus.Running } node && node.Attempt == attempt
            && node.Incarnation == incarnation && _graph.Nodes[index].Kind == NodeKind.Activity)
        {
            NodeUpdated(index, update(node, _graph.Nodes[index].Retry));
            return true;
        }

        return false;
    }

    private bool OnTimer(RunEvent.TimerFired e)
    {
        if (MapChildId.TryParse(e.NodeId, out var mapId, out var childIndex))
        {
            var mapIndex = _graph.IndexOf(mapId);
            if (mapIndex >= 0 && ChildOf(mapIndex, childIndex) is { } child && child.Attempt == e.Attempt && child.Incarnation == e.Incarnation)
            {
                var template = _graph.Nodes[mapIndex].Map!.Template;
                if (e.Purpose is TimerPurpose.RetryBackoff or TimerPurpose.BreakerHalfOpen && child.Status == NodeStatus.Waiting)
                {
                    _budget--;
                    ChildUpdated(mapIndex, childIndex, StartChildAttempt(mapIndex, childIndex, child));
                    return true;
                }
                else if (e.Purpose == TimerPurpose.AttemptTimeout && child.Status == NodeStatus.Running)
                {
                    _effects.Add(new Effect.CancelActivity(child.Id, child.Attempt, child.Incarnation));
                    ChildUpdated(mapIndex, childIndex, Failed(child with { Attempts = child.Attempts + 1 }, TimedOut(template.Timeout), ErrorClass.Transient, template.Retry, ErrorKind.Timeout));
                    return true;
                }
            }

            return false;
        }

        var index = _graph.IndexOf(e.NodeId);
        // A deadline timer holds for every attempt of its incarnation; every other timer only for its own attempt.
        if (index < 0 || _nodes[e.NodeId] is not { } node || node.Incarnation != e.Incarnation
            || (node.Attempt != e.Attempt && e.Purpose != TimerPurpose.Deadline))
        {
            return false;
        }

        var spec = _graph.Nodes[index];
        switch (e.Purpose)
        {
            case TimerPurpose.RetryBackoff when node.Status == NodeStatus.Waiting && spec.Kind is not (NodeKind.Timer or NodeKind.Event):
                NodeUpdated(index, node with { Status = NodeStatus.Ready, Reason = $"retry {node.Attempts + 1} of {spec.Retry.MaxAttempts}" });
                return true;
            case TimerPurpose.Delay when node.Status == NodeStatus.Waiting && spec.Kind == NodeKind.Timer:
                NodeUpdated(index, node with { Status = NodeStatus.Succeeded, Output = node.Input?.DeepClone(), Reason = null, CompletedAt = Now });
                return true;
            case TimerPurpose.BreakerHalfOpen when node.Status == NodeStatus.Waiting && spec.Kind == NodeKind.Activity:
                NodeUpdated(index, node with { Status = NodeStatus.Ready });
                return true;
            case TimerPurpose.AttemptTimeout when node.Status == NodeStatus.Running && spec.Kind == NodeKind.Activity:
                _effects.Add(new Effect.CancelActivity(node.Id, node.Attempt, node.Incarnation));
                NodeUpdated(index, Failed(node with { Attempts = node.Attempts + 1 }, TimedOut(spec.Timeout), ErrorClass.Transient, spec.Retry, ErrorKind.Timeout));
                return true;
            case TimerPurpose.Deadline when !node.Status.IsTerminal() && spec.Kind == NodeKind.Activity && spec.Deadline is { } deadline:
                NodeUpdated(index, DeadlineExceeded(node, deadline));
                return true;
            case TimerPurpose.EventTimeout when node.Status == NodeStatus.Waiting && spec.Kind == NodeKind.Event:
                var (eventName, timeout, _) = WaitOf(node);
                NodeUpdated(index, Failed(node, $"no '{eventName}' event within {Duration.Format(timeout ?? TimeSpan.Zero)}", ErrorClass.Permanent, RetryPolicy.None));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Delivers an external event to every node waiting for it, or keeps it for the next node that waits for it.</summary>
    private bool OnExternalEvent(RunEvent.ExternalEventRaised e)
    {
        if (e.EventId is { } id)
        {
            if (_seenEventIds.Contains(id))
            {
                return false;
            }

            _seenEventIds = _seenEventIds.Add(id);
        }

        var delivered = false;
        for (var i = 0; i < _graph.Nodes.Length; i++)
        {
            var spec = _graph.Nodes[i];
            if (spec.Kind == NodeKind.Event && _nodes[spec.Id] is { Status: NodeStatus.Waiting } node && WaitOf(node).Event == e.Name)
            {
                Deliver(i, node, e.Payload);
                delivered = true;
            }
        }

        if (!delivered)
        {
            var queue = _pendingEvents.GetValueOrDefault(e.Name) ?? [];
            _pendingEvents = _pendingEvents.SetItem(e.Name, queue.Add(e.Payload?.DeepClone()));
        }

        return true;
    }

    private void Deliver(int index, NodeState node, JsonNode? payload)
    {
        var (eventName, _, required) = WaitOf(node);
        if (required.Count > 0)
        {
            var missing = payload is JsonObject obj ? required.Where(f => !obj.ContainsKey(f)).ToList() : required;
            if (missing.Count > 0)
            {
                var what = payload is JsonObject ? "lacks required field(s) " + string.Join(", ", missing.Select(f => $"'{f}'")) : $"is {InputTypes.Describe(payload)}, not an object with required field(s) " + string.Join(", ", missing.Select(f => $"'{f}'"));
                NodeUpdated(index, Failed(node, $"the '{eventName}' event payload {what}", ErrorClass.Permanent, RetryPolicy.None));
                return;
            }
        }

        NodeUpdated(index, node with { Status = NodeStatus.Succeeded, Output = payload?.DeepClone(), Reason = null, CompletedAt = Now });
    }

    /// <summary>A wait node's resolved <c>with</c>: event name, timeout and required fields.</summary>
    private static (string? Event, TimeSpan? Timeout, IReadOnlyList<string> Required) WaitOf(NodeState node)
    {
        var with = node.Input as JsonObject;
        var name = with?["event"] is JsonValue ev && ev.TryGetValue<string>(out var n) ? n : null;
        TimeSpan? timeout = with?["timeout"] is JsonValue tv && tv.TryGetValue<string>(out var t) && Duration.TryParse(t, out var d, out _) ? d : null;
        var required = with?["required"] is JsonArray list
            ? list.Select(x => x is JsonValue v && v.TryGetValue<string>(out var f) ? f : null).OfType<string>().ToList()
            : [];
        return (name, timeout, required);
    }

    private bool OnNodeCancel(string nodeId, string? reason)
    {
        var message = reason ?? "cancelled";
        if (MapChildId.TryParse(nodeId, out var mapId, out var childIndex))
        {
            var mapIndex = _graph.IndexOf(mapId);
            if (mapIndex >= 0 && ChildOf(mapIndex, childIndex) is { } child && !child.Status.IsTerminal())
            {
                ChildUpdated(mapIndex, childIndex, Cancelled(child, message));
                return true;
            }

            return false;
        }

        var index = _graph.IndexOf(nodeId);
        if (index >= 0 && !_nodes[nodeId].Status.IsTerminal())
        {
            CancelChildren(index, message);
            NodeUpdated(index, Cancelled(_nodes[nodeId], message));
            return true;
        }

        return false;
    }

    /// <summary>
    /// Redrives a Failed node (checked by <see cref="RunControl"/>): it, every node downstream of it that was skipped
    /// (or is still waiting on it), and, in a Failed run, every node the run's end cancelled, go back to Pending with a
    /// new incarnation and a fresh attempt budget; their need counters are recomputed and they are evaluated again.
    /// </summary>
    private void OnRedrive(RunEvent.NodeRedriveRequested e)
    {
        var wasFailedRun = _status == RunStatus.Failed;
        var endReason = _reason;
        var reopen = new SortedSet<int> { _graph.IndexOf(e.NodeId) };
        if (wasFailedRun)
        {
            for (var i = 0; i < _graph.Nodes.Length; i++)
            {
                if (_nodes[_graph.Nodes[i].Id] is { Status: NodeStatus.Cancelled } n && n.Reason == endReason)
                {
                    reopen.Add(i);
                }
            }
        }

        var work = new Queue<int>(reopen);
        while (work.Count > 0)
        {
            foreach (var dependent in _graph.DependentsOf(work.Dequeue()))
            {
                var status = _nodes[_graph.Nodes[dependent].Id].Status;
                if (status is NodeStatus.Skipped or NodeStatus.Pending or NodeStatus.Ready && reopen.Add(dependent))
                {
                    work.Enqueue(dependent);
                }
            }
        }

        if (e.With is not null)
        {
            _overrides = _overrides.SetItem(e.NodeId, e.With.DeepClone());
        }

        foreach (var index in reopen)
        {
            var node = _nodes[_graph.Nodes[index].Id];
            if (node.Status.IsTerminal())
            {
                _terminalNodes--;
            }

            _dispatchable.Remove(index);
            var reset = new NodeState
            {
                Id = node.Id,
                Incarnation = node.Incarnation + 1,
                Attempt = 0,
                Reason = index == _graph.IndexOf(e.NodeId) ? "redriven" : $"reopened by the redrive of '{e.NodeId}'",
            };
            Record(node, reset);
            Put(node.Id, reset);
        }

        foreach (var index in reopen)
        {
            var spec = _graph.Nodes[index];
            var open = 0;
            var unsuccessful = 0;
            foreach (var need in spec.Needs)
            {
                var status = _nodes[need].Status;
                open += status.IsTerminal() ? 0 : 1;
                unsuccessful += status.IsTerminal() && !status.IsSuccess() ? 1 : 0;
            }

            Put(spec.Id, _nodes[spec.Id] with { OpenNeeds = open, UnsuccessfulNeeds = unsuccessful });
        }

        // A run paused on this node's failure resumes; a run paused by someone stays paused until resumed.
        _notes.Add($"redrove '{e.NodeId}'" + (e.With is null ? "" : " with a new 'with'") + $"; {reopen.Count} node(s) pending again");
        if (wasFailedRun || (_status == RunStatus.Paused && _graph.Nodes[_graph.IndexOf(e.NodeId)].OnFailure == FailurePolicy.Pause && RunControl.PausingFailure(Snapshot()) is null))
        {
            _status = RunStatus.Running;
            _reason = null;
            _completedAt = null;
            _outputs = null;
        }

        foreach (var index in reopen)
        {
            Evaluate(index);
        }
    }

    /// <summary>After a graph patch (counters already recomputed): evaluates every pending node and propagates.</summary>
    public void AfterPatch(string note)
    {
        _notes.Add(note);
        for (var i = 0; i < _graph.Nodes.Length; i++)
        {
            Evaluate(i);
        }

        Settle();
    }

    private RunState Snapshot() => _original with { Nodes = _nodes.ToImmutable() };

    // ---- node transitions ----

    /// <summary>Stores a node's new state and, when it became terminal, queues its consequences.</summary>
    private void NodeUpdated(int index, NodeState state)
    {
        var id = _graph.Nodes[index].Id;
        var wasTerminal = _nodes[id].Status.IsTerminal();
        Record(_nodes[id], state);
        Put(id, state);
        if (state.Status is NodeStatus.Ready)
        {
            _dispatchable.Add(index);
        }
        else if (state.Status is not NodeStatus.Running)
        {
            _dispatchable.Remove(index);
        }

        if (state.Status.IsTerminal() && !wasTerminal)
        {
            _terminalNodes++;
            _settled.Enqueue(index);
        }
    }

    /// <summary>Propagates every terminal transition queued so far, breadth-first (no recursion, so a long chain of skips is safe).</summary>
    private void Settle()
    {
        while (_settled.Count > 0 && !_status.IsTerminal())
        {
            var index = _settled.Dequeue();
            var spec = _graph.Nodes[index];
            var node = _nodes[spec.Id];
            if (node.Status == NodeStatus.Failed && spec.OnFailure == FailurePolicy.Fail)
            {
                EndRun(RunStatus.Failed, $"node '{spec.Id}' failed: {node.Error?.Message}");
                return;
            }

            if (node.Status == NodeStatus.Failed && spec.OnFailure == FailurePolicy.Pause)
            {
                // Dependents stay Pending: a redrive of this node may still satisfy them.
                _status = RunStatus.Paused;
                _reason = $"node '{spec.Id}' failed: {node.Error?.Message}; redrive it or cancel the run";
                continue;
            }

            var succeeded = node.Status.IsSuccess();
            foreach (var dependent in _graph.DependentsOf(index))
            {
                var d = _nodes[_graph.Nodes[dependent].Id];
                Put(d.Id, d with
                {
                    OpenNeeds = d.OpenNeeds - 1,
                    UnsuccessfulNeeds = d.UnsuccessfulNeeds + (succeeded ? 0 : 1),
                });
                Evaluate(dependent);
            }
        }
    }

    /// <summary>Decides whether a pending node's trigger is satisfied (Ready), cannot be (Skipped), or must wait.</summary>
    private void Evaluate(int index)
    {
        var spec = _graph.Nodes[index];
        var node = _nodes[spec.Id];
        if (node.Status != NodeStatus.Pending)
        {
            return;
        }

        var allDone = node.OpenNeeds == 0;
        var (ready, skip) = spec.Trigger switch
        {
            NodeTrigger.AllSucceeded => (allDone && node.UnsuccessfulNeeds == 0, node.UnsuccessfulNeeds > 0),
            NodeTrigger.AllDone => (allDone, false),
            _ => (allDone && (spec.Needs.IsEmpty || node.UnsuccessfulNeeds < spec.Needs.Length), allDone && !spec.Needs.IsEmpty && node.UnsuccessfulNeeds == spec.Needs.Length),
        };

        if (skip)
        {
            NodeUpdated(index, node with { Status = NodeStatus.Skipped, Reason = SkipReason(spec), CompletedAt = Now });
            return;
        }

        if (!ready)
        {
            return;
        }

        if (spec.When is { } when)
        {
            JsonNode? condition;
            try
            {
                condition = when.Resolve(ScopeFor(input: null));
            }
            catch (ExpressionEvaluationException ex)
            {
                NodeUpdated(index, Failed(node, "when: " + ex.Message, ErrorClass.Permanent, spec.Retry));
                return;
            }

            if (!Expression.IsTruthy(condition))
            {
                NodeUpdated(index, node with { Status = NodeStatus.Skipped, Reason = "'when' was false", CompletedAt = Now });
                return;
            }
        }

        NodeUpdated(index, node with { Status = NodeStatus.Ready });
    }

    private string SkipReason(NodeSpec spec)
    {
        foreach (var need in spec.Needs)
        {
            var status = _nodes[need].Status;
            if (status.IsTerminal() && !status.IsSuccess())
            {
                return spec.Trigger == NodeTrigger.AnySucceeded ? "no need succeeded" : $"need '{need}' {status.ToString().ToLowerInvariant()}";
            }
        }

        return "trigger not satisfied";
    }

    // ---- dispatch ----

    /// <summary>Starts ready work in declared order until the budget is spent; leftover work asks for a continuation.</summary>
    private void Dispatch()
    {
        while (_status == RunStatus.Running && _dispatchable.Count > 0)
        {
            if (_budget <= 0)
            {
                _effects.Add(new Effect.ContinueRun());
                return;
            }

            var index = _dispatchable.Min;
            var spec = _graph.Nodes[index];
            var node = _nodes[spec.Id];
            if (node.Status == NodeStatus.Running && spec.Kind == NodeKind.Map)
            {
                DispatchChildren(index);
            }
            else
            {
                _dispatchable.Remove(index);
                StartNode(index, spec, node);
            }

            Settle();
        }
    }

    private void StartNode(int index, NodeSpec spec, NodeState node)
    {
        _budget--;
        var started = node with { StartedAt = node.StartedAt ?? Now, Reason = null };
        JsonNode? resolved;
        JsonNode? input = null;
        try
        {
            input = spec.Reduce is not null && spec.Kind != NodeKind.Map ? ReduceNeeds(spec) : null;
            // A redrive's replacement 'with' resolves no secret (RunControl refuses one that names any).
            resolved = spec.Kind == NodeKind.Map
                ? spec.Map!.Items.Resolve(ScopeFor(input: null))
                : SecretNames.Stamp(spec.Type, _overrides.ContainsKey(spec.Id) ? [] : SecretNames.Of(spec.With), WithOf(spec).Resolve(ScopeFor(input)));
        }
        catch (Exception ex) when (ex is ExpressionEvaluationException or ReductionException)
        {
            NodeUpdated(index, Failed(started with { Attempts = started.Attempts + 1, Attempt = started.Attempts + 1 }, ex.Message, ErrorClass.Permanent, spec.Retry));
            return;
        }

        switch (spec.Kind)
        {
            case NodeKind.Activity:
                // After a park the token moves on although no execution was spent (see ScheduleActivity.PriorExecutions).
                var attempt = Math.Max(started.Attempt, started.Attempts) + 1;
                StepCacheKey? cacheKey;
                try
                {
                    cacheKey = CacheKeyOf(spec.Cache, spec.Id, spec.Type, resolved, ScopeFor(input));
                }
                catch (ExpressionEvaluationException ex)
                {
                    NodeUpdated(index, Failed(started with { Attempts = started.Attempts + 1, Attempt = attempt }, "cache.key: " + ex.Message, ErrorClass.Permanent, spec.Retry));
                    return;
                }

                // The deadline is armed once per incarnation, with its first dispatch; it also bounds the waits of parks.
                var deadlineAt = started.StartedAt + spec.Deadline;
                if (attempt == 1 && deadlineAt is { } due)
                {
                    _effects.Add(new Effect.ArmTimer(spec.Id, attempt, started.Incarnation, TimerPurpose.Deadline, due));
                }

                _effects.Add(new Effect.ScheduleActivity(
                    spec.Id, spec.Type, attempt, started.Incarnation, resolved?.DeepClone(), spec.Retry, spec.Retry.MaxAttempts - started.Attempts, spec.Timeout,
                    deadlineAt, BreakerOf(spec.CircuitBreaker, spec.Type, resolved), cacheKey, started.Attempts));
                ArmTimeout(spec.Id, attempt, started.Incarnation, spec.Timeout, spec.Retry.MaxAttempts - started.Attempts);
                NodeUpdated(index, started with { Status = NodeStatus.Running, Attempt = attempt, Input = resolved });
                break;
            case NodeKind.Inline:
                NodeUpdated(index, started with { Status = NodeStatus.Succeeded, Attempts = 1, Attempt = 1, Input = resolved, Output = resolved?.DeepClone(), CompletedAt = Now });
                break;
            case NodeKind.Timer:
                StartDelay(index, started with { Attempts = 1, Attempt = 1, Input = resolved });
                break;
            case NodeKind.Map:
                StartMap(index, spec, started, resolved);
                break;
            case NodeKind.Event:
                StartWait(index, started with { Attempts = 1, Attempt = 1, Input = resolved });
                break;
        }
    }

    /// <summary>A wait node takes the oldest kept event of its name, or waits (with its timeout armed).</summary>
    private void StartWait(int index, NodeState node)
    {
        var with = node.Input as JsonObject;
        var name = with?["event"] is JsonValue ev && ev.TryGetValue<string>(out var n) && n.Length > 0 ? n : null;
        if (name is null)
        {
            NodeUpdated(index, Failed(node, "with.event must be a non-empty string", ErrorClass.Permanent, RetryPolicy.None));
            return;
        }

        var timeout = TimeSpan.Zero;
        string? error = null;
        if (with?["timeout"] is { } t && !(t is JsonValue tv && tv.TryGetValue<string>(out var text) && Duration.TryParse(text, out timeout, out error)))
        {
            NodeUpdated(index, Failed(node, error ?? "with.timeout must be a duration string", ErrorClass.Permanent, RetryPolicy.None));
            return;
        }

        if (with?["required"] is { } r && (r is not JsonArray list || list.Any(x => x is not JsonValue v || !v.TryGetValue<string>(out _))))
        {
            NodeUpdated(index, Failed(node, "with.required must be a list of field names", ErrorClass.Permanent, RetryPolicy.None));
            return;
        }

        if (_pendingEvents.TryGetValue(name, out var queue) && !queue.IsEmpty)
        {
            _pendingEvents = queue.Count == 1 ? _pendingEvents.Remove(name) : _pendingEvents.SetItem(name, queue.RemoveAt(0));
            Deliver(index, node, queue[0]);
            return;
        }

        var reason = $"for event '{name}'";
        if (with?["timeout"] is not null)
        {
            var due = Now + timeout;
            _effects.Add(new Effect.ArmTimer(node.Id, node.Attempt, node.Incarnation, TimerPurpose.EventTimeout, due));
            reason += " until " + due.ToString("O", CultureInfo.InvariantCulture);
        }

        NodeUpdated(index, node with { Status = NodeStatus.Waiting, Reason = reason });
    }

    private void StartDelay(int index, NodeState node)
    {
        var text = (node.Input as JsonObject)?["duration"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var duration = TimeSpan.Zero;
        string? error = null;
        if (text is null || !Duration.TryParse(text, out duration, out error))
        {
            NodeUpdated(index, Failed(node, error ?? "with.duration must be a duration string", ErrorClass.Permanent, RetryPolicy.None));
            return;
        }

        if (duration <= TimeSpan.Zero)
        {
            NodeUpdated(index, node with { Status = NodeStatus.Succeeded, Output = node.Input?.DeepClone(), CompletedAt = Now });
            return;
        }

        var due = Now + duration;
        _effects.Add(new Effect.ArmTimer(node.Id, node.Attempt, node.Incarnation, TimerPurpose.Delay, due));
        NodeUpdated(index, node with { Status = NodeStatus.Waiting, Reason = "until " + due.ToString("O", CultureInfo.InvariantCulture) });
    }

    private void StartMap(int index, NodeSpec spec, NodeState node, JsonNode? items)
    {
        if (items is not JsonArray array)
        {
            NodeUpdated(index, Failed(node with { Attempts = 1, Attempt = 1 }, $"items evaluated to {InputTypes.Describe(items)}; a map needs an array", ErrorClass.Permanent, RetryPolicy.None));
            return;
        }

        var progress = new MapProgress([.. array.Select(i => i?.DeepClone())], 0, 0, ImmutableDictionary<int, NodeState>.Empty);
        NodeUpdated(index, node with { Status = NodeStatus.Running, Attempts = 1, Attempt = 1, Map = progress });
        if (array.Count == 0)
        {
            CompleteMap(index);
            return;
        }

        _dispatchable.Add(index);
        DispatchChildren(index);
    }

    private void DispatchChildren(int index)
    {
        var spec = _graph.Nodes[index];
        var limit = spec.Map!.MaxConcurrency ?? int.MaxValue;
        while (_budget > 0 && _nodes[spec.Id] is { Status: NodeStatus.Running, Map: { } map } && map.NextIndex < map.Total && map.Active < limit)
        {
            _budget--;
            var childIndex = map.NextIndex;
            var child = new NodeState { Id = MapChildId.Format(spec.Id, childIndex), StartedAt = Now, Incarnation = _nodes[spec.Id].Incarnation };
            Put(spec.Id, _nodes[spec.Id] with { Map = map with { NextIndex = childIndex + 1, Active = map.Active + 1, Children = map.Children.SetItem(childIndex, child) } });
            ChildUpdated(index, childIndex, StartChildAttempt(index, childIndex, child));
        }

        if (_nodes[spec.Id] is not { Status: NodeStatus.Running, Map: { } after } || after.NextIndex >= after.Total || after.Active >= limit)
        {
            _dispatchable.Remove(index);
        }
    }

    private NodeState StartChildAttempt(int mapIndex, int childIndex, NodeState child)
    {
        var spec = _graph.Nodes[mapIndex];
        var template = spec.Map!.Template;
        var map = _nodes[spec.Id].Map!;
        JsonNode? input;
        StepCacheKey? cacheKey;
        var attempt = Math.Max(child.Attempt, child.Attempts) + 1;
        try
        {
            var scope = ScopeFor(input: null, map.Items[childIndex], childIndex);
            input = SecretNames.Stamp(template.Type, SecretNames.Of(template.With), template.With.Resolve(scope));
            cacheKey = CacheKeyOf(template.Cache, spec.Id, template.Type, input, scope);
        }
        catch (ExpressionEvaluationException ex)
        {
            return Failed(child with { Attempts = child.Attempts + 1, Attempt = attempt }, ex.Message, ErrorClass.Permanent, template.Retry);
        }

        if (template.Kind == NodeKind.Inline)
        {
            return child with { Status = NodeStatus.Succeeded, Attempts = 1, Attempt = 1, Input = input, Output = input?.DeepClone(), CompletedAt = Now };
        }

        _effects.Add(new Effect.ScheduleActivity(
            child.Id, template.Type, attempt, child.Incarnation, input?.DeepClone(), template.Retry, template.Retry.MaxAttempts - child.Attempts, template.Timeout,
            Deadline: null, BreakerOf(template.CircuitBreaker, template.Type, input), cacheKey, child.Attempts));
        ArmTimeout(child.Id, attempt, child.Incarnation, template.Timeout, template.Retry.MaxAttempts - child.Attempts);
        return child with { Status = NodeStatus.Running, Attempt = attempt, Input = input, Reason = null };
    }

    private void ChildUpdated(int mapIndex, int childIndex, NodeState child)
    {
        var spec = _graph.Nodes[mapIndex];
        var map = _nodes[spec.Id].Map!;
        Record(map.Children[childIndex], child);
        var wasActive = !map.Children[childIndex].Status.IsTerminal();
        var nowActive = !child.Status.IsTerminal();
        map = map with
        {
            Children = map.Children.SetItem(childIndex, child),
            Active = map.Active - (wasActive ? 1 : 0) + (nowActive ? 1 : 0),
        };
        Put(spec.Id, _nodes[spec.Id] with { Map = map });
        if (!child.Status.IsTerminal() || _nodes[spec.Id].Status != NodeStatus.Running)
        {
            return;
        }

        if (!child.Status.IsSuccess())
        {
            var error = child.Error?.Message ?? child.Reason ?? child.Status.ToString().ToLowerInvariant();
            CancelChildren(mapIndex, $"sibling {child.Id} failed");
            NodeUpdated(mapIndex, Terminal(_nodes[spec.Id], NodeStatus.Failed) with { Error = new NodeError($"{child.Id} failed: {error}", child.Error?.Class ?? ErrorClass.Permanent, 1) });
            return;
        }

        if (map.Done == map.Total)
        {
            CompleteMap(mapIndex);
        }
        else if (map.NextIndex < map.Total)
        {
            _dispatchable.Add(mapIndex);
        }
    }

    private void CompleteMap(int index)
    {
        var spec = _graph.Nodes[index];
        var node = _nodes[spec.Id];
        var outputs = Enumerable.Range(0, node.Map!.Total).Select(i => node.Map.Children[i].Output).ToList();
        try
        {
            var output = Reducer.Reduce(spec.Reduce ?? ReduceSpec.Append, outputs);
            NodeUpdated(index, Terminal(node, NodeStatus.Succeeded) with { Output = output });
        }
        catch (ReductionException ex)
        {
            NodeUpdated(index, Failed(node, "reduce: " + ex.Message, ErrorClass.Permanent, RetryPolicy.None));
        }
    }

    private void CancelChildren(int mapIndex, string reason)
    {
        var id = _graph.Nodes[mapIndex].Id;
        if (_nodes[id].Map is not { } map)
        {
            return;
        }

        var children = map.Children;
        foreach (var (childIndex, child) in map.Children)
        {
            if (!child.Status.IsTerminal())
            {
                var cancelled = Cancelled(child, reason);
                Record(child, cancelled);
                children = children.SetItem(childIndex, cancelled);
            }
        }

        Put(id, _nodes[id] with { Map = map with { Children = children, Active = 0 } });
    }

    // ---- helpers ----

    /// <summary>
    /// A failure of execution <c>node.Attempts</c>: a retry when the error is transient, selected by <c>retryOn</c> and
    /// attempts remain (after the backoff, or the server's Retry-After when longer, capped by maxDelay), otherwise terminal.
    /// </summary>
    private NodeState Failed(NodeState node, string message, ErrorClass errorClass, RetryPolicy retry, ErrorKind kind = ErrorKind.Other, int? status = null, TimeSpan? retryAfter = null)
    {
        var error = new NodeError(message, errorClass, node.Attempts) { Kind = kind, Status = status };
        if (retry.Retries(node.Attempts, errorClass, kind, status))
        {
            var delay = retry.DelayAfter(node.Attempts, _context.Jitter, retryAfter);
            var reason = $"attempt {node.Attempts} of {retry.MaxAttempts} failed; retrying in {Duration.Format(delay)}";
            if (delay <= TimeSpan.Zero && !MapChildId.TryParse(node.Id, out _, out _))
            {
                return node with { Status = NodeStatus.Ready, Error = error, Reason = reason };
            }

            _effects.Add(new Effect.ArmTimer(node.Id, node.Attempt, node.Incarnation, TimerPurpose.RetryBackoff, Now + delay));
            return node with { Status = NodeStatus.Waiting, Error = error, Reason = reason };
        }

        return Terminal(node, NodeStatus.Failed) with { Error = error };
    }

    /// <summary>
    /// The node's deadline passed: it fails for good, whatever attempts remain (a running attempt is asked to stop and
    /// counts as an execution; a node parked by its circuit breaker waits no longer). The last error, if any, stays in the
    /// message.
    /// </summary>
    private NodeState DeadlineExceeded(NodeState node, TimeSpan deadline)
    {
        var attempts = node.Attempts + (node.Status == NodeStatus.Running ? 1 : 0);
        if (node.Status == NodeStatus.Running)
        {
            _effects.Add(new Effect.CancelActivity(node.Id, node.Attempt, node.Incarnation));
        }

        var message = $"deadline of {Duration.Format(deadline)} exceeded after {attempts} attempt{(attempts == 1 ? "" : "s")}"
            + (node.Error is { } last ? $"; last error: {last.Message}" : string.Empty);
        return Terminal(node with { Attempts = attempts }, NodeStatus.Failed) with
        {
            Error = new NodeError(message, ErrorClass.Permanent, attempts) { Kind = ErrorKind.Deadline },
            Reason = null,
        };
    }

    /// <summary>
    /// The breaker of a node (or map child) was open: it waits, attempts untouched, and a timer at the breaker's
    /// half-open time dispatches it again (a node through Ready, a map child directly).
    /// </summary>
    private NodeState Parked(NodeState node, RunEvent.ActivityParked parked)
    {
        // The reason is also the node's error, so the run document (whose node shape has no reason) shows it too.
        var reason = "circuit open: " + parked.BreakerKey;
        _effects.Add(new Effect.ArmTimer(node.Id, node.Attempt, node.Incarnation, TimerPurpose.BreakerHalfOpen, parked.RetryAt));
        return node with { Status = NodeStatus.Waiting, Reason = reason, Error = new NodeError(reason, ErrorClass.Transient, node.Attempt) };
    }

    /// <summary>
    /// The node's breaker with its key resolved: the spec's key, else the host of an <c>http</c> node's <c>with.url</c>
    /// (lowercase), else the node type.
    /// </summary>
    private static CircuitBreakerPolicy? BreakerOf(CircuitBreakerPolicy? breaker, string type, JsonNode? resolved) =>
        breaker is null || breaker.Key is not null ? breaker : breaker with { Key = CircuitBreakerPolicy.DefaultKey(type, resolved) };

    /// <summary>
    /// The step cache entry of this execution (a map's children share their map node's entries), or null when there is no
    /// <c>cache</c>; a bad key expression throws.
    /// </summary>
    private StepCacheKey? CacheKeyOf(CachePolicy? cache, string nodeId, string type, JsonNode? resolved, ExpressionScope scope)
    {
        if (cache is null)
        {
            return null;
        }

        var keyValue = cache.Key?.Resolve(scope);
        return StepCacheKey.For(Spec.Name, nodeId, type, resolved, cache.Key is not null, keyValue, cache.Version, cache.Ttl);
    }

    private NodeState Cancelled(NodeState node, string reason)
    {
        if (node.Status == NodeStatus.Running && node.Map is null)
        {
            _effects.Add(new Effect.CancelActivity(node.Id, node.Attempt, node.Incarnation));
        }

        return Terminal(node, NodeStatus.Cancelled) with { Reason = reason };
    }

    /// <summary>Every write of a node goes through here, so the decision can tell which nodes it changed.</summary>
    private void Put(string id, NodeState state)
    {
        _nodes[id] = state;
        _changed.Add(id);
    }

    private void Record(NodeState before, NodeState after)
    {
        if (before.Status != after.Status)
        {
            var detail = after.Status == NodeStatus.Failed ? after.Error?.Message : after.Status == NodeStatus.Waiting && after.Error is { } e && e.Message != after.Reason ? $"{after.Reason}: {e.Message}" : after.Reason;
            _transitions.Add(new NodeTransition(after.Id, before.Status, after.Status, after.Attempt, detail));
        }
    }

    private NodeState Terminal(NodeState node, NodeStatus status) => node with { Status = status, CompletedAt = Now };

    /// <summary>
    /// Arms the durable timeout of a work item that may perform up to <paramref name="executions"/> executions: each
    /// limited to <paramref name="timeout"/> by the executor, with inline waits of at most
    /// <see cref="RetryPolicy.InlineWaitLimit"/> between them. Arming it at one timeout would fire while the executor
    /// still retries inline, and the retry it schedules would run the node more often than <c>maxAttempts</c>.
    /// </summary>
    private void ArmTimeout(string nodeId, int attempt, int incarnation, TimeSpan? timeout, int executions)
    {
        if (timeout is { } t)
        {
            var n = Math.Max(executions, 1);
            _effects.Add(new Effect.ArmTimer(nodeId, attempt, incarnation, TimerPurpose.AttemptTimeout, Now + (t * n) + (RetryPolicy.InlineWaitLimit * (n - 1))));
        }
    }

    private static string TimedOut(TimeSpan? timeout) => $"timed out after {Duration.Format(timeout ?? TimeSpan.Zero)}";

    private NodeState? ChildOf(int mapIndex, int childIndex) =>
        _nodes[_graph.Nodes[mapIndex].Id].Map?.Children.GetValueOrDefault(childIndex);

    private ValueTemplate WithOf(NodeSpec spec)
    {
        if (!_overrides.TryGetValue(spec.Id, out var replacement))
        {
            return spec.With;
        }

        var errors = new List<TemplateError>();
        var template = ValueTemplate.Compile(replacement, errors);
        return errors.Count == 0 ? template : throw new ExpressionEvaluationException("redrive 'with': " + string.Join("; ", errors.Select(x => x.Message)));
    }

    private JsonNode? ReduceNeeds(NodeSpec spec)
    {
        var outputs = spec.Needs.Where(n => _nodes[n].Status.IsSuccess()).Select(n => _nodes[n].Output).ToList();
        return Reducer.Reduce(spec.Reduce!, outputs);
    }

    private ExpressionScope ScopeFor(JsonNode? input, JsonNode? item = null, long? index = null) => new()
    {
        Inputs = _original.Inputs,
        NodeOutput = id => _nodes.TryGetValue(id, out var n) && n.Status.IsSuccess() ? n.Output : null,
        NodeStatus = id => _nodes.TryGetValue(id, out var n) ? n.Status.ToString() : null,
        Input = input,
        Item = item,
        Index = index,
        RunId = _original.RunId,
        RunStartedAt = _original.StartedAt,
    };

    /// <summary>Ends the run: every unfinished node is cancelled (running activities are asked to stop).</summary>
    private void EndRun(RunStatus status, string reason)
    {
        for (var i = 0; i < _graph.Nodes.Length; i++)
        {
            var node = _nodes[_graph.Nodes[i].Id];
            if (!node.Status.IsTerminal())
            {
                CancelChildren(i, reason);
                var cancelled = Cancelled(_nodes[node.Id], reason);
                Record(_nodes[node.Id], cancelled);
                Put(node.Id, cancelled);
            }
        }

        _dispatchable.Clear();
        _settled.Clear();
        _terminalNodes = _graph.Nodes.Length;
        _status = status;
        _reason = reason;
        _completedAt = Now;
        _effects.Add(new Effect.CompleteRun(status, null, reason));
    }

    private void CompleteSucceeded()
    {
        var outputs = new JsonObject();
        var scope = ScopeFor(input: null);
        foreach (var output in Spec.Outputs)
        {
            try
            {
                outputs[output.Name] = output.Value.Resolve(scope);
            }
            catch (ExpressionEvaluationException ex)
            {
                EndRun(RunStatus.Failed, $"output '{output.Name}': {ex.Message}");
                return;
            }
        }

        _status = RunStatus.Succeeded;
        _completedAt = Now;
        _outputs = outputs;
        _effects.Add(new Effect.CompleteRun(RunStatus.Succeeded, (JsonObject)outputs.DeepClone(), null));
    }
}
