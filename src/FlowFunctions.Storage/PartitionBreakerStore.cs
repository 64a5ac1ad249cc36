namespace FlowFunctions.Storage;

/// <summary>
/// <see cref="IBreakerStore"/> on one partition of an <see cref="IPartitionStore"/>: a row per key, conditional
/// inserts and replaces for the optimistic concurrency. On SQLite the partition lives in the file's partition table;
/// on Azure it is a table of its own (see <c>AzureFlowStore</c>).
/// </summary>
/// <param name="partitions">The partition store.</param>
/// <param name="partition">The partition holding the breakers; never a run id (run ids cannot start with <c>$</c>).</param>
public sealed class PartitionBreakerStore(IPartitionStore partitions, string partition = PartitionBreakerStore.DefaultPartition) : IBreakerStore
{
    /// <summary>The partition used when the store shares its partition store with runs.</summary>
    public const string DefaultPartition = "$breakers";

    /// <inheritdoc />
    public Task<StoredRow?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return partitions.GetAsync(partition, key, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<string?> TryWriteAsync(string key, string state, string? etag, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(state);
        RowOperation write = etag is null ? new RowOperation.Insert(key, state) : new RowOperation.Replace(key, state, etag);
        try
        {
            return (await partitions.ExecuteAsync(partition, [write], cancellationToken))[0];
        }
        catch (BatchConflictException)
        {
            return null;
        }
    }
}
