using System.Globalization;
using System.Text.Json.Nodes;

namespace FlowFunctions.Storage;

/// <summary>
/// <see cref="IStepCacheStore"/> on one partition of an <see cref="IPartitionStore"/>, row key
/// <c>{workflow}|{node}|{hash}</c> (workflow names and node ids contain no <c>|</c>), so clearing a workflow or a
/// workflow's node is a prefix query. Large outputs are the partition store's business: Azure moves values over about
/// 480 KB to the artifact store, SQLite keeps them in the row.
/// </summary>
/// <param name="partitions">The partition store.</param>
/// <param name="partition">The partition holding the cache; never a run id (run ids cannot start with <c>$</c>).</param>
public sealed class PartitionStepCacheStore(IPartitionStore partitions, string partition = PartitionStepCacheStore.DefaultPartition) : IStepCacheStore
{
    /// <summary>The partition used when the store shares its partition store with runs.</summary>
    public const string DefaultPartition = "$stepcache";

    /// <inheritdoc />
    public async Task<StepCacheEntry?> GetAsync(string workflow, string nodeId, string hash, CancellationToken cancellationToken)
    {
        var row = await partitions.GetAsync(partition, Key(workflow, nodeId, hash), cancellationToken);
        if (row is null)
        {
            return null;
        }

        var value = JsonNode.Parse(row.Value)!.AsObject();
        var expires = DateTimeOffset.Parse(value["expiresAt"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        return new StepCacheEntry(workflow, nodeId, hash, value["output"]!.GetValue<string>(), expires);
    }

    /// <inheritdoc />
    public async Task PutAsync(StepCacheEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var value = new JsonObject
        {
            ["output"] = entry.Output,
            ["expiresAt"] = entry.ExpiresAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        };
        await partitions.ExecuteAsync(partition, [new RowOperation.Upsert(Key(entry.Workflow, entry.NodeId, entry.Hash), value.ToJsonString())], cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> ClearAsync(string? workflow, string? nodeId, CancellationToken cancellationToken)
    {
        var prefix = workflow is null ? string.Empty : nodeId is null ? workflow + "|" : $"{workflow}|{nodeId}|";
        var rows = await partitions.QueryAsync(partition, prefix, cancellationToken);
        var doomed = rows
            .Where(row => workflow is not null || nodeId is null || row.Key.Split('|')[1] == nodeId)
            .Select(row => (RowOperation)new RowOperation.Delete(row.Key))
            .ToList();
        var removed = 0;
        foreach (var chunk in doomed.Chunk(Math.Min(IPartitionStore.MaxBatchOperations, partitions.Limits.Operations)))
        {
            try
            {
                await partitions.ExecuteAsync(partition, chunk, cancellationToken);
                removed += chunk.Length;
            }
            catch (BatchConflictException)
            {
                // Someone else removed some of these meanwhile: delete the rest one by one and count only ours.
                foreach (var delete in chunk)
                {
                    removed += await TryDeleteAsync(delete, cancellationToken) ? 1 : 0;
                }
            }
        }

        return removed;
    }

    private static string Key(string workflow, string nodeId, string hash)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflow);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentException.ThrowIfNullOrEmpty(hash);
        return $"{workflow}|{nodeId}|{hash}";
    }

    private async Task<bool> TryDeleteAsync(RowOperation delete, CancellationToken cancellationToken)
    {
        try
        {
            await partitions.ExecuteAsync(partition, [delete], cancellationToken);
            return true;
        }
        catch (BatchConflictException)
        {
            return false;
        }
    }
}
