namespace FlowFunctions.Core.Specs;

/// <summary>The spec's <c>defaults</c>: policies every node inherits unless it sets its own.</summary>
/// <param name="Retry">Default retry settings (a node's <c>retry</c> overrides them field by field).</param>
/// <param name="Timeout">Default per-attempt timeout.</param>
/// <param name="OnFailure">Default failure policy.</param>
public sealed record NodeDefaults(RetryPolicy Retry, TimeSpan? Timeout, FailurePolicy OnFailure)
{
    /// <summary>No defaults: one attempt, no timeout, failures fail the run.</summary>
    public static NodeDefaults None { get; } = new(RetryPolicy.None, null, FailurePolicy.Fail);
}
