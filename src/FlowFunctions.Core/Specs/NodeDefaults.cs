namespace FlowFunctions.Core.Specs;

/// <summary>The spec's <c>defaults</c>: policies every node inherits unless it sets its own.</summary>
/// <param name="Retry">Default retry settings (a node's <c>retry</c> overrides them field by field).</param>
/// <param name="Timeout">Default per-attempt timeout.</param>
/// <param name="OnFailure">Default failure policy.</param>
/// <param name="Deadline">Default limit on the whole of an activity node (every attempt and the waits between them).</param>
/// <param name="CircuitBreaker">Default circuit breaker of activity nodes (a node's <c>circuitBreaker</c> overrides it field by field), or null.</param>
public sealed record NodeDefaults(RetryPolicy Retry, TimeSpan? Timeout, FailurePolicy OnFailure, TimeSpan? Deadline = null, CircuitBreakerPolicy? CircuitBreaker = null)
{
    /// <summary>No defaults: one attempt, no timeout, failures fail the run.</summary>
    public static NodeDefaults None { get; } = new(RetryPolicy.None, null, FailurePolicy.Fail);
}
