using Microsoft.Extensions.Logging;

namespace FlowFunctions.Engine.Worker;

/// <summary>
/// Keeps a poll loop alive while the store is unreachable: a failed poll waits 1 s, 2 s, 4 s ... up to 30 s before the
/// next one, and is logged on the first failure, then on the 2nd, 4th, 8th ... in a row, so an outage of any length
/// costs a handful of log lines; the first poll that works again says so.
/// </summary>
internal sealed class PollBackoff(string queue, ILogger logger, TimeProvider time)
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);

    private int _failures;

    /// <summary>Records a poll that worked.</summary>
    public void Succeeded()
    {
        if (_failures > 0)
        {
            WorkerLog.PollRecovered(logger, queue, _failures);
            _failures = 0;
        }
    }

    /// <summary>Records a failed poll and waits before the next one (returns early when <paramref name="stop"/> is cancelled).</summary>
    public async Task FailedAsync(Exception exception, CancellationToken stop)
    {
        _failures++;
        var delay = TimeSpan.FromTicks(Math.Min(First.Ticks << Math.Min(_failures - 1, 16), Longest.Ticks));
        if ((_failures & (_failures - 1)) == 0)
        {
            WorkerLog.PollFailed(logger, exception, queue, _failures, delay);
        }

        try
        {
            await Task.Delay(delay, time, stop);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
