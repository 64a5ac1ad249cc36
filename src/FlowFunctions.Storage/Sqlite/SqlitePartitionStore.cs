using System.Globalization;
using Microsoft.Data.Sqlite;

namespace FlowFunctions.Storage.Sqlite;

/// <summary>
/// Partitions as rows of one table keyed by (partition, key). A batch is one <c>BEGIN IMMEDIATE</c> transaction, so
/// racing writers serialize on the database lock and a failed condition rolls everything back.
/// </summary>
internal sealed class SqlitePartitionStore : IPartitionStore
{
    private const string AnyETag = "*";

    private readonly SqliteConnectionFactory connections;

    public SqlitePartitionStore(SqliteConnectionFactory connections) => this.connections = connections;

    /// <summary>A batch is one SQLite transaction: no practical limit.</summary>
    public BatchLimits Limits => BatchLimits.Unlimited;

    public async Task<StoredRow?> GetAsync(string partition, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value, etag FROM partition_rows WHERE partition = $partition AND key = $key;";
        command.Parameters.AddWithValue("$partition", partition);
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StoredRow(key, reader.GetString(0), FormatETag(reader.GetInt64(1)));
    }

    public async Task<IReadOnlyList<StoredRow>> QueryAsync(string partition, string keyPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();

        // SQLite compares TEXT by its UTF-8 bytes, so the keys with a prefix are one contiguous range starting at the
        // prefix: scan from there on the primary key and stop at the first key outside it.
        command.CommandText = "SELECT key, value, etag FROM partition_rows WHERE partition = $partition AND key >= $prefix ORDER BY key;";
        command.Parameters.AddWithValue("$partition", partition);
        command.Parameters.AddWithValue("$prefix", keyPrefix);
        var rows = new List<StoredRow>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = reader.GetString(0);
                if (!key.StartsWith(keyPrefix, StringComparison.Ordinal))
                {
                    break;
                }

                rows.Add(new StoredRow(key, reader.GetString(1), FormatETag(reader.GetInt64(2))));
            }
        }

        // UTF-8 byte order and UTF-16 ordinal order differ for characters above U+FFFF; the contract is ordinal.
        rows.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return rows;
    }

    public async Task<IReadOnlyList<string>> ExecuteAsync(string partition, IReadOnlyList<RowOperation> operations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(operations);
        BatchRules.Validate(operations);
        if (operations.Count == 0)
        {
            return [];
        }

        await using var connection = await connections.OpenAsync(cancellationToken);
        // deferred: false is BEGIN IMMEDIATE: take the write lock up front, so a racing writer waits (busy_timeout)
        // instead of failing to upgrade a read lock halfway through.
        await using var transaction = connection.BeginTransaction(deferred: false);
        using var batch = new BatchCommands(connection, transaction, partition);

        // ETags come from one counter for the whole file rather than a per-row version, so that a row deleted and
        // inserted again never gets back an ETag a reader may still hold.
        var lastETag = await batch.ReserveETagsAsync(operations.Count, cancellationToken);
        var nextETag = lastETag - operations.Count + 1;

        var etags = new string[operations.Count];
        for (var index = 0; index < operations.Count; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var operation = operations[index];
            var etag = nextETag++;
            var conflict = await batch.ApplyAsync(operation, etag, cancellationToken);
            if (conflict is { } kind)
            {
                // Disposing the transaction without commit rolls back every earlier operation of the batch.
                throw new BatchConflictException(index, operation.Key, kind);
            }

            etags[index] = operation is RowOperation.Delete ? string.Empty : FormatETag(etag);
        }

        await transaction.CommitAsync(cancellationToken);
        return etags;
    }

    private static string FormatETag(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>The statements of one batch, each prepared once and reused for every operation of its kind.</summary>
    private sealed class BatchCommands(SqliteConnection connection, SqliteTransaction transaction, string partition) : IDisposable
    {
        private SqliteCommand? insert;
        private SqliteCommand? upsert;
        private SqliteCommand? replace;
        private SqliteCommand? delete;
        private SqliteCommand? readETag;

        public async Task<long> ReserveETagsAsync(int count, CancellationToken cancellationToken)
        {
            await using var command = Create("UPDATE counters SET value = value + $count WHERE name = 'etag' RETURNING value;", "$count");
            command.Parameters["$count"].Value = count;
            var value = await command.ExecuteScalarAsync(cancellationToken);
            return Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }

        /// <summary>Applies one operation; returns why it failed, or null.</summary>
        public async Task<ConflictKind?> ApplyAsync(RowOperation operation, long etag, CancellationToken cancellationToken)
        {
            switch (operation)
            {
                case RowOperation.Insert op:
                    // DO NOTHING instead of a constraint error: a taken key is an expected outcome (idempotent inbox
                    // appends, fencing rows), not an exception to unwind through the driver.
                    insert ??= Create(
                        "INSERT INTO partition_rows (partition, key, value, etag) VALUES ($partition, $key, $value, $etag) ON CONFLICT DO NOTHING;",
                        "$key", "$value", "$etag");
                    return await RunAsync(insert, cancellationToken, op.Key, op.Value, etag) == 0 ? ConflictKind.AlreadyExists : null;

                case RowOperation.Upsert op:
                    upsert ??= Create(
                        "INSERT INTO partition_rows (partition, key, value, etag) VALUES ($partition, $key, $value, $etag) " +
                        "ON CONFLICT (partition, key) DO UPDATE SET value = excluded.value, etag = excluded.etag;",
                        "$key", "$value", "$etag");
                    await RunAsync(upsert, cancellationToken, op.Key, op.Value, etag);
                    return null;

                case RowOperation.Replace op:
                    replace ??= Create(
                        "UPDATE partition_rows SET value = $value, etag = $etag " +
                        "WHERE partition = $partition AND key = $key AND ($expected IS NULL OR etag = $expected);",
                        "$key", "$value", "$etag", "$expected");
                    return await RunConditionalAsync(replace, op.Key, op.ETag, cancellationToken, op.Value, etag);

                case RowOperation.Delete op:
                    delete ??= Create(
                        "DELETE FROM partition_rows WHERE partition = $partition AND key = $key AND ($expected IS NULL OR etag = $expected);",
                        "$key", "$expected");
                    return await RunConditionalAsync(delete, op.Key, op.ETag, cancellationToken);

                default:
                    throw new ArgumentException($"unknown batch operation {operation.GetType().Name}", nameof(operation));
            }
        }

        public void Dispose()
        {
            insert?.Dispose();
            upsert?.Dispose();
            replace?.Dispose();
            delete?.Dispose();
            readETag?.Dispose();
        }

        private async Task<ConflictKind?> RunConditionalAsync(SqliteCommand command, string key, string expectedETag, CancellationToken cancellationToken, params object[] values)
        {
            object expected;
            if (expectedETag == AnyETag)
            {
                expected = DBNull.Value;
            }
            else if (long.TryParse(expectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                expected = parsed;
            }
            else
            {
                // Not an ETag this store ever handed out: it cannot match, but a missing row still reads as NotFound.
                expected = -1L;
            }

            object[] arguments = [key, .. values, expected];
            if (await RunAsync(command, cancellationToken, arguments) > 0)
            {
                return null;
            }

            // Only the failure path pays for telling a missing row from a changed one.
            readETag ??= Create("SELECT 1 FROM partition_rows WHERE partition = $partition AND key = $key;", "$key");
            readETag.Parameters["$key"].Value = key;
            var exists = await readETag.ExecuteScalarAsync(cancellationToken) is not null;
            return exists ? ConflictKind.ETagMismatch : ConflictKind.NotFound;
        }

        private static async Task<int> RunAsync(SqliteCommand command, CancellationToken cancellationToken, params object[] values)
        {
            // Parameter 0 is $partition, already bound; the rest follow in declaration order.
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i + 1].Value = values[i];
            }

            return await command.ExecuteNonQueryAsync(cancellationToken);
        }

        private SqliteCommand Create(string sql, params string[] parameterNames)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            command.Parameters.AddWithValue("$partition", partition);
            foreach (var name in parameterNames)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            command.Prepare();
            return command;
        }
    }
}
