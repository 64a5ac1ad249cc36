using System.Diagnostics;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Engine.Activities;

/// <summary>One work item: run a node's handler for an attempt (and, for short backoffs, the retries after it).</summary>
/// <param name="RunId">The run.</param>
/// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
/// <param name="NodeType">The handler to run.</param>
/// <param name="Attempt">The attempt token: the number of the first execution this work item performs.</param>
/// <param name="Incarnation">The node incarnation.</param>
/// <param name="Input">The resolved input.</param>
/// <param name="Retry">The node's retry policy.</param>
/// <param name="MaxExecutions">How many executions this work item may perform (what is left of <c>retry.maxAttempts</c>).</param>
/// <param name="Timeout">The per-execution timeout, or null.</param>
/// <param name="Deadline">When the node's <c>deadline</c> passes, or null; no inline retry starts after it.</param>
/// <param name="Breaker">The node's circuit breaker (key resolved), or null.</param>
/// <param name="Cache">Where the node's output is cached, or null.</param>
/// <param name="PriorExecutions">Executions of the node before this work item; null for <c>Attempt - 1</c> (see <see cref="FirstExecution"/>).</param>
public sealed record ActivityRequest(
    string RunId,
    string NodeId,
    string NodeType,
    int Attempt,
    int Incarnation,
    JsonNode? Input,
    RetryPolicy Retry,
    int MaxExecutions,
    TimeSpan? Timeout,
    DateTimeOffset? Deadline = null,
    CircuitBreakerPolicy? Breaker = null,
    StepCacheKey? Cache = null,
    int? PriorExecutions = null)
{
    /// <summary>
    /// The absolute (1-based) number of the first execution this work item performs. It equals <see cref="Attempt"/>
    /// unless the node was parked by its circuit breaker, which moves the attempt token on without spending an execution.
    /// </summary>
    public int FirstExecution => (PriorExecutions ?? Attempt - 1) + 1;

    /// <summary>The span that dispatched the work item (the run's trace), parent of its activity span; none for old messages.</summary>
    public ActivityContext Trace { get; init; }
}
