namespace FlowFunctions.Engine;

/// <summary>What became of a rerun request.</summary>
public enum RerunOutcome
{
    /// <summary>The new run is started (its first episode committed).</summary>
    Started,

    /// <summary>There is no such source run.</summary>
    RunNotFound,

    /// <summary>The source run has no such top-level node.</summary>
    NodeNotFound,

    /// <summary>An upstream node of the chosen one cannot be copied (nothing was started).</summary>
    Refused,
}

/// <summary>The verdict on a rerun request.</summary>
/// <param name="Outcome">Started, or why not.</param>
/// <param name="Message">For people.</param>
/// <param name="RunId">The new run's id, when started.</param>
public sealed record RerunResult(RerunOutcome Outcome, string Message, string? RunId);
