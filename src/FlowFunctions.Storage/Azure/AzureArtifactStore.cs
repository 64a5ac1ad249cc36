
namespace FlowFunctions.Storage.Azure;

/// <summary>Content-addressed blobs in one container; the blob name is the hash, <c>sha256:&lt;lowercase hex&gt;</c>.</summary>
internal sealed class AzureArtifactStore : IArtifactStore
{
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
        var hash = ArtifactHash.Of(content.Span);
        await EnsureContainerAsync(cancellationToken);

        // If-None-Match: * makes a second put of the same bytes a cheap 409 instead of a rewrite.
        await blobs.PutIfAbsentAsync(container, hash, content, cancellationToken);
        return hash;
    }

    public async Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken)
    {
        ArtifactHash.Validate(hash);
        return await blobs.GetAsync(container, hash, cancellationToken);
    }

    internal Task EnsureContainerAsync(CancellationToken cancellationToken) =>
        containers.EnsureAsync(container, blobs.CreateContainerIfNotExistsAsync, cancellationToken);

    internal Task DeleteContainerAsync(CancellationToken cancellationToken) => blobs.DeleteContainerIfExistsAsync(container, cancellationToken);
}
