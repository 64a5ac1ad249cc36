using Azure.Core.Pipeline;

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

    /// <summary>
    /// How long a dequeued orchestration or activity message stays invisible to other workers (DTFx renews it while the
    /// work runs); after a crash, its work is taken over this long after it was dequeued. DTFx's default: 5 minutes.
    /// </summary>
    public TimeSpan MessageVisibility { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a worker owns a control-queue partition without renewing it (the table partition manager's lease); a
    /// crashed worker's partitions move to another worker this long after its last renewal. DTFx's default: 30 s.
    /// </summary>
    public TimeSpan PartitionLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Pipeline policies added to DTFx's storage clients, once per attempt (the bench counts requests with one).</summary>
    public IReadOnlyList<HttpPipelinePolicy> AdditionalPolicies { get; init; } = [];

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
