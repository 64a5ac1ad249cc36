namespace FlowFunctions.Engine.Activities;

/// <summary>
/// A work item travelling through the middleware pipeline. Copies made by <see cref="WithCancellation"/> share the
/// execution count, so every stage sees how many times the handler has run so far.
/// </summary>
public sealed class ActivityInvocation
{
    private readonly ExecutionCounter counter;

    /// <summary>Starts a work item.</summary>
    /// <param name="request">The work item.</param>
    /// <param name="workItemCancellation">Signals shutdown or cancellation of the node.</param>
    public ActivityInvocation(ActivityRequest request, CancellationToken workItemCancellation)
        : this(request, new ExecutionCounter(), workItemCancellation, workItemCancellation)
    {
    }

    private ActivityInvocation(ActivityRequest request, ExecutionCounter counter, CancellationToken workItemCancellation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Request = request;
        WorkItemCancellation = workItemCancellation;
        CancellationToken = cancellationToken;
        this.counter = counter;
    }

    /// <summary>The work item.</summary>
    public ActivityRequest Request { get; }

    /// <summary>The caller's token: cancelled on shutdown or when the node is cancelled.</summary>
    public CancellationToken WorkItemCancellation { get; }

    /// <summary>The token for the current stage: the work item's token, possibly linked with a timeout.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Handler executions performed so far by this work item.</summary>
    public int Executions => counter.Value;

    /// <summary>
    /// The most executions this work item may perform: <see cref="ActivityRequest.MaxExecutions"/>, never more than what
    /// <c>retry.maxAttempts</c> leaves before <see cref="ActivityRequest.FirstExecution"/>, and at least one.
    /// </summary>
    public int MaxExecutions
    {
        get
        {
            var leftByPolicy = Request.Retry.MaxAttempts - Request.FirstExecution + 1;
            return Math.Max(1, Math.Min(Request.MaxExecutions, leftByPolicy));
        }
    }

    /// <summary>The same work item with another token for the stages further in.</summary>
    public ActivityInvocation WithCancellation(CancellationToken cancellationToken) =>
        new(Request, counter, WorkItemCancellation, cancellationToken);

    /// <summary>Counts one more execution and returns its absolute (1-based) number.</summary>
    internal int BeginExecution() => Request.FirstExecution + Interlocked.Increment(ref counter.Value) - 1;

    private sealed class ExecutionCounter
    {
        public int Value;
    }
}
