using System.Collections.Immutable;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Runs;

/// <summary>Everything the decision function knows about a run. Immutable.</summary>
public sealed record RunState
{
    /// <summary>The run id.</summary>
    public required string RunId { get; init; }

    /// <summary>The graph as of <see cref="GraphRevision"/>.</summary>
    public required FlowSpec Spec { get; init; }

    /// <summary>The spec document of the current revision (what graph patches are applied to), when known.</summary>
    public JsonObject? SpecSource { get; init; }

    /// <summary>1 at start; each applied graph patch adds one.</summary>
    public int GraphRevision { get; init; } = 1;

    /// <summary>The bound inputs (defaults applied).</summary>
    public required JsonObject Inputs { get; init; }

    /// <summary>Run status.</summary>
    public RunStatus Status { get; init; } = RunStatus.Running;

    /// <summary>Why the run is paused or failed, for people.</summary>
    public string? Reason { get; init; }

    /// <summary>When the run started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run reached a terminal status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Top-level node states by id.</summary>
    public required ImmutableDictionary<string, NodeState> Nodes { get; init; }

    /// <summary>Top-level nodes (by declared index) with something to dispatch: ready nodes and maps below their concurrency.</summary>
    public ImmutableSortedSet<int> Dispatchable { get; init; } = [];

    /// <summary>How many top-level nodes are terminal (the run completes when all are).</summary>
    public int TerminalNodes { get; init; }

    /// <summary>The evaluated run outputs, once succeeded.</summary>
    public JsonObject? Outputs { get; init; }

    /// <summary>Replacement <c>with</c> templates given by redrives, by top-level node id (used instead of the spec's).</summary>
    public ImmutableDictionary<string, JsonNode> WithOverrides { get; init; } = ImmutableDictionary<string, JsonNode>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>External events raised while no <c>wait</c> node waited for them, by name, oldest first.</summary>
    public ImmutableDictionary<string, ImmutableList<JsonNode?>> PendingEvents { get; init; } = ImmutableDictionary<string, ImmutableList<JsonNode?>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>The ids of external events already applied (a repeated raise with one of them is ignored).</summary>
    public ImmutableHashSet<string> SeenEventIds { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>The run and node this run is a rerun of, or null for a run started from a spec.</summary>
    public RerunSource? RerunOf { get; init; }

    /// <summary>Whether the run is in a terminal status.</summary>
    public bool IsTerminal => Status.IsTerminal();
}
