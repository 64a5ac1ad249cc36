using System.Security.Cryptography;
using FlowFunctions.Core.Runs;
using FlowFunctions.Storage;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// Runs work items: finds the handler for the node type and sends the execution through the middleware pipeline.
/// Handler failures come back as <see cref="ActivityOutcome.Failed"/>; the only exception is
/// <see cref="OperationCanceledException"/> when the caller's token is cancelled.
/// </summary>
public sealed class ActivityExecutor
{
    private readonly Dictionary<string, IActivityHandler> handlers;
    private readonly ChaosInjector chaos;
    private readonly Func<ActivityInvocation, Task<ActivityOutcome>> pipeline;

    /// <summary>Creates the executor with the standard pipeline.</summary>
    /// <param name="handlers">The node type handlers (one per type).</param>
    /// <param name="options">Executor settings.</param>
    /// <param name="timeProvider">The clock for retry delays, timeouts and durations.</param>
    /// <param name="jitter">Source of numbers in [0, 1) for retry jitter; a cryptographic source when null.</param>
    /// <param name="store">
    /// The store holding shared circuit breaker states and the step cache; without one, <c>circuitBreaker</c> and
    /// <c>cache</c> are not applied (an executor of a <see cref="FlowEngine"/> always has its store).
    /// </param>
    public ActivityExecutor(
        IEnumerable<IActivityHandler> handlers,
        IOptions<ActivityExecutorOptions> options,
        TimeProvider timeProvider,
        Func<double>? jitter = null,
        IFlowStore? store = null)
        : this(
            handlers,
            StandardMiddleware(options?.Value ?? new(), timeProvider, jitter ?? SecureJitter, store),
            new ChaosInjector(options?.Value.Chaos ?? new(), timeProvider))
    {
    }

    /// <summary>Creates the executor with the given pipeline, outermost stage first, and no chaos unless given.</summary>
    internal ActivityExecutor(IEnumerable<IActivityHandler> handlers, IReadOnlyList<IActivityMiddleware> middleware, ChaosInjector? chaos = null)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentNullException.ThrowIfNull(middleware);
        this.chaos = chaos ?? new ChaosInjector(new ChaosOptions(), TimeProvider.System);
        this.handlers = new(StringComparer.Ordinal);
        foreach (var handler in handlers)
        {
            if (!this.handlers.TryAdd(handler.NodeType, handler))
            {
                throw new InvalidOperationException($"two activity handlers are registered for node type '{handler.NodeType}'");
            }
        }

        Middleware = middleware;
        Func<ActivityInvocation, Task<ActivityOutcome>> next = ExecuteHandlerAsync;
        for (var i = middleware.Count - 1; i >= 0; i--)
        {
            var stage = middleware[i];
            var inner = next;
            next = invocation => stage.InvokeAsync(invocation, inner);
        }

        pipeline = next;
    }

    /// <summary>The pipeline, outermost stage first.</summary>
    internal IReadOnlyList<IActivityMiddleware> Middleware { get; }

    /// <summary>Runs a work item: one execution, plus the inline retries its retry policy allows.</summary>
    /// <param name="request">The work item.</param>
    /// <param name="cancellationToken">Shutdown or cancellation of the node; the only cause of an exception.</param>
    public async Task<ActivityOutcome> ExecuteAsync(ActivityRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        return await pipeline(new ActivityInvocation(request, cancellationToken));
    }

    /// <summary>
    /// The standard pipeline, outermost first. The order matters (docs/resilience.md):
    /// <list type="number">
    /// <item>telemetry: one span and one set of metrics per work item, whatever happens inside;</item>
    /// <item>step cache (only with a store): a hit skips retries and the handler, and is still traced;</item>
    /// <item>retry: calls everything below once per execution;</item>
    /// <item>circuit breaker (only with a store): inside retry, so it admits and counts every execution;</item>
    /// <item>timeout: limits each execution, so a timed-out execution is a transient failure that retry may repeat;</item>
    /// <item>the handler (reached through <see cref="ExecuteHandlerAsync"/>, which counts executions, applies chaos when
    /// configured, and classifies errors).</item>
    /// </list>
    /// </summary>
    internal static IReadOnlyList<IActivityMiddleware> StandardMiddleware(ActivityExecutorOptions options, TimeProvider timeProvider, Func<double> jitter, IFlowStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return
        [
            new TelemetryMiddleware(timeProvider),
            .. store is null ? [] : new IActivityMiddleware[] { new StepCacheMiddleware(store.StepCache, timeProvider) },
            new RetryMiddleware(timeProvider, options.InlineRetryThreshold, jitter),
            .. store is null ? [] : new IActivityMiddleware[] { new CircuitBreakerMiddleware(new SharedCircuitBreaker(store.Breakers, timeProvider)) },
            new TimeoutMiddleware(timeProvider),
        ];
    }

    private static double SecureJitter() => RandomNumberGenerator.GetInt32(int.MaxValue) / (double)int.MaxValue;

    /// <summary>The end of the pipeline: one execution of the handler.</summary>
    private async Task<ActivityOutcome> ExecuteHandlerAsync(ActivityInvocation invocation)
    {
        var request = invocation.Request;
        var execution = invocation.BeginExecution();
        if (!handlers.TryGetValue(request.NodeType, out var handler))
        {
            return new ActivityOutcome.Failed($"no handler for node type '{request.NodeType}'", ErrorClass.Permanent, invocation.Executions);
        }

        try
        {
            var output = await chaos.ExecuteAsync(handler, new ActivityExecution(request, execution), invocation.CancellationToken);
            return new ActivityOutcome.Succeeded(output, invocation.Executions);
        }
        catch (OperationCanceledException) when (invocation.CancellationToken.IsCancellationRequested)
        {
            // Our own token: shutdown, cancellation or the timeout stage; the stage that owns the token decides.
            throw;
        }
        catch (Exception exception) when (invocation.WorkItemCancellation.IsCancellationRequested)
        {
            // A failure while being cancelled is most likely caused by the cancellation: report the cancellation.
            throw new OperationCanceledException("the work item was cancelled", exception, invocation.WorkItemCancellation);
        }
        catch (Exception exception)
        {
            return ErrorClassifier.Classify(exception, invocation.Executions);
        }
    }
}
