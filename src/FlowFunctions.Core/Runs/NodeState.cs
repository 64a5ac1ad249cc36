using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Runs;

/// <summary>The state of one node (or one map child) in a run. Immutable: the decision function returns new states.</summary>
public sealed record NodeState
{
    /// <summary>The node id (<c>each[3]</c> for a map child).</summary>
    public required string Id { get; init; }

    /// <summary>Current status.</summary>
    public NodeStatus Status { get; init; } = NodeStatus.Pending;

    /// <summary>Executions of the handler so far.</summary>
    public int Attempts { get; init; }

    /// <summary>The attempt token of the work in flight (or last dispatched); completions for any other attempt are ignored.</summary>
    public int Attempt { get; init; }

    /// <summary>Changes when the node is redriven or re-added, so that late results of an older incarnation are ignored.</summary>
    public int Incarnation { get; init; }

    /// <summary>Needs not yet terminal (kept as a count so that a join over thousands of needs is checked in O(1)).</summary>
    public int OpenNeeds { get; init; }

    /// <summary>Needs that ended without success.</summary>
    public int UnsuccessfulNeeds { get; init; }

    /// <summary>The resolved input the handler received.</summary>
    public JsonNode? Input { get; init; }

    /// <summary>The output, once succeeded.</summary>
    public JsonNode? Output { get; init; }

    /// <summary>The last error, if any.</summary>
    public NodeError? Error { get; init; }

    /// <summary>Why the node is in its status (skip cause, retry schedule, ...), for people.</summary>
    public string? Reason { get; init; }

    /// <summary>When the node was first dispatched.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the node reached a terminal status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The fan-out of a map node, once it started.</summary>
    public MapProgress? Map { get; init; }
}

/// <summary>A node's error.</summary>
/// <param name="Message">What went wrong.</param>
/// <param name="Class">Whether a retry could help.</param>
/// <param name="Attempt">The attempt that failed.</param>
public sealed record NodeError(string Message, ErrorClass Class, int Attempt)
{
    /// <summary>What kind of failure it was (what <c>retry.retryOn</c> selects on).</summary>
    public ErrorKind Kind { get; init; }

    /// <summary>The HTTP status when <see cref="Kind"/> is <see cref="ErrorKind.HttpStatus"/>.</summary>
    public int? Status { get; init; }
}

/// <summary>What kind of failure an error was; <c>retry.retryOn</c> selects among transient failures by kind and status.</summary>
public enum ErrorKind
{
    /// <summary>Any other failure the handler reported (its class says whether it is transient).</summary>
    Other,

    /// <summary>An execution ran out of time (its <c>timeout</c>, or the http client's limit).</summary>
    Timeout,

    /// <summary>The connection failed: DNS, refused, reset, TLS.</summary>
    Connection,

    /// <summary>An unexpected HTTP status (see <see cref="NodeError.Status"/>).</summary>
    HttpStatus,

    /// <summary>The node's <c>deadline</c> passed; never retried.</summary>
    Deadline,
}

/// <summary>Whether an error may go away on retry.</summary>
public enum ErrorClass
{
    /// <summary>Timeouts, throttling, 5xx, connection failures: retried within the attempt budget.</summary>
    Transient,

    /// <summary>Bad input, expression errors, 4xx: never retried.</summary>
    Permanent,
}

/// <summary>
/// The fan-out of a map node. Children that were never dispatched have no entry (a map over 10,000 items costs
/// nothing until its children start); <see cref="NextIndex"/> is the next item to dispatch.
/// </summary>
/// <param name="Items">The evaluated items.</param>
/// <param name="NextIndex">The next item index to dispatch.</param>
/// <param name="Active">Children dispatched and not yet terminal.</param>
/// <param name="Children">Every dispatched child, by item index.</param>
public sealed record MapProgress(ImmutableArray<JsonNode?> Items, int NextIndex, int Active, ImmutableDictionary<int, NodeState> Children)
{
    /// <summary>The number of items.</summary>
    public int Total => Items.Length;

    /// <summary>Children that reached a terminal status.</summary>
    public int Done => Children.Count - Active;
}
