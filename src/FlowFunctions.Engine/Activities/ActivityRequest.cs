using System.Text.Json.Nodes;
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
    DateTimeOffset? Deadline = null);
