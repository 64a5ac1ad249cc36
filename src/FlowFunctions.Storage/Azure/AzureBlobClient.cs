using System.Globalization;
using System.Text;
using System.Xml.Linq;
using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>A blob's size and identity as Get Blob Properties (HEAD) returns them.</summary>
internal sealed record BlobProperties(long Length, string ETag, string? ContentType, DateTimeOffset? LastModified);

/// <summary>One page of List Blobs: names with sizes, and the marker of the next page (null on the last).</summary>
internal sealed record BlobListPage(IReadOnlyList<(string Name, long Length)> Blobs, string? NextMarker);

/// <summary>
/// The Blob service REST operations the store uses (https://learn.microsoft.com/rest/api/storageservices/blob-service-rest-api).
/// A blob up to <see cref="BlockUploadThreshold"/> is one Put Blob request; a larger one goes up in blocks (Put Block,
/// then Put Block List), so that no single request carries hundreds of MiB and a failed request retries one block.
/// </summary>
internal sealed class AzureBlobClient(HttpPipeline pipeline, Uri endpoint) : StorageServiceClient(pipeline, endpoint, AzureQueueClient.ServiceVersion)
{
    /// <summary>The default of <see cref="BlockUploadThreshold"/> and <see cref="BlockSize"/>: 4 MiB.</summary>
    public const int DefaultBlockSize = 4 * 1024 * 1024;

    /// <summary>Blobs larger than this many bytes are uploaded in blocks.</summary>
    public int BlockUploadThreshold { get; init; } = DefaultBlockSize;

    /// <summary>The size of each block of a block upload (the last one may be shorter).</summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    public async Task CreateContainerIfNotExistsAsync(string container, CancellationToken cancellationToken)
    {
        await SendExpectingAsync(RequestMethod.Put, $"{Endpoint}/{container}?restype=container", $"create container '{container}'", cancellationToken, 201, 409);
    }

    public async Task DeleteContainerIfExistsAsync(string container, CancellationToken cancellationToken)
    {
        await SendExpectingAsync(RequestMethod.Delete, $"{Endpoint}/{container}?restype=container", $"delete container '{container}'", cancellationToken, 202, 404);
    }

    /// <summary>
    /// Writes a block blob only if no blob has the name (<c>If-None-Match: *</c>): for content-addressed names an
    /// existing blob already holds these bytes. Returns false when it existed. <paramref name="blobPath"/> is used as
    /// is and must be URL-safe.
    /// </summary>
    public async Task<bool> PutIfAbsentAsync(string container, string blobPath, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (content.Length > BlockUploadThreshold)
        {
            return await PutInBlocksIfAbsentAsync(container, blobPath, content, cancellationToken);
        }

        using var message = CreateMessage(RequestMethod.Put, $"{Endpoint}/{container}/{blobPath}");
        message.Request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        message.Request.Headers.SetValue("If-None-Match", "*");
        message.Request.Headers.SetValue("Content-Type", "application/octet-stream");
        message.Request.Content = RequestContent.Create(content);
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            201 => true,
            409 or 412 => false,
            _ => throw StorageErrors.From(response, $"put blob '{container}/{blobPath}'"),
        };
    }

    /// <summary>Reads a blob, or null when it (or its container) does not exist.</summary>
    public async Task<byte[]?> GetAsync(string container, string blobPath, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Get, $"{Endpoint}/{container}/{blobPath}");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 404)
        {
            return null;
        }

        if (response.Status != 200)
        {
            throw StorageErrors.From(response, $"get blob '{container}/{blobPath}'");
        }

        return response.Content.ToArray();
    }

    /// <summary>
    /// Reads <paramref name="count"/> bytes from <paramref name="offset"/> (to the end when null), or null when the blob does
    /// not exist; fewer bytes when the blob ends first, none when it ends before <paramref name="offset"/>.
    /// </summary>
    public async Task<byte[]?> GetRangeAsync(string container, string blobPath, long offset, long? count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (count is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a range needs at least one byte");
        }

        using var message = CreateMessage(RequestMethod.Get, $"{Endpoint}/{container}/{blobPath}");
        message.Request.Headers.SetValue("x-ms-range", count is { } length
            ? string.Create(CultureInfo.InvariantCulture, $"bytes={offset}-{offset + length - 1}")
            : string.Create(CultureInfo.InvariantCulture, $"bytes={offset}-"));
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            200 or 206 => response.Content.ToArray(),
            404 => null,

            // 416: the range starts at or after the end (an empty blob has no satisfiable range at all).
            416 => [],
            _ => throw StorageErrors.From(response, $"get range of blob '{container}/{blobPath}'"),
        };
    }

    /// <summary>Get Blob Properties (HEAD): size, ETag, content type and last change, or null when the blob does not exist.</summary>
    public async Task<BlobProperties?> GetPropertiesAsync(string container, string blobPath, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Head, $"{Endpoint}/{container}/{blobPath}");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 404)
        {
            return null;
        }

        if (response.Status != 200)
        {
            throw StorageErrors.From(response, $"get properties of blob '{container}/{blobPath}'");
        }

        var length = response.Headers.ContentLength ?? throw new StorageRequestException(200, null, "get blob properties returned no Content-Length");
        DateTimeOffset? modified = response.Headers.TryGetValue("Last-Modified", out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        return new BlobProperties(length, response.Headers.ETag?.ToString() ?? string.Empty, response.Headers.ContentType, modified);
    }

    /// <summary>Deletes a blob (with its snapshots); false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string container, string blobPath, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Delete, $"{Endpoint}/{container}/{blobPath}");
        message.Request.Headers.SetValue("x-ms-delete-snapshots", "include");
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            202 => true,
            404 => false,
            _ => throw StorageErrors.From(response, $"delete blob '{container}/{blobPath}'"),
        };
    }

    /// <summary>
    /// One page of the blobs whose names start with <paramref name="prefix"/>, in name order; pass the page's
    /// <see cref="BlobListPage.NextMarker"/> as <paramref name="marker"/> for the next. A missing container lists nothing.
    /// </summary>
    public async Task<BlobListPage> ListAsync(string container, string prefix, int? maxResults, string? marker, CancellationToken cancellationToken)
    {
        var url = new StringBuilder($"{Endpoint}/{container}?restype=container&comp=list&prefix=").Append(Uri.EscapeDataString(prefix));
        if (maxResults is { } max)
        {
            url.Append(CultureInfo.InvariantCulture, $"&maxresults={max}");
        }

        if (!string.IsNullOrEmpty(marker))
        {
            url.Append("&marker=").Append(Uri.EscapeDataString(marker));
        }

        using var message = CreateMessage(RequestMethod.Get, url.ToString());
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 404)
        {
            return new BlobListPage([], null);
        }

        if (response.Status != 200)
        {
            throw StorageErrors.From(response, $"list blobs in '{container}'");
        }

        var root = XDocument.Parse(response.Content.ToString()).Root;
        var blobs = root?.Element("Blobs")?.Elements("Blob")
            .Select(blob => (
                blob.Element("Name")?.Value ?? throw new FormatException("a listed blob has no Name"),
                long.Parse(blob.Element("Properties")?.Element("Content-Length")?.Value ?? "0", NumberStyles.None, CultureInfo.InvariantCulture)))
            .ToList() ?? [];
        var next = root?.Element("NextMarker")?.Value;
        return new BlobListPage(blobs, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>
    /// Put Block for each <see cref="BlockSize"/> slice, then Put Block List with <c>If-None-Match: *</c>: the blob
    /// appears whole or not at all. Staged blocks of a commit that lost (409/412) are discarded by the service after a week.
    /// </summary>
    private async Task<bool> PutInBlocksIfAbsentAsync(string container, string blobPath, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        for (var offset = 0; offset < content.Length; offset += BlockSize)
        {
            // Block ids must have the same length within a blob; base64 of a fixed-width number does.
            var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(ids.Count.ToString("D6", CultureInfo.InvariantCulture)));
            using var block = CreateMessage(RequestMethod.Put, $"{Endpoint}/{container}/{blobPath}?comp=block&blockid={Uri.EscapeDataString(id)}");
            block.Request.Content = RequestContent.Create(content.Slice(offset, Math.Min(BlockSize, content.Length - offset)));
            var staged = await SendAsync(block, cancellationToken);
            if (staged.Status != 201)
            {
                throw StorageErrors.From(staged, $"put block {ids.Count} of blob '{container}/{blobPath}'");
            }

            ids.Add(id);
        }

        var list = new XElement("BlockList", ids.Select(id => new XElement("Latest", id))).ToString(SaveOptions.DisableFormatting);
        using var commit = CreateMessage(RequestMethod.Put, $"{Endpoint}/{container}/{blobPath}?comp=blocklist");
        commit.Request.Headers.SetValue("If-None-Match", "*");
        commit.Request.Headers.SetValue("Content-Type", "application/xml");
        commit.Request.Headers.SetValue("x-ms-blob-content-type", "application/octet-stream");
        commit.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(list));
        var response = await SendAsync(commit, cancellationToken);
        return response.Status switch
        {
            201 => true,
            409 or 412 => false,
            _ => throw StorageErrors.From(response, $"put block list of blob '{container}/{blobPath}'"),
        };
    }

}
