using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// Sends each execution of a node with a <c>circuitBreaker</c> through its shared breaker
/// (<see cref="SharedCircuitBreaker"/>). Inside the retry stage, so every execution is admitted and counted; outside
/// the timeout stage, so a timed-out execution counts as the transient failure it is. When the breaker refuses, the
/// work item ends as <see cref="ActivityOutcome.Parked"/>: the handler is not called and no attempt is spent; the engine
/// parks the node until the breaker half-opens.
/// </summary>
/// <remarks>
/// A plain middleware rather than a Polly strategy: the state lives in the store, and what a refusal produces (a parked
/// outcome that Decide() turns into a durable timer) is not something a Polly pipeline returns.
/// </remarks>
internal sealed class CircuitBreakerMiddleware(SharedCircuitBreaker breaker) : IActivityMiddleware
{
    public async Task<ActivityOutcome> InvokeAsync(ActivityInvocation invocation, Func<ActivityInvocation, Task<ActivityOutcome>> next)
    {
        if (invocation.Request.Breaker is not { Key: { } key } policy)
        {
            return await next(invocation);
        }

        SharedCircuitBreaker.Admission admission;
        try
        {
            admission = await breaker.AdmitAsync(policy, invocation.Request.Timeout, invocation.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Advisory: a store that cannot be reached must not stop the work.
            admission = SharedCircuitBreaker.Admission.Admitted;
        }

        if (!admission.Allowed)
        {
            return new ActivityOutcome.Parked(key, admission.RetryAt, invocation.Executions);
        }

        var outcome = await next(invocation);
        try
        {
            await breaker.RecordAsync(policy, admission.IsProbe, outcome is ActivityOutcome.Failed { Class: ErrorClass.Transient }, invocation.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Advisory, as above: the result stands; only its count is lost.
        }

        return outcome;
    }
}
