using FlowFunctions.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FlowFunctions.Storage.Tests.Sqlite;

/// <summary>What is particular to the SQLite file: where it lives, how it is opened, what survives a reopen.</summary>
public sealed class SqliteFlowStoreTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly SqliteTestDatabase database = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Constructor_MissingDirectory_CreatesDirectoryFileAndSchema()
    {
        File.Exists(database.Path).ShouldBeFalse();

        await using (var store = new SqliteFlowStore(database.Path, time))
        {
            File.Exists(database.Path).ShouldBeTrue();
            (await store.Queues.CountAsync("work", None)).ShouldBe(0);
        }

        (await ReadScalarAsync("SELECT version FROM schema_version;")).ShouldBe(SqliteConnectionFactory.SchemaVersion);
    }

    [Fact]
    public async Task Constructor_NewFile_UsesWriteAheadLog()
    {
        await using var store = new SqliteFlowStore(database.Path, time);

        (await ReadScalarAsync("PRAGMA journal_mode;")).ShouldBe("wal");
    }

    [Fact]
    public async Task Constructor_ExistingFile_KeepsDataAndSchemaVersionRow()
    {
        string etag;
        await using (var first = new SqliteFlowStore(database.Path, time))
        {
            etag = (await first.Partitions.ExecuteAsync("run-1", [new RowOperation.Insert("run", "{}")], None))[0];
            await first.Queues.EnqueueAsync("work", "a", TimeSpan.Zero, None);
        }

        await using var reopened = await SqliteFlowStore.OpenAsync(database.Path, time, None);

        (await reopened.Partitions.GetAsync("run-1", "run", None)).ShouldBe(new StoredRow("run", "{}", etag));
        (await reopened.Queues.CountAsync("work", None)).ShouldBe(1);
        (await ReadScalarAsync("SELECT COUNT(*) FROM schema_version;")).ShouldBe(1L);

        // ETags keep increasing across reopen, so one handed out before cannot come back.
        var next = await reopened.Partitions.ExecuteAsync("run-1", [new RowOperation.Upsert("run", "{}")], None);
        long.Parse(next[0], System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBeGreaterThan(long.Parse(etag, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Constructor_SchemaNewerThanThisBuild_ThrowsNotSupported()
    {
        await using (new SqliteFlowStore(database.Path, time))
        {
        }

        await ExecuteAsync($"UPDATE schema_version SET version = {SqliteConnectionFactory.SchemaVersion + 1};");

        Should.Throw<NotSupportedException>(() => new SqliteFlowStore(database.Path, time)).Message.ShouldContain("schema version");
    }

    [Fact]
    public async Task Execute_TenThousandRowsInFullBatches_AllCommitted()
    {
        await using var store = new SqliteFlowStore(database.Path, time);
        for (var batch = 0; batch < 100; batch++)
        {
            var operations = Enumerable.Range(0, IPartitionStore.MaxBatchOperations)
                .Select(i => (RowOperation)new RowOperation.Insert($"node|{batch:D3}-{i:D3}", "{\"status\":\"Pending\"}"))
                .ToList();
            await store.Partitions.ExecuteAsync("big-run", operations, None);
        }

        (await store.Partitions.QueryAsync("big-run", "node|", None)).Count.ShouldBe(10_000);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => database.DeleteAsync();

    private async Task<object?> ReadScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database.Path, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database.Path, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
