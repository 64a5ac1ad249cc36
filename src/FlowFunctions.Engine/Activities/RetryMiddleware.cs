using FlowFunctions.Core.Runs;
using Polly;
using Polly.Retry;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// Retries transient failures inside the work item when the wait is short; leaves long waits to the engine.
/// </summary>
/// <remarks>
/// The rule. <c>retry.maxAttempts</c> bounds the total number of handler executions of a node, whichever layer retries,
/// and this work item may perform at most <see cref="ActivityInvocation.MaxExecutions"/> of them. After execution
/// <c>n</c> (absolute: <c>request.FirstExecution + k</c>) fails:
/// <list type="bullet">
/// <item>a permanent failure, or a transient one that <c>retry.retryOn</c> does not select, is returned at once, never
/// retried (by either layer);</item>
/// <item>a selected transient failure is retried here, after <c>request.Retry.DelayAfter(n, jitter, retryAfter)</c> (the
/// backoff, or the server's Retry-After when longer, capped by maxDelay), when the work item has executions left,
/// that delay is at most <see cref="ActivityExecutorOptions.InlineRetryThreshold"/> <em>and</em> the retry would start
/// before the node's deadline;</item>
/// <item>otherwise it is returned as <see cref="ActivityOutcome.Failed"/> (transient) with the executions so far, and the
/// engine schedules the rest of the attempts as durable timers (computing the delay after <c>n</c> itself).</item>
/// </list>
/// The jitter for a decision is drawn once from the injected source (only when the policy has jitter), so the delay
/// that is compared with the threshold is the delay that is waited.
/// </remarks>
internal sealed class RetryMiddleware : IActivityMiddleware
{
    private static readonly ResiliencePropertyKey<ActivityInvocation> InvocationKey = new("flowfunctions.invocation");
    private static readonly ResiliencePropertyKey<TimeSpan> NextDelayKey = new("flowfunctions.retry.delay");

    private readonly TimeProvider timeProvider;
    private readonly TimeSpan inlineThreshold;
    private readonly Func<double> jitter;
    private readonly ResiliencePipeline<ActivityOutcome> pipeline;

    public RetryMiddleware(TimeProvider timeProvider, TimeSpan inlineThreshold, Func<double> jitter)
    {
        this.timeProvider = timeProvider;
        this.inlineThreshold = inlineThreshold;
        this.jitter = jitter;
        pipeline = new ResiliencePipelineBuilder<ActivityOutcome> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<ActivityOutcome>
            {
                // The real bound is ShouldRetryInline (the work item's executions); Polly only counts.
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Constant,
                UseJitter = false,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result is ActivityOutcome.Failed failed && ShouldRetryInline(args.Context, failed)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.GetValue(NextDelayKey, TimeSpan.Zero)),
            })
            .Build();
    }

    public async Task<ActivityOutcome> InvokeAsync(ActivityInvocation invocation, Func<ActivityInvocation, Task<ActivityOutcome>> next)
    {
        if (invocation.MaxExecutions <= invocation.Executions + 1)
        {
            return await next(invocation);
        }

        var context = ResilienceContextPool.Shared.Get(invocation.CancellationToken);
        try
        {
            context.Properties.Set(InvocationKey, invocation);
            return await pipeline.ExecuteAsync(
                static async (context, state) => await state.next(state.invocation.WithCancellation(context.CancellationToken)),
                context,
                (invocation, next));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private bool ShouldRetryInline(ResilienceContext context, ActivityOutcome.Failed failed)
    {
        var invocation = context.Properties.GetValue(InvocationKey, null!);
        var failedExecution = invocation.Request.FirstExecution + invocation.Executions - 1;
        var retry = invocation.Request.Retry;
        if (invocation.Executions >= invocation.MaxExecutions || !retry.Retries(failedExecution, failed.Class, failed.Kind, failed.Status))
        {
            return false;
        }

        var delay = retry.DelayAfter(failedExecution, retry.Jitter ? jitter() : 0, failed.RetryAfter);
        if (delay > inlineThreshold || timeProvider.GetUtcNow() + delay >= invocation.Request.Deadline)
        {
            return false;
        }

        context.Properties.Set(NextDelayKey, delay);
        return true;
    }
}
