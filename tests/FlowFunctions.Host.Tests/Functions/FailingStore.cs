using FlowFunctions.Storage;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>A store whose every operation fails as an unreachable service would (a transient failure).</summary>
internal sealed class FailingStore : IFlowStore, IPartitionStore, IWorkQueue, IArtifactStore, IRunIndex
{
    public IPartitionStore Partitions => this;

    public IWorkQueue Queues => this;

    public IArtifactStore Artifacts => this;

    public IRunIndex Runs => this;

    public BatchLimits Limits => BatchLimits.Unlimited;

    private static IOException Down() => new("the store is down");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    Task IRunIndex.DeleteAsync(string runId, CancellationToken cancellationToken) => throw Down();

    public Task<StoredRow?> GetAsync(string partition, string key, CancellationToken cancellationToken) => throw Down();

    public Task<IReadOnlyList<StoredRow>> QueryAsync(string partition, string keyPrefix, CancellationToken cancellationToken) => throw Down();

    public Task<IReadOnlyList<string>> ExecuteAsync(string partition, IReadOnlyList<RowOperation> operations, CancellationToken cancellationToken) => throw Down();

    public Task EnqueueAsync(string queue, string body, TimeSpan initialVisibilityDelay, CancellationToken cancellationToken) => throw Down();

    public Task<IReadOnlyList<QueueMessage>> DequeueAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken) => throw Down();

    public Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken) => throw Down();

    public Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken) => throw Down();

    public Task<int> CountAsync(string queue, CancellationToken cancellationToken) => throw Down();

    public Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => throw Down();

    public Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken) => throw Down();

    public Task UpsertAsync(RunSummary summary, CancellationToken cancellationToken) => throw Down();

    public Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken) => throw Down();
}
