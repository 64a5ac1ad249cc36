using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>What the Table, Queue and Blob clients share: the pipeline, the service endpoint, the REST version header.</summary>
internal abstract class StorageServiceClient
{
    private readonly HttpPipeline pipeline;
    private readonly string serviceVersion;

    protected StorageServiceClient(HttpPipeline pipeline, Uri endpoint, string serviceVersion)
    {
        this.pipeline = pipeline;
        this.serviceVersion = serviceVersion;
        Endpoint = endpoint.AbsoluteUri.TrimEnd('/');
    }

    /// <summary>The service endpoint without a trailing slash (path-style for Azurite: it ends with the account name).</summary>
    protected string Endpoint { get; }

    /// <summary>A request to <paramref name="url"/> with the service's version header (and whatever <see cref="AddHeaders"/> adds).</summary>
    protected HttpMessage CreateMessage(RequestMethod method, string url)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(url));
        message.Request.Headers.SetValue("x-ms-version", serviceVersion);
        AddHeaders(message.Request);
        return message;
    }

    /// <summary>Headers every request of this service carries besides the version.</summary>
    protected virtual void AddHeaders(Request request)
    {
    }

    protected async Task<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        await pipeline.SendAsync(message, cancellationToken);
        return message.Response;
    }

    /// <summary>Sends a body-less request and throws unless the status is one of <paramref name="accepted"/>.</summary>
    protected async Task SendExpectingAsync(RequestMethod method, string url, string what, CancellationToken cancellationToken, params int[] accepted)
    {
        using var message = CreateMessage(method, url);
        var response = await SendAsync(message, cancellationToken);
        if (!accepted.Contains(response.Status))
        {
            throw StorageErrors.From(response, what);
        }
    }
}
