namespace FlowFunctions.Engine;

/// <summary>Tuning of the run engine. The defaults suit the embedded store and a small worker.</summary>
public sealed class EngineOptions
{
    /// <summary>The queue of run wake-ups and timers.</summary>
    public string ControlQueue { get; set; } = "flow-control";

    /// <summary>The queue of activity work items.</summary>
    public string WorkQueue { get; set; } = "flow-work";

    /// <summary>
    /// The priority lane: work items dispatched by an episode that applied a command which makes work ready (a patch, a
    /// raised event, a redrive, a resume). Workers take from it before <see cref="WorkQueue"/>.
    /// </summary>
    public string PriorityWorkQueue { get; set; } = "flow-work-priority";

    /// <summary>The most inbox events one episode applies.</summary>
    public int MaxEventsPerEpisode { get; set; } = 256;

    /// <summary>The most activities, timers and inline steps one episode starts (the budget passed to Decide()).</summary>
    public int MaxDispatchesPerEpisode { get; set; } = 64;

    /// <summary>Values (inputs, outputs, map items) larger than this many bytes of JSON go to the artifact store.</summary>
    public int InlineValueLimitBytes { get; set; } = 32 * 1024;

    /// <summary>How long a run lease lasts; an episode renews it, a crashed holder's lease simply expires.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a taken work item stays invisible before the heartbeat must renew it.</summary>
    public TimeSpan WorkVisibility { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a taken control message stays invisible.</summary>
    public TimeSpan ControlVisibility { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many work messages a worker runs at once (each holds up to <see cref="WorkItemsPerMessage"/> activities).</summary>
    public int MaxConcurrentActivities { get; set; } = 16;

    /// <summary>
    /// How many work items of one run share a queue message. More means fewer queue and inbox operations per activity
    /// on wide fan-outs; one means each activity can be taken by a different worker.
    /// </summary>
    public int WorkItemsPerMessage { get; set; } = 8;

    /// <summary>
    /// While a run's status does not change, its run index entry (progress, updated time) is rewritten at most this
    /// often by one process; status changes are written at once. Zero writes it after every episode.
    /// </summary>
    public TimeSpan IndexRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The local fast path for sequential steps: when an episode dispatches the only work of its run (at most one work
    /// message) and a worker of this process has a free slot, that worker runs it at once instead of the work queue, and
    /// the episode runner waits for its results to apply them in its next commit without letting go of the run's lease.
    /// This long (and at most a quarter of <see cref="LeaseDuration"/>) bounds both the wait for one step (a slower one's
    /// results are stored in the inbox by the worker, as for a queued work message) and how long one processing pass
    /// keeps starting local steps (then the next step goes through the work queue). Zero sends all work through the work queue.
    /// </summary>
    public TimeSpan LocalActivityWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many runs' states this process keeps in memory between episodes.</summary>
    public int StateCacheSize { get; set; } = 1024;

    /// <summary>The idle polling interval a worker backs off to when the queues are empty.</summary>
    public TimeSpan MaxPollDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a worker sweeps unfinished runs for events or effects whose wake-up was lost.</summary>
    public TimeSpan HousekeepingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a finished run (Succeeded, Failed or Cancelled) is kept after it finished; null (the default) keeps runs
    /// forever. The housekeeping sweep deletes expired runs: every row of the run's partition and its run index entry.
    /// Artifacts are content-addressed and may be shared by several runs, so they are not deleted.
    /// </summary>
    public TimeSpan? RunRetention { get; set; }

    /// <summary>The most expired runs one housekeeping sweep deletes, so that one sweep's work stays bounded; the rest wait for the next sweep.</summary>
    public int MaxRunsDeletedPerSweep { get; set; } = 100;

    /// <summary>The longest a single queue message may stay invisible (Azure Storage queues allow 7 days); longer timers re-arm.</summary>
    public TimeSpan MaxTimerStep { get; set; } = TimeSpan.FromDays(7);
}
