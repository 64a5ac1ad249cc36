using Microsoft.Data.Sqlite;

namespace FlowFunctions.Storage.Sqlite;

/// <summary>
/// Queues as rows of one table with Azure Storage queue semantics: a taken message is hidden until its visibility
/// time and can be deleted or extended only with the pop receipt of the latest take.
/// </summary>
internal sealed class SqliteWorkQueue : IWorkQueue
{
    /// <summary>The most messages one take returns (Azure Storage queues' limit).</summary>
    internal const int MaxMessagesPerDequeue = 32;

    /// <summary>The longest visibility timeout or initial delay (Azure Storage queues' limit); timers re-arm in steps.</summary>
    internal static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);

    private readonly SqliteConnectionFactory connections;
    private readonly TimeProvider timeProvider;

    public SqliteWorkQueue(SqliteConnectionFactory connections, TimeProvider timeProvider)
    {
        this.connections = connections;
        this.timeProvider = timeProvider;
    }

    public Task EnqueueAsync(string queue, string body, TimeSpan initialVisibilityDelay, CancellationToken cancellationToken) =>
        EnqueueManyAsync(queue, [body], initialVisibilityDelay, cancellationToken);

    /// <summary>One transaction and one prepared statement for all the messages: an episode's work items in one write.</summary>
    public async Task EnqueueManyAsync(string queue, IReadOnlyList<string> bodies, TimeSpan initialVisibilityDelay, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(bodies);
        ValidateVisibility(initialVisibilityDelay, nameof(initialVisibilityDelay));
        if (bodies.Count == 0)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO queue_messages (queue, id, body, inserted_at, visible_at, dequeue_count, pop_receipt)
            VALUES ($queue, $id, $body, $inserted, $visible, 0, NULL);
            """;
        command.Parameters.AddWithValue("$queue", queue);
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var text = command.Parameters.Add("$body", SqliteType.Text);
        command.Parameters.AddWithValue("$inserted", now.UtcTicks);
        command.Parameters.AddWithValue("$visible", (now + initialVisibilityDelay).UtcTicks);
        foreach (var body in bodies)
        {
            ArgumentNullException.ThrowIfNull(body);
            id.Value = Guid.NewGuid().ToString("N");
            text.Value = body;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<QueueMessage>> DequeueAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, MaxMessagesPerDequeue);
        ValidateVisibility(visibilityTimeout, nameof(visibilityTimeout));
        var now = timeProvider.GetUtcNow();
        var hiddenUntil = (now + visibilityTimeout).UtcTicks;

        await using var connection = await connections.OpenAsync(cancellationToken);

        // Select and hide in one write transaction, so two consumers never take the same message.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var candidates = new List<(long Seq, string Id, string Body, long InsertedAt, int DequeueCount)>(maxMessages);
        await using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = """
                SELECT seq, id, body, inserted_at, dequeue_count FROM queue_messages
                WHERE queue = $queue AND visible_at <= $now
                ORDER BY visible_at, seq
                LIMIT $limit;
                """;
            select.Parameters.AddWithValue("$queue", queue);
            select.Parameters.AddWithValue("$now", now.UtcTicks);
            select.Parameters.AddWithValue("$limit", maxMessages);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4)));
            }
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        var taken = new List<QueueMessage>(candidates.Count);
        await using (var hide = connection.CreateCommand())
        {
            hide.Transaction = transaction;
            hide.CommandText = "UPDATE queue_messages SET visible_at = $visible, dequeue_count = $count, pop_receipt = $receipt WHERE seq = $seq;";
            var visible = hide.Parameters.AddWithValue("$visible", hiddenUntil);
            var count = hide.Parameters.Add(new SqliteParameter { ParameterName = "$count" });
            var receipt = hide.Parameters.Add(new SqliteParameter { ParameterName = "$receipt" });
            var seq = hide.Parameters.Add(new SqliteParameter { ParameterName = "$seq" });
            hide.Prepare();
            foreach (var candidate in candidates)
            {
                var popReceipt = NewPopReceipt();
                count.Value = candidate.DequeueCount + 1;
                receipt.Value = popReceipt;
                seq.Value = candidate.Seq;
                await hide.ExecuteNonQueryAsync(cancellationToken);
                taken.Add(new QueueMessage(candidate.Id, popReceipt, candidate.Body, candidate.DequeueCount + 1, ToTime(candidate.InsertedAt)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return taken;
    }

    public async Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(message);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM queue_messages WHERE queue = $queue AND id = $id AND pop_receipt = $receipt;";
        command.Parameters.AddWithValue("$queue", queue);
        command.Parameters.AddWithValue("$id", message.Id);
        command.Parameters.AddWithValue("$receipt", message.PopReceipt);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(message);
        ValidateVisibility(visibilityTimeout, nameof(visibilityTimeout));
        var now = timeProvider.GetUtcNow();
        var popReceipt = NewPopReceipt();

        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();

        // One conditional statement: the receipt check and the new lease cannot be split by another consumer.
        command.CommandText = """
            UPDATE queue_messages SET visible_at = $visible, pop_receipt = $new
            WHERE queue = $queue AND id = $id AND pop_receipt = $old
            RETURNING body, dequeue_count, inserted_at;
            """;
        command.Parameters.AddWithValue("$visible", (now + visibilityTimeout).UtcTicks);
        command.Parameters.AddWithValue("$new", popReceipt);
        command.Parameters.AddWithValue("$queue", queue);
        command.Parameters.AddWithValue("$id", message.Id);
        command.Parameters.AddWithValue("$old", message.PopReceipt);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new QueueMessage(message.Id, popReceipt, reader.GetString(0), reader.GetInt32(1), ToTime(reader.GetInt64(2)));
    }

    public async Task<int> CountAsync(string queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM queue_messages WHERE queue = $queue;";
        command.Parameters.AddWithValue("$queue", queue);
        var count = await command.ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt32(count, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void ValidateVisibility(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero || value > MaxVisibility)
        {
            throw new ArgumentOutOfRangeException(name, value, $"must be between 0 and {MaxVisibility.TotalDays} days");
        }
    }

    private static string NewPopReceipt() => Guid.NewGuid().ToString("N");

    private static DateTimeOffset ToTime(long utcTicks) => new(utcTicks, TimeSpan.Zero);
}
