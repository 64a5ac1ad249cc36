namespace FlowFunctions.Engine.Worker;

/// <summary>
/// Lets a worker in the same process skip its idle back-off when new work was just enqueued here (an embedded
/// <c>flow run</c>, a host that also works runs). Workers in other processes still find the work by polling.
/// </summary>
public sealed class WakeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes every waiter.</summary>
    public void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits until <see cref="Notify"/> or <paramref name="timeout"/>, whichever is first; true when signalled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var signalled = Volatile.Read(ref _next).Task;
        using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, delayCancel.Token);
        var first = await Task.WhenAny(signalled, delay);
        await delayCancel.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return first == signalled;
    }
}
