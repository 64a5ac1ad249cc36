using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// The tracing source and meter of the engine (runs, episodes, the activity pipeline); subscribe to <see cref="Name"/> to
/// collect them. Spans: <c>start run</c>, <c>episode</c>, <c>timer</c> and <c>activity {type}</c>, one trace per run
/// (see docs/operations.md#telemetry).
/// </summary>
public static class ActivityTelemetry
{
    /// <summary>The name of both the <see cref="ActivitySource"/> and the <see cref="Meter"/>.</summary>
    public const string Name = "FlowFunctions.Engine";

    /// <summary>Tag: the run id.</summary>
    public const string RunIdTag = "flowfunctions.run.id";

    /// <summary>Tag: the node id.</summary>
    public const string NodeIdTag = "flowfunctions.node.id";

    /// <summary>Tag: the node type.</summary>
    public const string NodeTypeTag = "flowfunctions.node.type";

    /// <summary>Tag: the attempt token (number of the first execution of the work item).</summary>
    public const string AttemptTag = "flowfunctions.attempt";

    /// <summary>Tag: handler executions performed by the work item.</summary>
    public const string ExecutionsTag = "flowfunctions.executions";

    /// <summary>Tag: <c>succeeded</c>, <c>cached</c> (a step cache hit), <c>parked</c> (an open circuit breaker), <c>failed</c> or <c>cancelled</c>.</summary>
    public const string OutcomeTag = "flowfunctions.outcome";

    /// <summary>Tag: <c>transient</c> or <c>permanent</c>, on failures.</summary>
    public const string ErrorClassTag = "error.type";

    /// <summary>Tag: the workflow (spec) name.</summary>
    public const string WorkflowTag = "flowfunctions.workflow";

    /// <summary>Tag: the status a run finished with (<c>Succeeded</c>, <c>Failed</c>, <c>Cancelled</c>).</summary>
    public const string RunStatusTag = "flowfunctions.run.status";

    /// <summary>Tag: the inbox events an episode applied.</summary>
    public const string EpisodeEventsTag = "flowfunctions.episode.events";

    /// <summary>Tag: the number of the durable run's step an <c>episode</c> span applies (durable engine only).</summary>
    public const string DurableStepTag = "flowfunctions.durable.step";

    /// <summary>Tag: the storage requests an episode sent (Azure store; see <see cref="FlowFunctions.Storage.StorageRequests"/>).</summary>
    public const string StorageRequestsTag = "flowfunctions.storage.requests";

    /// <summary>Tag: why a timer fired (<c>Retry</c>, <c>Delay</c>, <c>Timeout</c>, ...).</summary>
    public const string TimerPurposeTag = "flowfunctions.timer.purpose";

    /// <summary>Tag: the queue a message came from.</summary>
    public const string QueueTag = "messaging.destination.name";

    internal static readonly ActivitySource Source = new(Name);

    internal static readonly Meter Meter = new(Name);

    /// <summary>Handler executions, inline retries included.</summary>
    internal static readonly Counter<long> Executions =
        Meter.CreateCounter<long>("flowfunctions.activity.executions", "{execution}", "Handler executions, inline retries included.");

    /// <summary>Work items that ended failed, by error class.</summary>
    internal static readonly Counter<long> Failures =
        Meter.CreateCounter<long>("flowfunctions.activity.failures", "{work_item}", "Work items that ended failed, by error class.");

    /// <summary>Wall time of a work item, inline retries and their delays included.</summary>
    internal static readonly Histogram<double> Duration =
        Meter.CreateHistogram<double>("flowfunctions.activity.duration", "s", "Duration of a work item, inline retries included.");

    /// <summary>Wall time of a run episode (load, decide, commit, dispatch).</summary>
    internal static readonly Histogram<double> EpisodeDuration =
        Meter.CreateHistogram<double>("flowfunctions.episode.duration", "s", "Duration of a run episode: load, decide, commit and dispatch.");

    /// <summary>Inbox events applied by episodes.</summary>
    internal static readonly Counter<long> EventsApplied =
        Meter.CreateCounter<long>("flowfunctions.episode.events", "{event}", "Inbox events applied by run episodes.");

    /// <summary>Runs started (reruns included), by workflow.</summary>
    internal static readonly Counter<long> RunsStarted =
        Meter.CreateCounter<long>("flowfunctions.runs.started", "{run}", "Runs started, reruns included.");

    /// <summary>Runs that reached a terminal status, by workflow and status.</summary>
    internal static readonly Counter<long> RunsFinished =
        Meter.CreateCounter<long>("flowfunctions.runs.finished", "{run}", "Runs that reached a terminal status.");

    /// <summary>Wall time of an episode's atomic commit (one batch, or a journaled chunked commit).</summary>
    internal static readonly Histogram<double> CommitDuration =
        Meter.CreateHistogram<double>("flowfunctions.episode.commit.duration", "s", "Duration of a run episode's commit.");

    /// <summary>Storage requests of an episode (Azure store: HTTP attempts, retries included).</summary>
    internal static readonly Histogram<long> EpisodeStorageRequests =
        Meter.CreateHistogram<long>("flowfunctions.episode.storage_requests", "{request}", "Storage requests sent by a run episode.");

    /// <summary>Time a work message waited in its queue before a worker took it (first delivery only).</summary>
    internal static readonly Histogram<double> QueueWait =
        Meter.CreateHistogram<double>("flowfunctions.work.queue_wait", "s", "Time from enqueue to first dequeue of a work message.");
}
