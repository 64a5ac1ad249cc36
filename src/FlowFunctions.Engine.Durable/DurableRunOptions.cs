namespace FlowFunctions.Engine.Durable;

/// <summary>Tuning of the Durable Task engine (docs/architecture.md, "Two engines").</summary>
public sealed class DurableRunOptions
{
    /// <summary>The task hub: DTFx's queues, history and instance tables and lease blobs are named after it.</summary>
    public string TaskHubName { get; set; } = "flowfunctions";

    /// <summary>Control-queue partitions (DTFx's default is 4; orchestrations are spread over them, at most 16).</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>
    /// The longest an idle worker waits between queue polls. DTFx's default is 30 s; 1 s matches our engine's
    /// <see cref="EngineOptions.MaxPollDelay"/>, so the two are compared at the same idle latency.
    /// </summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Activities one worker runs at once.</summary>
    public int MaxConcurrentActivities { get; set; } = 64;

    /// <summary>Orchestration episodes one worker runs at once.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 16;

    /// <summary>
    /// After this many activities and timers in one orchestration generation, the orchestration stops starting new
    /// work, lets what runs finish and continues as new, so its history (replayed at every wake-up) stays bounded.
    /// </summary>
    public int ContinueAsNewAfter { get; set; } = 500;
}
