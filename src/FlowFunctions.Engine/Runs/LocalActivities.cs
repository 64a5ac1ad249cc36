using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;

namespace FlowFunctions.Engine.Runs;

/// <summary>
/// Work items that an episode handed to a worker of this process instead of the work queue (the local fast path), and
/// who applies their results. The episode runner that dispatched them waits a short while and applies them in its next
/// commit, still holding the run's lease; when it stops waiting first, the worker stores them in the run's inbox, as it
/// would for a queued work message. Their outbox rows stay until then: they are the crash safety net (a leftover outbox
/// row is dispatched to the work queue by the next episode of another process, or after housekeeping wakes the run).
/// </summary>
internal sealed class LocalActivities(string runId, IReadOnlyList<(ActivityRequest Request, string OutboxKey)> items)
{
    private const int Open = 0;
    private const int Handed = 1;
    private const int LeftToWorker = 2;

    private readonly TaskCompletionSource<LocalResults> _results = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public string RunId => runId;

    public IReadOnlyList<(ActivityRequest Request, string OutboxKey)> Items => items;

    /// <summary>
    /// Called by the worker when the activities ended: true when the waiting episode runner takes the results, false
    /// when it stopped waiting and the worker stores them itself.
    /// </summary>
    public bool TryHand(LocalResults results)
    {
        if (Interlocked.CompareExchange(ref _state, Handed, Open) != Open)
        {
            return false;
        }

        _results.SetResult(results);
        return true;
    }

    /// <summary>The results when the activities end within <paramref name="wait"/>; otherwise null, and the worker stores them.</summary>
    public async Task<LocalResults?> WaitAsync(TimeSpan wait, TimeProvider time)
    {
        try
        {
            return await _results.Task.WaitAsync(wait, time, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            // Racing the worker's TryHand: whoever moves the state first decides who applies the results.
            return Interlocked.CompareExchange(ref _state, LeftToWorker, Open) == Open ? null : await _results.Task;
        }
    }
}

/// <summary>What became of local work items: the results to apply, and the outbox rows whose work is done.</summary>
/// <param name="Events">The results (inbox events) of the items that finished.</param>
/// <param name="DoneOutboxKeys">The outbox rows of the items that finished or were superseded; an item abandoned at shutdown keeps its row.</param>
internal sealed record LocalResults(IReadOnlyList<(string EventId, RunEvent Event)> Events, IReadOnlyList<string> DoneOutboxKeys);

/// <summary>A worker of this process that can run an episode's work items right away (see <see cref="LocalActivities"/>).</summary>
internal interface ILocalActivityRunner
{
    /// <summary>Starts the items on a free activity slot and returns true, or returns false when no slot is free.</summary>
    bool TryStart(LocalActivities work);
}
