using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace FlowFunctions.Storage.Sqlite;

/// <summary>
/// The run list as one table, read newest first (ties by run id) with keyset paging: the continuation token holds
/// the last (created, run id) returned, so pages stay stable while new runs arrive.
/// </summary>
internal sealed class SqliteRunIndex : IRunIndex
{
    /// <summary>The largest page a query may ask for.</summary>
    internal const int MaxLimit = 1000;

    private const string TokenVersion = "r1";

    private readonly SqliteConnectionFactory connections;

    public SqliteRunIndex(SqliteConnectionFactory connections) => this.connections = connections;

    public async Task UpsertAsync(RunSummary summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentException.ThrowIfNullOrEmpty(summary.RunId, nameof(summary));
        ArgumentNullException.ThrowIfNull(summary.Workflow, nameof(summary));
        ArgumentNullException.ThrowIfNull(summary.Status, nameof(summary));

        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO runs (run_id, workflow, status, created_at, updated_at, nodes_done, nodes_total)
            VALUES ($run, $workflow, $status, $created, $updated, $done, $total)
            ON CONFLICT (run_id) DO UPDATE SET
                workflow = excluded.workflow, status = excluded.status, created_at = excluded.created_at,
                updated_at = excluded.updated_at, nodes_done = excluded.nodes_done, nodes_total = excluded.nodes_total;
            """;
        command.Parameters.AddWithValue("$run", summary.RunId);
        command.Parameters.AddWithValue("$workflow", summary.Workflow);
        command.Parameters.AddWithValue("$status", summary.Status);
        command.Parameters.AddWithValue("$created", summary.CreatedAt.UtcTicks);
        command.Parameters.AddWithValue("$updated", summary.UpdatedAt.UtcTicks);
        command.Parameters.AddWithValue("$done", summary.NodesDone);
        command.Parameters.AddWithValue("$total", summary.NodesTotal);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteAsync(string runId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM runs WHERE run_id = $run;";
        command.Parameters.AddWithValue("$run", runId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"Limit must be between 1 and {MaxLimit}");
        }

        var after = query.ContinuationToken is null ? ((long Ticks, string RunId)?)null : DecodeToken(query.ContinuationToken);

        var sql = new StringBuilder("SELECT run_id, workflow, status, created_at, updated_at, nodes_done, nodes_total FROM runs WHERE 1 = 1");
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        if (query.Status is not null)
        {
            sql.Append(" AND status = $status");
            command.Parameters.AddWithValue("$status", query.Status);
        }

        if (query.Workflow is not null)
        {
            sql.Append(" AND workflow = $workflow");
            command.Parameters.AddWithValue("$workflow", query.Workflow);
        }

        if (query.CreatedFrom is { } from)
        {
            sql.Append(" AND created_at >= $from");
            command.Parameters.AddWithValue("$from", from.UtcTicks);
        }

        if (query.CreatedTo is { } to)
        {
            sql.Append(" AND created_at < $to");
            command.Parameters.AddWithValue("$to", to.UtcTicks);
        }

        if (after is { } position)
        {
            sql.Append(" AND (created_at < $afterCreated OR (created_at = $afterCreated AND run_id > $afterRun))");
            command.Parameters.AddWithValue("$afterCreated", position.Ticks);
            command.Parameters.AddWithValue("$afterRun", position.RunId);
        }

        // One row more than the page tells whether another page exists without a second query.
        sql.Append(" ORDER BY created_at DESC, run_id LIMIT $take;");
        command.Parameters.AddWithValue("$take", query.Limit + 1);
        command.CommandText = sql.ToString();

        var runs = new List<RunSummary>(Math.Min(query.Limit + 1, 64));
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                runs.Add(new RunSummary(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero),
                    new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero),
                    reader.GetInt32(5),
                    reader.GetInt32(6)));
            }
        }

        if (runs.Count <= query.Limit)
        {
            return new RunPage(runs, null);
        }

        runs.RemoveAt(runs.Count - 1);
        var last = runs[^1];
        return new RunPage(runs, EncodeToken(last.CreatedAt.UtcTicks, last.RunId));
    }

    private static string EncodeToken(long ticks, string runId)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{TokenVersion}|{ticks}|{runId}");
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }

    private static (long Ticks, string RunId) DecodeToken(string token)
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

        // The run id may itself contain '|', so split only the first two separators.
        var parts = text.Split('|', 3);
        if (parts.Length != 3
            || parts[0] != TokenVersion
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || parts[2].Length == 0)
        {
            throw InvalidToken();
        }

        return (ticks, parts[2]);
    }

    private static ArgumentException InvalidToken() =>
        new("the continuation token is not one this run index returned; start again without a token", "query");
}
