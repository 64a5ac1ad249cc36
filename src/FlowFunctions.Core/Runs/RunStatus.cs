namespace FlowFunctions.Core.Runs;

/// <summary>The status of a run.</summary>
public enum RunStatus
{
    /// <summary>Nodes are being scheduled and executed.</summary>
    Running,

    /// <summary>Nothing new is dispatched until the run is resumed, a failed node is redriven, or the run is cancelled.</summary>
    Paused,

    /// <summary>Every node finished and no failure failed the run (terminal).</summary>
    Succeeded,

    /// <summary>A node failed with <c>onFailure: fail</c>, or the run could not start or finish (terminal).</summary>
    Failed,

    /// <summary>Someone cancelled the run (terminal).</summary>
    Cancelled,
}

/// <summary>The status of a node (and of a map child).</summary>
public enum NodeStatus
{
    /// <summary>Waiting for its needs.</summary>
    Pending,

    /// <summary>Its trigger is satisfied; it will be dispatched when the run's budget or pause allows.</summary>
    Ready,

    /// <summary>Dispatched (an activity is running, or a map's children are).</summary>
    Running,

    /// <summary>Finished with an output (terminal).</summary>
    Succeeded,

    /// <summary>Finished with an error after its attempts (terminal).</summary>
    Failed,

    /// <summary>Did not run: its trigger could not be satisfied or its <c>when</c> was false (terminal).</summary>
    Skipped,

    /// <summary>Stopped by a cancellation (terminal).</summary>
    Cancelled,

    /// <summary>Its output came from the step cache (terminal; a later issue).</summary>
    Cached,

    /// <summary>Waiting for a timer: a retry backoff or a delay.</summary>
    Waiting,
}

/// <summary>Classification helpers for statuses.</summary>
public static class StatusFacts
{
    /// <summary>Whether a node status is final.</summary>
    public static bool IsTerminal(this NodeStatus status) =>
        status is NodeStatus.Succeeded or NodeStatus.Failed or NodeStatus.Skipped or NodeStatus.Cancelled or NodeStatus.Cached;

    /// <summary>Whether a node status counts as success for triggers and outputs.</summary>
    public static bool IsSuccess(this NodeStatus status) => status is NodeStatus.Succeeded or NodeStatus.Cached;

    /// <summary>Whether a run status is final.</summary>
    public static bool IsTerminal(this RunStatus status) => status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled;
}
