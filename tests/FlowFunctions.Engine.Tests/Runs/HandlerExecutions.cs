using System.Collections.Concurrent;
using System.Diagnostics;
using FlowFunctions.Engine.Activities;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>Records the activity spans the engine's pipeline emits, so a test can count which nodes of a run executed.</summary>
internal sealed class HandlerExecutions : IDisposable
{
    private readonly ConcurrentQueue<(string RunId, string NodeId)> _executed = new();
    private readonly ActivityListener _listener;

    public HandlerExecutions()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivityTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem(ActivityTelemetry.NodeIdTag) is string node && activity.GetTagItem(ActivityTelemetry.RunIdTag) is string run)
                {
                    _executed.Enqueue((run, node));
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The nodes of <paramref name="runId"/> whose work items ran, in completion order (a node per work item).</summary>
    public IReadOnlyList<string> Of(string runId) => [.. _executed.Where(e => e.RunId == runId).Select(e => e.NodeId)];

    /// <summary>Every (run, node) whose work item ran, in completion order.</summary>
    public IReadOnlyList<(string RunId, string NodeId)> All => [.. _executed];

    public void Dispose() => _listener.Dispose();
}
