namespace FlowFunctions.Storage;

/// <summary>Immutable content-addressed blobs: the key of a value is the SHA-256 of its bytes.</summary>
public interface IArtifactStore
{
    /// <summary>Stores <paramref name="content"/> (a no-op when already there) and returns its hash, <c>sha256:&lt;hex&gt;</c>.</summary>
    Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Reads the content of a hash, or null when unknown.</summary>
    Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken);
}
