namespace FlowFunctions.Storage;

/// <summary>Everything the engine stores, behind one object so that a host picks one backend (SQLite or Azure Storage).</summary>
public interface IFlowStore : IAsyncDisposable
{
    /// <summary>Run partitions (state, inbox, outbox, fencing, history).</summary>
    IPartitionStore Partitions { get; }

    /// <summary>Control, timer and work queues.</summary>
    IWorkQueue Queues { get; }

    /// <summary>Large values and spec texts.</summary>
    IArtifactStore Artifacts { get; }

    /// <summary>The run list.</summary>
    IRunIndex Runs { get; }

    /// <summary>Circuit breaker states shared by all workers; by default a reserved partition of <see cref="Partitions"/>.</summary>
    IBreakerStore Breakers => new PartitionBreakerStore(Partitions);

    /// <summary>The step cache; by default a reserved partition of <see cref="Partitions"/>.</summary>
    IStepCacheStore StepCache => new PartitionStepCacheStore(Partitions);
}
