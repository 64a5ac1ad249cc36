using System.Text.Json.Nodes;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Runs;

/// <summary>What a decision asks the engine to do. Effect ids are deterministic, so re-dispatching after a crash is idempotent.</summary>
public abstract record Effect
{
    private Effect()
    {
    }

    /// <summary>A stable id: the same decision always yields the same id.</summary>
    public abstract string EffectId { get; }

    /// <summary>Run an activity.</summary>
    /// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
    /// <param name="NodeType">The handler to run.</param>
    /// <param name="Attempt">The attempt token (the number of the first execution this work item performs).</param>
    /// <param name="Incarnation">The node incarnation.</param>
    /// <param name="Input">The resolved input.</param>
    /// <param name="Retry">The node's retry policy; the executor may retry short backoffs inline within <see cref="MaxExecutions"/>.</param>
    /// <param name="MaxExecutions">How many executions this work item may perform (what is left of the attempt budget).</param>
    /// <param name="Timeout">The per-attempt timeout.</param>
    /// <param name="Deadline">When the node's <c>deadline</c> passes; the executor starts no inline retry after it.</param>
    /// <param name="Breaker">The node's circuit breaker with its key resolved, or null.</param>
    /// <param name="Cache">Where the node's output is cached, or null when the node has no <c>cache</c>.</param>
    /// <param name="PriorExecutions">
    /// Executions of the node before this work item, or null for <c>Attempt - 1</c>. They differ once a node was parked by
    /// its breaker: the attempt token moves on (so stale timers and results of the parked work item are ignored) while
    /// no execution was spent.
    /// </param>
    public sealed record ScheduleActivity(string NodeId, string NodeType, int Attempt, int Incarnation, JsonNode? Input, RetryPolicy Retry, int MaxExecutions, TimeSpan? Timeout, DateTimeOffset? Deadline = null, CircuitBreakerPolicy? Breaker = null, StepCacheKey? Cache = null, int? PriorExecutions = null) : Effect
    {
        /// <inheritdoc/>
        public override string EffectId => $"{NodeId}:{Incarnation}:{Attempt}:run";
    }

    /// <summary>Deliver a <see cref="RunEvent.TimerFired"/> at <paramref name="DueAt"/>.</summary>
    /// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
    /// <param name="Attempt">The attempt it belongs to.</param>
    /// <param name="Incarnation">The incarnation it belongs to.</param>
    /// <param name="Purpose">Why.</param>
    /// <param name="DueAt">When.</param>
    public sealed record ArmTimer(string NodeId, int Attempt, int Incarnation, TimerPurpose Purpose, DateTimeOffset DueAt) : Effect
    {
        /// <inheritdoc/>
        public override string EffectId => $"{NodeId}:{Incarnation}:{Attempt}:{Purpose}";
    }

    /// <summary>Ask a running activity to stop (its result will be ignored either way).</summary>
    /// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
    /// <param name="Attempt">The attempt to stop.</param>
    /// <param name="Incarnation">The incarnation.</param>
    public sealed record CancelActivity(string NodeId, int Attempt, int Incarnation) : Effect
    {
        /// <inheritdoc/>
        public override string EffectId => $"{NodeId}:{Incarnation}:{Attempt}:cancel";
    }

    /// <summary>The run reached a terminal status.</summary>
    /// <param name="Status">Succeeded, Failed or Cancelled.</param>
    /// <param name="Outputs">The run outputs when succeeded.</param>
    /// <param name="Error">Why it failed or was cancelled.</param>
    public sealed record CompleteRun(RunStatus Status, JsonObject? Outputs, string? Error) : Effect
    {
        /// <inheritdoc/>
        public override string EffectId => "run:complete";
    }

    /// <summary>The decision ran out of budget with work left: deliver <see cref="RunEvent.ContinueRequested"/>.</summary>
    public sealed record ContinueRun : Effect
    {
        /// <inheritdoc/>
        public override string EffectId => "run:continue";
    }
}
