using System.Collections.Immutable;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine;

/// <summary>The verdict on a graph patch.</summary>
public enum PatchOutcome
{
    /// <summary>Stored; the run's next episode applies it.</summary>
    Accepted,

    /// <summary>A dry run: nothing was applied.</summary>
    DryRun,

    /// <summary>The patched graph is not valid (or the patch breaks a rule); every error is given.</summary>
    Invalid,

    /// <summary><c>expectedRevision</c> is stale.</summary>
    Conflict,

    /// <summary>The run is terminal.</summary>
    RunCompleted,

    /// <summary>No such run.</summary>
    RunNotFound,
}

/// <summary>What <see cref="FlowEngine.PatchRunAsync"/> answered.</summary>
/// <param name="Outcome">The verdict.</param>
/// <param name="Errors">Every error, when refused.</param>
/// <param name="Diff">The graph diff, when valid.</param>
/// <param name="ReadinessChanges">The nodes whose status the patch changes (blast radius), when valid.</param>
/// <param name="Revision">The revision the patch produces (accepted), or the run's current revision.</param>
/// <param name="RunStatus">The run's status when checked.</param>
public sealed record PatchResult(PatchOutcome Outcome, ImmutableArray<string> Errors, PatchDiff? Diff, ImmutableArray<string>? ReadinessChanges, int Revision, RunStatus? RunStatus);
