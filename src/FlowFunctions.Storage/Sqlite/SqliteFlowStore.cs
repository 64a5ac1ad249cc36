namespace FlowFunctions.Storage.Sqlite;

/// <summary>
/// The embedded store: partitions, queues, artifacts and the run index in one SQLite file (WAL mode), which several
/// processes on one machine may share, such as a detached <c>flow run</c> and a <c>flow worker</c>.
/// </summary>
public sealed class SqliteFlowStore : IFlowStore
{
    private readonly SqliteConnectionFactory connections;

    /// <summary>
    /// Opens (or creates, with its directory) the database at <paramref name="path"/> and creates the schema when
    /// missing.
    /// </summary>
    /// <param name="path">The database file, for example <c>./.flow/flow.db</c>.</param>
    /// <param name="timeProvider">The clock for queue visibility; tests pass a fake one.</param>
    public SqliteFlowStore(string path, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(timeProvider);
        connections = new SqliteConnectionFactory(path);
        Partitions = new SqlitePartitionStore(connections);
        Queues = new SqliteWorkQueue(connections, timeProvider);
        Artifacts = new SqliteArtifactStore(connections);
        Runs = new SqliteRunIndex(connections);
        Breakers = new PartitionBreakerStore(Partitions);
        StepCache = new PartitionStepCacheStore(Partitions);
    }

    /// <inheritdoc />
    public IPartitionStore Partitions { get; }

    /// <inheritdoc />
    public IWorkQueue Queues { get; }

    /// <inheritdoc />
    public IArtifactStore Artifacts { get; }

    /// <inheritdoc />
    public IRunIndex Runs { get; }

    /// <summary>Circuit breaker states, in the reserved partition <c>$breakers</c> of the partition table.</summary>
    public IBreakerStore Breakers { get; }

    /// <summary>The step cache, in the reserved partition <c>$stepcache</c> of the partition table.</summary>
    public IStepCacheStore StepCache { get; }

    /// <summary>Opens the store off the calling thread, for callers that must not block on file I/O.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="timeProvider">The clock for queue visibility.</param>
    /// <param name="cancellationToken">Cancels the open if it has not started yet.</param>
    public static Task<SqliteFlowStore> OpenAsync(string path, TimeProvider timeProvider, CancellationToken cancellationToken) =>
        Task.Run(() => new SqliteFlowStore(path, timeProvider), cancellationToken);

    /// <summary>Closes the idle pooled connections of the file, so that it can be deleted or moved afterwards.</summary>
    public ValueTask DisposeAsync()
    {
        connections.ClearPool();
        return ValueTask.CompletedTask;
    }
}
