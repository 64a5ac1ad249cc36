using global::Azure;
using global::Azure.Storage;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Blobs.Models;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Content-addressed blobs in one container (Azure.Storage.Blobs); the blob name is the hash, <c>sha256:&lt;lowercase hex&gt;</c>.
/// A blob is created only if no blob has its name (<c>If-None-Match: *</c>): an existing one already holds these bytes,
/// so it is never overwritten.
/// </summary>
internal sealed class AzureArtifactStore : IArtifactStore
{
    /// <summary>The default of <see cref="BlockUploadThreshold"/> and <see cref="BlockSize"/>: 4 MiB.</summary>
    public const int DefaultBlockSize = 4 * 1024 * 1024;

    private readonly BlobContainerClient container;
    private readonly CreateOnce containers = new();

    public AzureArtifactStore(BlobContainerClient container)
    {
        this.container = container;
    }

    /// <summary>
    /// Content of this many bytes or more goes up as Put Block requests and one Put Block List (which carries the
    /// If-None-Match condition, so the blob appears whole or not at all); below it, one Put Blob (the SDK's
    /// <see cref="StorageTransferOptions.InitialTransferSize"/>).
    /// </summary>
    public int BlockUploadThreshold { get; init; } = DefaultBlockSize;

    /// <summary>
    /// The size of each block of a block upload (the last one may be shorter). The SDK sends one Put Blob only up to the
    /// smaller of this and <see cref="BlockUploadThreshold"/>, so keep it at least as large as the threshold.
    /// </summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    public async Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var hash = ArtifactHash.Of(content.Span);
        await EnsureContainerAsync(cancellationToken);
        var options = new BlobUploadOptions
        {
            // If-None-Match: * makes a second put of the same bytes a cheap conflict instead of a rewrite.
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
            TransferOptions = new StorageTransferOptions
            {
                InitialTransferSize = BlockUploadThreshold,
                MaximumTransferSize = BlockSize,

                // Blocks one after another: a large artifact is rare, and parallel blocks would compete with the engine.
                MaximumConcurrency = 1,
            },
        };
        try
        {
            await container.GetBlobClient(hash).UploadAsync(new BinaryData(content), options, cancellationToken);
        }
        catch (RequestFailedException error) when (StorageFailures.IsAlreadyStored(error))
        {
            // The same bytes are stored already (content addressing): success.
        }

        return hash;
    }

    public async Task<byte[]?> GetAsync(string hash, CancellationToken cancellationToken)
    {
        ArtifactHash.Validate(hash);
        try
        {
            return (await container.GetBlobClient(hash).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException error) when (StorageFailures.IsNotFound(error))
        {
            // A missing blob or container: the hash is unknown.
            return null;
        }
    }

    internal Task EnsureContainerAsync(CancellationToken cancellationToken) =>
        containers.EnsureAsync(container.Name, async (_, token) => await container.CreateIfNotExistsAsync(cancellationToken: token), cancellationToken);

    internal async Task DeleteContainerAsync(CancellationToken cancellationToken) =>
        await container.DeleteIfExistsAsync(cancellationToken: cancellationToken);
}
