using FlowFunctions.Core.Expressions;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Runs;

/// <summary>
/// The rules for run-control commands (pause, resume, terminate, redrive). The decision function applies them when
/// the command's event is processed, and the CLI and HTTP surfaces check them before appending the event, so a
/// caller gets the verdict synchronously. Pure.
/// </summary>
public static class RunControl
{
    /// <summary>Why <paramref name="evt"/> cannot be applied to <paramref name="state"/>, or null when it can (or is not a control command).</summary>
    public static string? Refusal(RunState state, RunEvent evt)
    {
        ArgumentNullException.ThrowIfNull(state);
        return evt switch
        {
            RunEvent.RunPauseRequested => state.Status == RunStatus.Running ? null : $"the run is {state.Status}; only a Running run can be paused",
            RunEvent.RunResumeRequested => ResumeRefusal(state),
            RunEvent.RunTerminateRequested or RunEvent.RunCancelRequested => state.IsTerminal ? $"the run is already {state.Status}" : null,
            RunEvent.NodeRedriveRequested e => RedriveRefusal(state, e),
            RunEvent.GraphPatchRequested e => GraphPatcher.Check(state, e.Patch).Refusal,
            RunEvent.ExternalEventRaised => state.IsTerminal ? $"the run is already {state.Status}; a finished run takes no events" : null,
            _ => null,
        };
    }

    /// <summary>The command's name for messages.</summary>
    public static string Name(RunEvent evt) => evt switch
    {
        RunEvent.RunPauseRequested => "pause",
        RunEvent.RunResumeRequested => "resume",
        RunEvent.RunTerminateRequested => "terminate",
        RunEvent.RunCancelRequested => "cancel",
        RunEvent.NodeRedriveRequested e => $"redrive of '{e.NodeId}'",
        RunEvent.GraphPatchRequested => "patch",
        RunEvent.ExternalEventRaised e => $"event '{e.Name}'",
        _ => evt.GetType().Name,
    };

    /// <summary>A top-level node that failed with <c>onFailure: pause</c> and so holds the run paused until it is redriven.</summary>
    public static string? PausingFailure(RunState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Spec.Nodes.FirstOrDefault(n => n.OnFailure == FailurePolicy.Pause && state.Nodes[n.Id].Status == NodeStatus.Failed)?.Id;
    }

    private static string? ResumeRefusal(RunState state)
    {
        if (state.Status != RunStatus.Paused)
        {
            return $"the run is {state.Status}; only a Paused run can be resumed";
        }

        return PausingFailure(state) is { } failed
            ? $"node '{failed}' failed and paused the run; redrive it (or cancel the run)"
            : null;
    }

    private static string? RedriveRefusal(RunState state, RunEvent.NodeRedriveRequested e)
    {
        if (state.Status is RunStatus.Succeeded or RunStatus.Cancelled)
        {
            return $"the run is {state.Status}; only a node of a Running, Paused or Failed run can be redriven";
        }

        if (MapChildId.TryParse(e.NodeId, out var mapId, out _))
        {
            return $"'{e.NodeId}' is a map child; redrive the map '{mapId}' instead";
        }

        if (SecretNames.AnyIn(e.With))
        {
            return "a redrive's 'with' cannot read secrets (it could send them anywhere); patch the node instead, which needs the admin role";
        }

        var spec = state.Spec.Nodes.FirstOrDefault(n => n.Id == e.NodeId);
        if (spec is null || !state.Nodes.TryGetValue(e.NodeId, out var node))
        {
            return $"the run has no node '{e.NodeId}'";
        }

        if (node.Status != NodeStatus.Failed)
        {
            return $"node '{e.NodeId}' is {node.Status}; only a Failed node can be redriven";
        }

        if (spec.Kind == NodeKind.Map && e.With is not null)
        {
            return $"node '{e.NodeId}' is a map; its items cannot be replaced with 'with'";
        }

        if (e.With is not null)
        {
            var errors = new List<TemplateError>();
            ValueTemplate.Compile(e.With, errors);
            if (errors.Count > 0)
            {
                return "invalid 'with': " + string.Join("; ", errors.Select(x => x.Path.Length > 0 ? $"{x.Path}: {x.Message}" : x.Message));
            }
        }

        return null;
    }
}
