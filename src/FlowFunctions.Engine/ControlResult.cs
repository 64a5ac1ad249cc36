using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine;

/// <summary>What became of a run-control command.</summary>
public enum ControlOutcome
{
    /// <summary>Stored in the run's inbox; the run applies it in arrival order.</summary>
    Accepted,

    /// <summary>There is no such run.</summary>
    RunNotFound,

    /// <summary>The run's state does not allow it (nothing was stored).</summary>
    Refused,
}

/// <summary>The verdict on a run-control command.</summary>
/// <param name="Outcome">Accepted, refused or no such run.</param>
/// <param name="Message">For people.</param>
/// <param name="RunStatus">The run's status when the command was checked (null when there is no run).</param>
public sealed record ControlResult(ControlOutcome Outcome, string Message, RunStatus? RunStatus);
