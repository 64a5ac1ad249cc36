namespace FlowFunctions.Storage;

/// <summary>
/// Partitions of rows with atomic multi-row batches inside one partition: the shape of Azure Table storage's
/// entity-group transactions, which the run engine is built on (one partition per run).
/// </summary>
public interface IPartitionStore
{
    /// <summary>The largest number of operations one batch may hold (Azure's entity-group limit).</summary>
    const int MaxBatchOperations = 100;

    /// <summary>How much one batch of this store may hold; larger changes must be split by the caller.</summary>
    BatchLimits Limits { get; }

    /// <summary>Reads one row, or null.</summary>
    Task<StoredRow?> GetAsync(string partition, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Reads several rows of one partition; the result maps each key that exists to its row (missing keys are absent).
    /// Stores that can read them in fewer round trips override this (Azure: one query per 14 keys); the default reads
    /// them one by one.
    /// </summary>
    async Task<IReadOnlyDictionary<string, StoredRow>> GetManyAsync(string partition, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var rows = new Dictionary<string, StoredRow>(StringComparer.Ordinal);
        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            if (await GetAsync(partition, key, cancellationToken) is { } row)
            {
                rows[key] = row;
            }
        }

        return rows;
    }

    /// <summary>Reads every row whose key starts with <paramref name="keyPrefix"/>, ordered by key (ordinal).</summary>
    Task<IReadOnlyList<StoredRow>> QueryAsync(string partition, string keyPrefix, CancellationToken cancellationToken);

    /// <summary>
    /// Applies every operation or none. Returns the new ETag of each operation's row (empty for deletes), in order.
    /// Throws <see cref="BatchConflictException"/> naming the first operation whose condition failed. A batch may not
    /// touch the same key twice. Implementations may accept more than <see cref="MaxBatchOperations"/> operations;
    /// callers that must run on every store keep to the limit.
    /// </summary>
    Task<IReadOnlyList<string>> ExecuteAsync(string partition, IReadOnlyList<RowOperation> operations, CancellationToken cancellationToken);
}

/// <summary>The most one atomic batch may hold.</summary>
/// <param name="Operations">Operations per batch.</param>
/// <param name="Characters">Characters of keys and values per batch (the request payload, approximately).</param>
public sealed record BatchLimits(int Operations, long Characters)
{
    /// <summary>No practical limit (one SQLite transaction).</summary>
    public static BatchLimits Unlimited { get; } = new(int.MaxValue, long.MaxValue);
}
