using Microsoft.Data.Sqlite;

namespace FlowFunctions.Storage.Sqlite;

/// <summary>
/// Opens connections to one database file with the settings every connection needs, and creates the schema once.
/// </summary>
internal sealed class SqliteConnectionFactory
{
    /// <summary>The schema this code reads and writes; a file with a newer one was written by a newer build.</summary>
    internal const int SchemaVersion = 1;

    // Several processes (a detached `flow run` and a `flow worker`) share the file: a writer waits for the lock
    // instead of failing at once.
    private const int BusyTimeoutMilliseconds = 5000;

    // Per-connection settings. synchronous=NORMAL is durable across application crashes in WAL mode and only risks
    // the last commits on power loss, which is the trade-off an embedded local store wants for throughput.
    private static readonly string ConnectionPragmas =
        $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = NORMAL;";

    private const string SchemaSql = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS counters (
            name  TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO counters (name, value) VALUES ('etag', 0);
        CREATE TABLE IF NOT EXISTS partition_rows (
            partition TEXT NOT NULL,
            key       TEXT NOT NULL,
            value     TEXT NOT NULL,
            etag      INTEGER NOT NULL,
            PRIMARY KEY (partition, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS queue_messages (
            seq           INTEGER PRIMARY KEY AUTOINCREMENT,
            queue         TEXT NOT NULL,
            id            TEXT NOT NULL UNIQUE,
            body          TEXT NOT NULL,
            inserted_at   INTEGER NOT NULL,
            visible_at    INTEGER NOT NULL,
            dequeue_count INTEGER NOT NULL,
            pop_receipt   TEXT
        );
        CREATE INDEX IF NOT EXISTS ix_queue_messages_visible ON queue_messages (queue, visible_at, seq);
        CREATE TABLE IF NOT EXISTS artifacts (
            hash    TEXT PRIMARY KEY,
            content BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS runs (
            run_id      TEXT PRIMARY KEY,
            workflow    TEXT NOT NULL,
            status      TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            nodes_done  INTEGER NOT NULL,
            nodes_total INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_runs_created ON runs (created_at DESC, run_id);
        CREATE INDEX IF NOT EXISTS ix_runs_status_created ON runs (status, created_at DESC, run_id);
        CREATE INDEX IF NOT EXISTS ix_runs_workflow_created ON runs (workflow, created_at DESC, run_id);
        """;

    private readonly string connectionString;

    /// <summary>Prepares connections to <paramref name="path"/>, creating its directory, the file and the schema when missing.</summary>
    public SqliteConnectionFactory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        CreateSchema();
    }

    /// <summary>Opens a pooled connection with the per-connection settings applied.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = ConnectionPragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the idle pooled connections of this file so that it can be moved or deleted.</summary>
    public void ClearPool()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private void CreateSchema()
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var pragmas = connection.CreateCommand())
        {
            // WAL lets readers run beside the one writer; the mode is stored in the file, so this is a no-op
            // after the first open. It cannot change inside a transaction, so it runs before the schema one.
            pragmas.CommandText = ConnectionPragmas + " PRAGMA journal_mode = WAL;";
            pragmas.ExecuteNonQuery();
        }

        // IMMEDIATE: two processes opening a new file at once must not both decide the schema is missing.
        using var transaction = connection.BeginTransaction(deferred: false);
        using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = SchemaSql;
            create.ExecuteNonQuery();
        }

        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT MAX(version) FROM schema_version;";
            var stored = read.ExecuteScalar();
            if (stored is null or DBNull)
            {
                read.CommandText = "INSERT INTO schema_version (version) VALUES ($version);";
                read.Parameters.AddWithValue("$version", SchemaVersion);
                read.ExecuteNonQuery();
            }
            else if (Convert.ToInt64(stored, System.Globalization.CultureInfo.InvariantCulture) > SchemaVersion)
            {
                throw new NotSupportedException(
                    $"the database '{connection.DataSource}' has schema version {stored}, newer than this build's {SchemaVersion}; upgrade flow");
            }
        }

        transaction.Commit();
    }
}
