using System.Collections.Immutable;
using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Specs;

/// <summary>One node of a workflow, with the spec defaults already applied to its policies.</summary>
public sealed record NodeSpec
{
    /// <summary>Unique id (<c>^[A-Za-z_][A-Za-z0-9_-]{0,63}$</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The node type name (<c>echo</c>, <c>map</c>, <c>http</c>, ...).</summary>
    public required string Type { get; init; }

    /// <summary>How the engine executes this node's type.</summary>
    public required NodeKind Kind { get; init; }

    /// <summary>Optional free text.</summary>
    public string? Description { get; init; }

    /// <summary>Ids of the nodes this node depends on, in declared order.</summary>
    public ImmutableArray<string> Needs { get; init; } = [];

    /// <summary>The node's parameters; strings may hold expressions.</summary>
    public required ValueTemplate With { get; init; }

    /// <summary>Condition evaluated once the trigger is satisfied; falsy skips the node. Null = always.</summary>
    public ValueTemplate? When { get; init; }

    /// <summary>When the node may start given the outcome of its needs.</summary>
    public NodeTrigger Trigger { get; init; } = NodeTrigger.AllSucceeded;

    /// <summary>Retry policy (attempt budget and backoff).</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.None;

    /// <summary>Timeout of one attempt, or null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Limit on the whole node, every attempt and the waits between them included, counted from its first dispatch;
    /// null for none. Only activity nodes have one.
    /// </summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>What a failure of this node does to the run.</summary>
    public FailurePolicy OnFailure { get; init; } = FailurePolicy.Fail;

    /// <summary>How parent outputs (or map children outputs) combine; null = no reduction.</summary>
    public ReduceSpec? Reduce { get; init; }

    /// <summary>The circuit breaker the node's executions go through (activity nodes only), or null.</summary>
    public CircuitBreakerPolicy? CircuitBreaker { get; init; }

    /// <summary>The step cache of the node's output (activity nodes only), or null: never cached.</summary>
    public CachePolicy? Cache { get; init; }

    /// <summary>The fan-out settings of a <c>map</c> node; null for every other type.</summary>
    public MapSpec? Map { get; init; }
}

/// <summary>How the engine executes a node type.</summary>
public enum NodeKind
{
    /// <summary>Dispatched as a work item to an activity handler (echo, fail, http, ...).</summary>
    Activity,

    /// <summary>Evaluated inside the decision function, no activity (transform).</summary>
    Inline,

    /// <summary>A durable timer (delay).</summary>
    Timer,

    /// <summary>Dynamic fan-out over a list (map).</summary>
    Map,

    /// <summary>Waits for a named external event (wait); its output is the event's payload.</summary>
    Event,
}

/// <summary>When a node may start, given its needs.</summary>
public enum NodeTrigger
{
    /// <summary>Every need succeeded (default). A need that failed, was skipped or cancelled skips this node.</summary>
    AllSucceeded,

    /// <summary>Every need reached a terminal state, whatever it was.</summary>
    AllDone,

    /// <summary>Every need is terminal and at least one succeeded (decided once all are done, so the input is deterministic).</summary>
    AnySucceeded,
}

/// <summary>What a node's failure does to its run.</summary>
public enum FailurePolicy
{
    /// <summary>The run fails (default).</summary>
    Fail,

    /// <summary>Downstream nodes see the failure and the run goes on.</summary>
    Continue,

    /// <summary>The run parks until someone redrives the node or cancels the run.</summary>
    Pause,
}

/// <summary>The fan-out settings of a map node.</summary>
/// <param name="Items">Evaluates to the array to fan out over.</param>
/// <param name="MaxConcurrency">How many children may run at once; null = unbounded.</param>
/// <param name="Template">The node each item runs.</param>
public sealed record MapSpec(ValueTemplate Items, int? MaxConcurrency, MapTemplate Template);

/// <summary>The node a map runs for each item; <c>item</c> and <c>index</c> are in scope in its <c>with</c>.</summary>
/// <param name="Type">The node type.</param>
/// <param name="Kind">Activity or inline.</param>
/// <param name="With">The children's parameters.</param>
/// <param name="Retry">The children's retry policy.</param>
/// <param name="Timeout">The children's per-attempt timeout.</param>
/// <param name="CircuitBreaker">The children's circuit breaker (from <c>defaults</c> unless the template sets one), or null.</param>
/// <param name="Cache">The children's step cache, or null.</param>
public sealed record MapTemplate(string Type, NodeKind Kind, ValueTemplate With, RetryPolicy Retry, TimeSpan? Timeout, CircuitBreakerPolicy? CircuitBreaker = null, CachePolicy? Cache = null);

/// <summary>A declared run output.</summary>
public sealed record OutputDeclaration(string Name, ValueTemplate Value);
