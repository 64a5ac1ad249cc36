using System.Globalization;
using System.Text;
using System.Text.Json;
using global::Azure;
using global::Azure.Data.Tables;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// The run list as a table of copies of each run's summary, one per way of listing, so that no listing scans all runs:
/// partition <c>all</c>, <c>status|{status}</c>, <c>workflow|{workflow}</c> and <c>workflow-status|{workflow}|{status}</c>,
/// each with RowKey = inverted creation ticks (19 digits) + <c>|</c> + run id, so a partition reads newest first with
/// ties by run id, and a creation-time range is a RowKey range. A pointer row (partition <c>run|{runId}</c>) remembers
/// which copies exist, so an upsert that changes status or creation time deletes the copies it replaced.
/// </summary>
internal sealed class AzureRunIndex : IRunIndex
{
    /// <summary>The largest page a query may ask for.</summary>
    internal const int MaxLimit = 1000;

    private const string TokenVersion = "i1";
    private const string PointerRowKey = "pointer";
    private const int ServicePageLimit = 1000;
    private static readonly long MaxTicks = DateTimeOffset.MaxValue.UtcTicks;

    private readonly TableClient table;
    private readonly CreateOnce created;

    public AzureRunIndex(TableClient table, CreateOnce created)
    {
        this.table = table;
        this.created = created;
    }

    public async Task UpsertAsync(RunSummary summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentException.ThrowIfNullOrEmpty(summary.RunId, nameof(summary));
        ArgumentNullException.ThrowIfNull(summary.Workflow, nameof(summary));
        ArgumentNullException.ThrowIfNull(summary.Status, nameof(summary));
        await EnsureTableAsync(cancellationToken);

        var pointerPartition = "run|" + TableKeyEscaping.Escape(summary.RunId);
        var pointer = await ReadPointerAsync(pointerPartition, cancellationToken);
        var previous = pointer ?? [];
        var current = Locations(summary);
        var stale = previous.Where(old => !current.Any(now => now[0] == old[0] && now[1] == old[1])).ToList();

        // Crash safety: the pointer names every copy that may exist before any is written, so copies left by a crash
        // halfway are found and deleted by the next upsert of the run.
        if (pointer is null || stale.Count > 0)
        {
            await WritePointerAsync(pointerPartition, [.. previous.Union(current, LocationComparer.Instance)], cancellationToken);
        }

        await Task.WhenAll(current.Select(location => table.UpsertEntityAsync(SummaryEntity(summary, location), TableUpdateMode.Replace, cancellationToken)));
        if (stale.Count > 0)
        {
            await Task.WhenAll(stale.Select(location => DeleteIfExistsAsync(location[0], location[1], cancellationToken)));
            await WritePointerAsync(pointerPartition, current, cancellationToken);
        }
    }

    public async Task DeleteAsync(string runId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        await EnsureTableAsync(cancellationToken);

        // The pointer names every copy that may exist (an interrupted upsert included), so it goes last: a delete
        // interrupted halfway leaves the pointer, and the next delete finds the remaining copies through it.
        var pointerPartition = "run|" + TableKeyEscaping.Escape(runId);
        if (await ReadPointerAsync(pointerPartition, cancellationToken) is not { } rows)
        {
            return;
        }

        await Task.WhenAll(rows.Select(location => DeleteIfExistsAsync(location[0], location[1], cancellationToken)));
        await DeleteIfExistsAsync(pointerPartition, PointerRowKey, cancellationToken);
    }

    public async Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"Limit must be between 1 and {MaxLimit}");
        }

        var after = query.ContinuationToken is null ? null : DecodeToken(query.ContinuationToken);
        await EnsureTableAsync(cancellationToken);

        var partition = (query.Status, query.Workflow) switch
        {
            (null, null) => "all",
            ({ } status, null) => "status|" + TableKeyEscaping.Escape(status),
            (null, { } workflow) => "workflow|" + TableKeyEscaping.Escape(workflow),
            ({ } status, { } workflow) => "workflow-status|" + TableKeyEscaping.Escape(workflow) + "|" + TableKeyEscaping.Escape(status),
        };
        var filter = new StringBuilder(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"));
        if (query.CreatedTo is { } to)
        {
            // created < to  <=>  inverted > inverted(to)
            filter.Append(TableClient.CreateQueryFilter($" and RowKey ge {Digits(Invert(to) + 1)}"));
        }

        if (query.CreatedFrom is { } from)
        {
            // created >= from  <=>  inverted <= inverted(from)
            filter.Append(TableClient.CreateQueryFilter($" and RowKey lt {Digits(Invert(from) + 1)}"));
        }

        if (after is not null)
        {
            filter.Append(TableClient.CreateQueryFilter($" and RowKey gt {after}"));
        }

        // One row more than the page tells whether another page exists. Each service page asks for what is still
        // missing ($top), following the service's continuation token, so a page costs what it returns.
        var wanted = query.Limit + 1;
        var entities = new List<TableEntity>(Math.Min(wanted, 64));
        string? continuation = null;
        do
        {
            var top = Math.Min(ServicePageLimit, wanted - entities.Count);
            var page = await table.QueryAsync<TableEntity>(filter.ToString(), top, cancellationToken: cancellationToken)
                .AsPages(continuation, top)
                .FirstAsync(cancellationToken);
            entities.AddRange(page.Values);
            continuation = page.ContinuationToken;
        }
        while (continuation is not null && entities.Count < wanted);

        var runs = entities.Take(query.Limit).Select(ReadSummary).ToList();
        var token = entities.Count > query.Limit ? EncodeToken(entities[query.Limit - 1].RowKey) : null;
        return new RunPage(runs, token);
    }

    internal Task EnsureTableAsync(CancellationToken cancellationToken) =>
        created.EnsureAsync(table.Name, async (_, token) => await table.CreateIfNotExistsAsync(token), cancellationToken);

    private static long Invert(DateTimeOffset time) => MaxTicks - time.UtcTicks;

    private static string Digits(long value) => value.ToString("D19", CultureInfo.InvariantCulture);

    private static string[][] Locations(RunSummary summary)
    {
        var rowKey = Digits(Invert(summary.CreatedAt)) + "|" + TableKeyEscaping.Escape(summary.RunId);
        var status = TableKeyEscaping.Escape(summary.Status);
        var workflow = TableKeyEscaping.Escape(summary.Workflow);
        return
        [
            ["all", rowKey],
            ["status|" + status, rowKey],
            ["workflow|" + workflow, rowKey],
            ["workflow-status|" + workflow + "|" + status, rowKey],
        ];
    }

    private static TableEntity SummaryEntity(RunSummary summary, string[] location) => new(location[0], location[1])
    {
        ["RunId"] = summary.RunId,
        ["Workflow"] = summary.Workflow,
        ["Status"] = summary.Status,

        // Ticks as strings: JSON numbers default to Edm.Int32 / Double, and Int64 needs a type annotation per property.
        ["CreatedTicks"] = summary.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        ["UpdatedTicks"] = summary.UpdatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        ["NodesDone"] = summary.NodesDone,
        ["NodesTotal"] = summary.NodesTotal,
    };

    private static RunSummary ReadSummary(TableEntity entity) => new(
        entity.GetString("RunId"),
        entity.GetString("Workflow"),
        entity.GetString("Status"),
        new DateTimeOffset(long.Parse(entity.GetString("CreatedTicks"), CultureInfo.InvariantCulture), TimeSpan.Zero),
        new DateTimeOffset(long.Parse(entity.GetString("UpdatedTicks"), CultureInfo.InvariantCulture), TimeSpan.Zero),
        Convert.ToInt32(entity["NodesDone"], CultureInfo.InvariantCulture),
        Convert.ToInt32(entity["NodesTotal"], CultureInfo.InvariantCulture));

    private static string EncodeToken(string rowKey) => Convert.ToBase64String(Encoding.UTF8.GetBytes(TokenVersion + "|" + rowKey));

    private static string DecodeToken(string token)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw InvalidToken();
        }

        // i1|{19 digits}|{escaped run id}
        var header = TokenVersion + "|";
        if (!text.StartsWith(header, StringComparison.Ordinal))
        {
            throw InvalidToken();
        }

        var rowKey = text[header.Length..];
        if (rowKey.Length < 21 || rowKey[19] != '|' || rowKey.AsSpan(0, 19).IndexOfAnyExceptInRange('0', '9') >= 0)
        {
            throw InvalidToken();
        }

        return rowKey;
    }

    private static ArgumentException InvalidToken() =>
        new("the continuation token is not one this run index returned; start again without a token", "query");

    private async Task WritePointerAsync(string partition, string[][] locations, CancellationToken cancellationToken) =>
        await table.UpsertEntityAsync(new TableEntity(partition, PointerRowKey) { ["Rows"] = JsonSerializer.Serialize(locations) }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>The copies the run's pointer names, or null when it has no pointer.</summary>
    private async Task<string[][]?> ReadPointerAsync(string partition, CancellationToken cancellationToken)
    {
        var pointer = await table.GetEntityIfExistsAsync<TableEntity>(partition, PointerRowKey, cancellationToken: cancellationToken);
        if (!pointer.HasValue)
        {
            return null;
        }

        return pointer.Value!.GetString("Rows") is { } rows ? JsonSerializer.Deserialize<string[][]>(rows) ?? [] : [];
    }

    private async Task DeleteIfExistsAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException error) when (StorageFailures.IsNotFound(error))
        {
            // Already gone: a crash or a racing delete got there first, which is the outcome wanted.
        }
    }

    private sealed class LocationComparer : IEqualityComparer<string[]>
    {
        public static readonly LocationComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x[0] == y[0] && x[1] == y[1];

        public int GetHashCode(string[] obj) => HashCode.Combine(obj[0], obj[1]);
    }
}
