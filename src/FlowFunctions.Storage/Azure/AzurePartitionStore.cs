using System.Globalization;
using System.Text;
using global::Azure;
using global::Azure.Data.Tables;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Partitions as one Azure table (Azure.Data.Tables): PartitionKey = escaped partition, RowKey = escaped key, the value in
/// string properties, ETag = the entity's ETag. A batch is one entity-group transaction (<see cref="TableTransactionAction"/>s
/// submitted together), so it is all-or-nothing on the server.
/// </summary>
/// <remarks>
/// A string property holds at most 64 KiB (32 Ki UTF-16 characters) and an entity 1 MiB. Values up to
/// <see cref="ChunkChars"/> characters live in <c>V</c>; longer ones are split over <c>V</c>, <c>V1</c> .. <c>V14</c>
/// (about 960 KB, inside the entity limit); longer still, the UTF-8 bytes go to the artifact store (content-addressed,
/// written before the transaction, so the transaction stays atomic) and <c>VBlob</c> holds the hash.
/// <para>
/// ETags: the entity ETag is a timestamp, and every entity of one transaction gets the same one (Azurite's has
/// sub-millisecond digits that still collide). Each write therefore also stores a fresh write id in <c>W</c>, and the
/// ETag we hand out is <c>{write id}:{entity ETag}</c>: distinct per write and row. Conditions sent to the service use the
/// entity ETag part, which is what the service can check.
/// </para>
/// </remarks>
internal sealed class AzurePartitionStore : IPartitionStore
{
    /// <summary>Characters per value property: under the 32,768-character (64 KiB) limit of a string property.</summary>
    internal const int ChunkChars = 32_000;

    /// <summary>How many value properties one entity may use before the value moves to a blob.</summary>
    internal const int MaxChunks = 15;

    /// <summary>Keys per <see cref="GetManyAsync"/> query: a filter may hold at most 15 comparisons, one is the PartitionKey.</summary>
    internal const int MaxKeysPerQuery = 14;

    private const string ValueProperty = "V";
    private const string BlobProperty = "VBlob";
    private const string WriteIdProperty = "W";
    private const int WriteIdLength = 32;

    private readonly TableClient table;
    private readonly AzureArtifactStore artifacts;
    private readonly CreateOnce created;

    public AzurePartitionStore(TableClient table, AzureArtifactStore artifacts, CreateOnce created)
    {
        this.table = table;
        this.artifacts = artifacts;
        this.created = created;
    }

    /// <summary>
    /// An entity-group transaction holds at most 100 operations and 4 MiB; the character budget leaves room for the
    /// multipart framing and the properties each row carries besides its value.
    /// </summary>
    public BatchLimits Limits { get; } = new(IPartitionStore.MaxBatchOperations, 3_000_000);

    public async Task<StoredRow?> GetAsync(string partition, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(key);
        await EnsureTableAsync(cancellationToken);
        var found = await table.GetEntityIfExistsAsync<TableEntity>(TableKeyEscaping.Escape(partition), TableKeyEscaping.Escape(key), cancellationToken: cancellationToken);
        return found.HasValue ? new StoredRow(key, await ReadValueAsync(found.Value!, cancellationToken), ComposeETag(found.Value!)) : null;
    }

    /// <summary>
    /// One query per <see cref="MaxKeysPerQuery"/> keys (<c>PartitionKey eq p and (RowKey eq a or RowKey eq b ..)</c>)
    /// instead of a point read each: a worker checks all work items of a message with one request.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, StoredRow>> GetManyAsync(string partition, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(keys);
        var rows = new Dictionary<string, StoredRow>(StringComparer.Ordinal);
        var distinct = keys.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0)
        {
            return rows;
        }

        await EnsureTableAsync(cancellationToken);
        var partitionKey = TableKeyEscaping.Escape(partition);
        foreach (var chunk in distinct.Chunk(MaxKeysPerQuery))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}")
                + " and (" + string.Join(" or ", chunk.Select(key => TableClient.CreateQueryFilter($"RowKey eq {TableKeyEscaping.Escape(key)}"))) + ")";
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                var key = TableKeyEscaping.Unescape(entity.RowKey);
                rows[key] = new StoredRow(key, await ReadValueAsync(entity, cancellationToken), ComposeETag(entity));
            }
        }

        return rows;
    }

    public async Task<IReadOnlyList<StoredRow>> QueryAsync(string partition, string keyPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        await EnsureTableAsync(cancellationToken);
        var partitionKey = TableKeyEscaping.Escape(partition);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}");
        if (keyPrefix.Length > 0)
        {
            // A prefix is a RowKey range: escaped keys are printable ASCII and the escaping keeps prefixes (TableKeyEscaping).
            var escapedPrefix = TableKeyEscaping.Escape(keyPrefix);
            var upperBound = TableKeyEscaping.PrefixUpperBound(escapedPrefix);
            filter += TableClient.CreateQueryFilter($" and RowKey ge {escapedPrefix} and RowKey lt {upperBound}");
        }

        var rows = new List<StoredRow>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(new StoredRow(TableKeyEscaping.Unescape(entity.RowKey), await ReadValueAsync(entity, cancellationToken), ComposeETag(entity)));
        }

        // The service orders by escaped key; the contract orders by the key itself (ordinal).
        rows.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return rows;
    }

    public async Task<IReadOnlyList<string>> ExecuteAsync(string partition, IReadOnlyList<RowOperation> operations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(operations);
        ValidateBatch(operations);
        if (operations.Count == 0)
        {
            return [];
        }

        await EnsureTableAsync(cancellationToken);
        var partitionKey = TableKeyEscaping.Escape(partition);
        var actions = new List<TableTransactionAction>(operations.Count);
        foreach (var operation in operations)
        {
            var rowKey = TableKeyEscaping.Escape(operation.Key);
            actions.Add(operation switch
            {
                RowOperation.Insert insert => new TableTransactionAction(TableTransactionActionType.Add, await WriteEntityAsync(partitionKey, rowKey, insert.Value, cancellationToken)),
                RowOperation.Upsert upsert => new TableTransactionAction(TableTransactionActionType.UpsertReplace, await WriteEntityAsync(partitionKey, rowKey, upsert.Value, cancellationToken)),
                RowOperation.Replace replace => new TableTransactionAction(TableTransactionActionType.UpdateReplace, await WriteEntityAsync(partitionKey, rowKey, replace.Value, cancellationToken), ServiceETag(replace.ETag)),
                RowOperation.Delete delete => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partitionKey, rowKey), ServiceETag(delete.ETag)),
                _ => throw new ArgumentException($"unknown batch operation {operation.GetType().Name}", nameof(operations)),
            });
        }

        Response<IReadOnlyList<Response>> responses;
        try
        {
            responses = await table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (RequestFailedException error) when (StorageFailures.AsBatchConflict(error, operations) is { } conflict)
        {
            throw conflict;
        }

        // The SDK returns one sub-response per action, at the action's index.
        var etags = new string[operations.Count];
        for (var index = 0; index < etags.Length; index++)
        {
            etags[index] = operations[index] is RowOperation.Delete
                ? string.Empty
                : ((TableEntity)actions[index].Entity).GetString(WriteIdProperty) + ":" + (responses.Value[index].Headers.ETag
                    ?? throw new InvalidOperationException($"batch operation {index} on '{operations[index].Key}' returned no ETag"));
        }

        return etags;
    }

    internal Task EnsureTableAsync(CancellationToken cancellationToken) =>
        created.EnsureAsync(table.Name, async (_, token) => await table.CreateIfNotExistsAsync(token), cancellationToken);

    private static void ValidateBatch(IReadOnlyList<RowOperation> operations)
    {
        // The interface lets a store accept more; an entity-group transaction cannot, and splitting would lose atomicity.
        if (operations.Count > IPartitionStore.MaxBatchOperations)
        {
            throw new ArgumentException(
                $"a batch on Azure Table storage holds at most {IPartitionStore.MaxBatchOperations} operations; got {operations.Count}", nameof(operations));
        }

        BatchRules.Validate(operations);
    }

    /// <summary>The ETag we hand out: the write id, then the entity ETag.</summary>
    private static string ComposeETag(TableEntity entity) =>
        entity.GetString(WriteIdProperty) is { } writeId ? writeId + ":" + entity.ETag : entity.ETag.ToString();

    /// <summary>The entity ETag inside one of ours; "*" and foreign values pass through (a foreign one simply will not match).</summary>
    internal static ETag ServiceETag(string etag) =>
        new(etag.Length > WriteIdLength && etag[WriteIdLength] == ':' ? etag[(WriteIdLength + 1)..] : etag);

    private static string ChunkName(int index) => index == 0 ? ValueProperty : ValueProperty + index.ToString(CultureInfo.InvariantCulture);

    private async Task<TableEntity> WriteEntityAsync(string partitionKey, string rowKey, string value, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(partitionKey, rowKey) { [WriteIdProperty] = Guid.NewGuid().ToString("N") };

        // Keeping a surrogate pair whole may shorten a chunk by one character, hence the margin of one per chunk.
        if (value.Length > (ChunkChars - 1) * MaxChunks)
        {
            entity[BlobProperty] = await artifacts.PutAsync(Encoding.UTF8.GetBytes(value), cancellationToken);
            return entity;
        }

        // Always write V, even when empty: an entity without properties makes Azurite's batch answer 500 (Azurite#1883).
        var offset = 0;
        var chunk = 0;
        do
        {
            var length = Math.Min(ChunkChars, value.Length - offset);

            // Never split a surrogate pair across properties: each property must be valid UTF-16 on its own.
            if (offset + length < value.Length && char.IsHighSurrogate(value[offset + length - 1]))
            {
                length--;
            }

            entity[ChunkName(chunk)] = value.Substring(offset, length);
            offset += length;
            chunk++;
        }
        while (offset < value.Length);
        return entity;
    }

    private async Task<string> ReadValueAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        if (entity.GetString(BlobProperty) is { } hash)
        {
            var bytes = await artifacts.GetAsync(hash, cancellationToken)
                ?? throw new InvalidDataException($"row '{TableKeyEscaping.Unescape(entity.RowKey)}' refers to value blob {hash}, which is missing");
            return Encoding.UTF8.GetString(bytes);
        }

        var builder = new StringBuilder();
        for (var chunk = 0; chunk < MaxChunks && entity.GetString(ChunkName(chunk)) is { } part; chunk++)
        {
            builder.Append(part);
        }

        return builder.ToString();
    }
}
