using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlowFunctions.Engine.Activities;

/// <summary>The tracing source and meter of the activity pipeline; subscribe to <see cref="Name"/> to collect them.</summary>
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
}
