
namespace FlowFunctions.Storage.Sqlite;

/// <summary>Content-addressed blobs in one table keyed by <c>sha256:&lt;lowercase hex&gt;</c>.</summary>
internal sealed class SqliteArtifactStore : IArtifactStore
{
    private readonly SqliteConnectionFactory connections;

    public SqliteArtifactStore(SqliteConnectionFactory connections) => this.connections = connections;

    public async Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var hash = ArtifactHash.Of(content.Span);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();

        // The same hash means the same bytes, so a second put has nothing to write.
        command.CommandText = "INSERT OR IGNORE INTO artifacts (hash, content) VALUES ($hash, $content);";
        command.Parameters.AddWithValue("$hash", hash);
        command.Parameters.AddWithValue("$content", content.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
        return hash;
    }

    public async Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken)
    {
        ArtifactHash.Validate(hash);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT content FROM artifacts WHERE hash = $hash;";
        command.Parameters.AddWithValue("$hash", hash);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }
}
