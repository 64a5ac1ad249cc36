using global::Azure.Core;
using global::Azure.Data.Tables;
using global::Azure.Core.Pipeline;
using global::Azure.Storage.Queues;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// The Azure Storage store: run partitions and the run index in Table storage, queues in Queue storage, artifacts in
/// Blob storage, all on one account, through the official SDK clients (Azure.Data.Tables, Azure.Storage.Queues,
/// Azure.Storage.Blobs). Tables, queues and the container are created on first use, so a fresh
/// account (or Azurite) needs no set-up. See docs/storage.md for the table design.
/// </summary>
public sealed class AzureFlowStore : IFlowStore
{
    /// <summary>The table of run partitions (without the name prefix).</summary>
    public const string PartitionsTable = "flowruns";

    /// <summary>The table of the run index (without the name prefix).</summary>
    public const string RunIndexTable = "flowrunindex";

    /// <summary>The table of circuit breaker states (without the name prefix).</summary>
    public const string BreakersTable = "flowbreakers";

    /// <summary>The table of the step cache (without the name prefix).</summary>
    public const string StepCacheTable = "flowstepcache";

    /// <summary>The blob container of artifacts (without the name prefix).</summary>
    public const string ArtifactsContainer = "flow-artifacts";

    private readonly TableServiceClient tables;
    private readonly AzureArtifactStore artifacts;
    private readonly AzurePartitionStore partitions;
    private readonly AzureWorkQueue queues;
    private readonly AzureRunIndex runs;
    private readonly AzurePartitionStore breakerPartitions;
    private readonly AzurePartitionStore cachePartitions;
    private readonly string partitionsTable;
    private readonly string runIndexTable;

    /// <summary>Opens the store on the account a connection string names.</summary>
    /// <param name="connectionString">
    /// <c>UseDevelopmentStorage=true</c>; <c>DefaultEndpointsProtocol=https;AccountName=..;AccountKey=..;EndpointSuffix=..</c>;
    /// or <c>TableEndpoint=..;QueueEndpoint=..;BlobEndpoint=..;AccountName=..</c>. Without AccountKey, requests carry Entra
    /// ID tokens from <see cref="AzureFlowStoreOptions.Credential"/> (default: <c>DefaultAzureCredential</c>).
    /// </param>
    /// <param name="timeProvider">
    /// The store's clock. The SDKs date and sign requests with the real clock, which is what the service checks, and the
    /// service decides queue visibility by its own clock; nothing here reads this one yet.
    /// </param>
    /// <param name="options">Name prefix, credential and retry settings; null for the defaults.</param>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    public AzureFlowStore(string connectionString, TimeProvider timeProvider, AzureFlowStoreOptions? options = null)
        : this(StorageAccount.Parse(connectionString), timeProvider, options ?? new AzureFlowStoreOptions())
    {
    }

    internal AzureFlowStore(StorageAccount account, TimeProvider timeProvider, AzureFlowStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        var clients = new AzureServiceClients(account, options);
        var tableOptions = clients.TableOptions();
        tableOptions.AddPolicy(new BatchBodyOncePolicy(), HttpPipelinePosition.PerCall);
        tables = clients.Tables(tableOptions);

        // Bodies stay plain text for the SDK: AzureWorkQueue encodes them in base64 itself, which is what host.json's
        // messageEncoding promises the Functions queue triggers, and it keeps reading the non-base64 references older
        // versions wrote (the SDK's Base64 decoding would refuse those).
        var queueOptions = clients.QueueOptions();
        queueOptions.MessageEncoding = QueueMessageEncoding.None;
        var blobs = clients.Blobs(clients.BlobOptions());

        NamePrefix = clients.NamePrefix;
        partitionsTable = NamePrefix + PartitionsTable;
        runIndexTable = NamePrefix + RunIndexTable;
        artifacts = new AzureArtifactStore(blobs.GetBlobContainerClient(NamePrefix + ArtifactsContainer));
        partitions = new AzurePartitionStore(tables.GetTableClient(partitionsTable), artifacts, new CreateOnce());
        queues = new AzureWorkQueue(clients.Queues(queueOptions), artifacts, NamePrefix);
        runs = new AzureRunIndex(tables.GetTableClient(runIndexTable), new CreateOnce());
        breakerPartitions = new AzurePartitionStore(tables.GetTableClient(NamePrefix + BreakersTable), artifacts, new CreateOnce());
        cachePartitions = new AzurePartitionStore(tables.GetTableClient(NamePrefix + StepCacheTable), artifacts, new CreateOnce());
        Breakers = new PartitionBreakerStore(breakerPartitions);
        StepCache = new PartitionStepCacheStore(cachePartitions);
    }

    /// <inheritdoc />
    public IPartitionStore Partitions => partitions;

    /// <inheritdoc />
    public IWorkQueue Queues => queues;

    /// <inheritdoc />
    public IArtifactStore Artifacts => artifacts;

    /// <inheritdoc />
    public IRunIndex Runs => runs;

    /// <summary>Circuit breaker states, in a table of their own.</summary>
    public IBreakerStore Breakers { get; }

    /// <summary>The step cache, in a table of its own (large outputs go to the artifacts container).</summary>
    public IStepCacheStore StepCache { get; }

    /// <summary>The prefix in force: the options', else the connection string's <c>NamePrefix=</c>, else empty.</summary>
    internal string NamePrefix { get; }

    /// <summary>Nothing to release: the SDK clients share Azure.Core's pooled connections.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Creates the tables and the container now instead of on first use (queues are created per name on first use).</summary>
    /// <param name="cancellationToken">Cancels the requests.</param>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await partitions.EnsureTableAsync(cancellationToken);
        await runs.EnsureTableAsync(cancellationToken);
        await breakerPartitions.EnsureTableAsync(cancellationToken);
        await cachePartitions.EnsureTableAsync(cancellationToken);
        await artifacts.EnsureContainerAsync(cancellationToken);
    }

    /// <summary>Creates the named queues now (idempotent): a Functions host's queue triggers poll queues that must exist.</summary>
    /// <param name="queueNames">Queue names without the name prefix.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    public Task EnsureQueuesAsync(IEnumerable<string> queueNames, CancellationToken cancellationToken) => queues.EnsureQueuesAsync(queueNames, cancellationToken);

    /// <summary>Deletes the tables, the container and the queues this instance used (tests; the prefix keeps others safe).</summary>
    internal async Task DeleteStorageAsync(IEnumerable<string> extraQueues, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { partitionsTable, runIndexTable, NamePrefix + BreakersTable, NamePrefix + StepCacheTable })
        {
            try
            {
                await tables.DeleteTableAsync(table, cancellationToken);
            }
            catch (global::Azure.RequestFailedException error) when (StorageFailures.IsNotFound(error))
            {
                // Never created: nothing to delete.
            }
        }

        await artifacts.DeleteContainerAsync(cancellationToken);
        foreach (var queue in queues.CreatedQueues.Union(extraQueues.Select(queues.QueueName)))
        {
            await queues.DeleteQueueIfExistsAsync(queue, cancellationToken);
        }
    }
}
