using System.Buffers;
using System.Security.Cryptography;

namespace FlowFunctions.Storage.Azure;

/// <summary>Content-addressed blobs in one container; the blob name is the hash, <c>sha256:&lt;lowercase hex&gt;</c>.</summary>
internal sealed class AzureArtifactStore : IArtifactStore
{
    private const string HashPrefix = "sha256:";

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    private readonly AzureBlobClient blobs;
    private readonly string container;
    private readonly CreateOnce containers = new();

    public AzureArtifactStore(AzureBlobClient blobs, string container)
    {
        this.blobs = blobs;
        this.container = container;
    }

    public async Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var hash = HashPrefix + Convert.ToHexStringLower(SHA256.HashData(content.Span));
        await EnsureContainerAsync(cancellationToken);

        // If-None-Match: * makes a second put of the same bytes a cheap 409 instead of a rewrite.
        await blobs.PutIfAbsentAsync(container, hash, content, cancellationToken);
        return hash;
    }

    public async Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken)
    {
        ValidateHash(hash);
        return await blobs.GetAsync(container, hash, cancellationToken);
    }

    internal Task EnsureContainerAsync(CancellationToken cancellationToken) =>
        containers.EnsureAsync(container, blobs.CreateContainerIfNotExistsAsync, cancellationToken);

    internal Task DeleteContainerAsync(CancellationToken cancellationToken) => blobs.DeleteContainerIfExistsAsync(container, cancellationToken);

    /// <summary>Refuses what this store could not have produced; the hash becomes a URL path, so this also keeps paths safe.</summary>
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
