using FlowFunctions.Core.Runs;
using Polly;
using Polly.Timeout;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// Limits each execution to <see cref="ActivityRequest.Timeout"/>: the handler's token is cancelled and the execution
/// fails transiently with <c>timed out after &lt;timeout&gt;</c> (so retry, further out, may run it again).
/// </summary>
internal sealed class TimeoutMiddleware : IActivityMiddleware
{
    private static readonly ResiliencePropertyKey<TimeSpan> TimeoutKey = new("flowfunctions.timeout");

    private readonly ResiliencePipeline<ActivityOutcome> pipeline;

    public TimeoutMiddleware(TimeProvider timeProvider) =>
        pipeline = new ResiliencePipelineBuilder<ActivityOutcome> { TimeProvider = timeProvider }
            .AddTimeout(new TimeoutStrategyOptions
            {
                // A generator rather than Timeout: specs may ask for less than 10 ms or more than a day, which the
                // Timeout property rejects.
                TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.GetValue(TimeoutKey, Timeout.InfiniteTimeSpan)),
            })
            .Build();

    public async Task<ActivityOutcome> InvokeAsync(ActivityInvocation invocation, Func<ActivityInvocation, Task<ActivityOutcome>> next)
    {
        if (invocation.Request.Timeout is not { } timeout || timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan)
        {
            return await next(invocation);
        }

        var context = ResilienceContextPool.Shared.Get(invocation.CancellationToken);
        try
        {
            context.Properties.Set(TimeoutKey, timeout);
            return await pipeline.ExecuteAsync(
                static async (context, state) => await state.next(state.invocation.WithCancellation(context.CancellationToken)),
                context,
                (invocation, next));
        }
        catch (TimeoutRejectedException exception)
        {
            return ErrorClassifier.Classify(exception, invocation.Executions);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
