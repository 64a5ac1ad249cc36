using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// The Blob service REST operations the store uses (https://learn.microsoft.com/rest/api/storageservices/blob-service-rest-api).
/// A blob is written with one Put Blob request: the store's values are small, and one request takes up to 5000 MiB
/// with this service version, so block uploads are not implemented.
/// </summary>
internal sealed class AzureBlobClient
{
    private readonly HttpPipeline pipeline;
    private readonly string endpoint;

    public AzureBlobClient(HttpPipeline pipeline, Uri endpoint)
    {
        this.pipeline = pipeline;
        this.endpoint = endpoint.AbsoluteUri.TrimEnd('/');
    }

    public async Task CreateContainerIfNotExistsAsync(string container, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Put, $"{endpoint}/{container}?restype=container");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status is not (201 or 409))
        {
            throw StorageErrors.From(response, $"create container '{container}'");
        }
    }

    public async Task DeleteContainerIfExistsAsync(string container, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Delete, $"{endpoint}/{container}?restype=container");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status is not (202 or 404))
        {
            throw StorageErrors.From(response, $"delete container '{container}'");
        }
    }

    /// <summary>
    /// Writes a block blob only if no blob has the name (<c>If-None-Match: *</c>): for content-addressed names an
    /// existing blob already holds these bytes. Returns false when it existed. <paramref name="blobPath"/> is used as
    /// is and must be URL-safe.
    /// </summary>
    public async Task<bool> PutIfAbsentAsync(string container, string blobPath, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Put, $"{endpoint}/{container}/{blobPath}");
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
        using var message = CreateMessage(RequestMethod.Get, $"{endpoint}/{container}/{blobPath}");
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

    private HttpMessage CreateMessage(RequestMethod method, string url)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(url));
        message.Request.Headers.SetValue("x-ms-version", AzureQueueClient.ServiceVersion);
        return message;
    }

    private async Task<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        await pipeline.SendAsync(message, cancellationToken);
        return message.Response;
    }
}
