using FlowFunctions.Storage;

namespace FlowFunctions.Bench;

/// <summary>Counts of storage calls, read and reset atomically enough for a benchmark (Interlocked per field).</summary>
internal sealed class StorageCounters
{
    public long PartitionGets;
    public long PartitionQueries;
    public long PartitionGetManys;
    public long PartitionRowsRead;
    public long PartitionBatches;
    public long RowsWritten; // insert, upsert, replace
    public long RowsDeleted;
    public long Enqueues;
    public long Dequeues;
    public long MessagesDequeued;
    public long QueueDeletes;
    public long VisibilityUpdates;
    public long QueueCounts;
    public long ArtifactPuts;
    public long ArtifactGets;
    public long IndexUpserts;
    public long IndexLists;

    /// <summary>Every request to the store (one batch is one request, as on Azure Table storage).</summary>
    public long Calls =>
        PartitionGets + PartitionGetManys + PartitionQueries + PartitionBatches + Enqueues + Dequeues + QueueDeletes + VisibilityUpdates + QueueCounts
        + ArtifactPuts + ArtifactGets + IndexUpserts + IndexLists;

    /// <summary>Rows read by prefix queries, per key prefix (where the reads go).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, long> RowsReadByPrefix { get; private set; } = new(StringComparer.Ordinal);

    public StorageCounters Snapshot()
    {
        var copy = (StorageCounters)MemberwiseClone();
        copy.RowsReadByPrefix = new(RowsReadByPrefix, StringComparer.Ordinal);
        return copy;
    }
}

/// <summary>An <see cref="IFlowStore"/> that forwards to another one and counts every call.</summary>
internal sealed class CountingFlowStore(IFlowStore inner) : IFlowStore
{
    public StorageCounters Counters { get; } = new();

    public IPartitionStore Partitions => field ??= new CountingPartitions(inner.Partitions, Counters);

    public IWorkQueue Queues => field ??= new CountingQueues(inner.Queues, Counters);

    public IArtifactStore Artifacts => field ??= new CountingArtifacts(inner.Artifacts, Counters);

    public IRunIndex Runs => field ??= new CountingIndex(inner.Runs, Counters);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private sealed class CountingPartitions(IPartitionStore inner, StorageCounters c) : IPartitionStore
    {
        public BatchLimits Limits => inner.Limits;

        public Task<StoredRow?> GetAsync(string partition, string key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.PartitionGets);
            return inner.GetAsync(partition, key, cancellationToken);
        }

        public async Task<IReadOnlyDictionary<string, StoredRow>> GetManyAsync(string partition, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
        {
            // One call as the inner store sees it (one query per 14 keys on Azure; the HTTP count is exact).
            Interlocked.Increment(ref c.PartitionGetManys);
            var rows = await inner.GetManyAsync(partition, keys, cancellationToken);
            Interlocked.Add(ref c.PartitionRowsRead, rows.Count);
            return rows;
        }

        public async Task<IReadOnlyList<StoredRow>> QueryAsync(string partition, string keyPrefix, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.PartitionQueries);
            var rows = await inner.QueryAsync(partition, keyPrefix, cancellationToken);
            Interlocked.Add(ref c.PartitionRowsRead, rows.Count);
            c.RowsReadByPrefix.AddOrUpdate(keyPrefix, rows.Count, (_, n) => n + rows.Count);
            return rows;
        }

        public Task<IReadOnlyList<string>> ExecuteAsync(string partition, IReadOnlyList<RowOperation> operations, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.PartitionBatches);
            var deletes = operations.Count(o => o is RowOperation.Delete);
            Interlocked.Add(ref c.RowsDeleted, deletes);
            Interlocked.Add(ref c.RowsWritten, operations.Count - deletes);
            return inner.ExecuteAsync(partition, operations, cancellationToken);
        }
    }

    private sealed class CountingQueues(IWorkQueue inner, StorageCounters c) : IWorkQueue
    {
        public Task EnqueueAsync(string queue, string body, TimeSpan initialVisibilityDelay, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.Enqueues);
            return inner.EnqueueAsync(queue, body, initialVisibilityDelay, cancellationToken);
        }

        public async Task<IReadOnlyList<QueueMessage>> DequeueAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.Dequeues);
            var messages = await inner.DequeueAsync(queue, maxMessages, visibilityTimeout, cancellationToken);
            Interlocked.Add(ref c.MessagesDequeued, messages.Count);
            return messages;
        }

        public Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.QueueDeletes);
            return inner.DeleteAsync(queue, message, cancellationToken);
        }

        public Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.VisibilityUpdates);
            return inner.UpdateVisibilityAsync(queue, message, visibilityTimeout, cancellationToken);
        }

        public Task<int> CountAsync(string queue, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.QueueCounts);
            return inner.CountAsync(queue, cancellationToken);
        }
    }

    private sealed class CountingArtifacts(IArtifactStore inner, StorageCounters c) : IArtifactStore
    {
        public Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.ArtifactPuts);
            return inner.PutAsync(content, cancellationToken);
        }

        public Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.ArtifactGets);
            return inner.GetAsync(hash, cancellationToken);
        }
    }

    private sealed class CountingIndex(IRunIndex inner, StorageCounters c) : IRunIndex
    {
        public Task UpsertAsync(RunSummary summary, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.IndexUpserts);
            return inner.UpsertAsync(summary, cancellationToken);
        }

        public Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref c.IndexLists);
            return inner.ListAsync(query, cancellationToken);
        }

        public Task DeleteAsync(string runId, CancellationToken cancellationToken) => inner.DeleteAsync(runId, cancellationToken);
    }
}
