using System.Buffers;
using System.Security.Cryptography;

namespace FlowFunctions.Storage.Sqlite;

/// <summary>Content-addressed blobs in one table keyed by <c>sha256:&lt;lowercase hex&gt;</c>.</summary>
internal sealed class SqliteArtifactStore : IArtifactStore
{
    private const string HashPrefix = "sha256:";

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    private readonly SqliteConnectionFactory connections;

    public SqliteArtifactStore(SqliteConnectionFactory connections) => this.connections = connections;

    public async Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var hash = HashPrefix + Convert.ToHexStringLower(SHA256.HashData(content.Span));
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
        ValidateHash(hash);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT content FROM artifacts WHERE hash = $hash;";
        command.Parameters.AddWithValue("$hash", hash);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>
    /// Refuses what is not a hash this store could have produced: a blob-backed store turns the hash into a blob
    /// name, and a malformed one is a caller bug better reported than answered with "unknown".
    /// </summary>
    private static void ValidateHash(string hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var valid = hash.Length == HashPrefix.Length + 64
            && hash.StartsWith(HashPrefix, StringComparison.Ordinal)
            && hash.AsSpan(HashPrefix.Length).IndexOfAnyExcept(LowerHexDigits) < 0;
        if (!valid)
        {
            throw new ArgumentException($"'{hash}' is not an artifact hash (sha256: followed by 64 lowercase hex digits)", nameof(hash));
        }
    }
}
