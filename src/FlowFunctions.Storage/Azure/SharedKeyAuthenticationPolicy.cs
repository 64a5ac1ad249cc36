using System.Globalization;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Stamps <c>x-ms-date</c> and the Shared Key <c>Authorization</c> header on every attempt (a per-retry policy, so a
/// retried request gets a fresh date and signature).
/// </summary>
internal sealed class SharedKeyAuthenticationPolicy : HttpPipelineSynchronousPolicy
{
    private readonly SharedKeySigner signer;
    private readonly bool tableService;
    private readonly TimeProvider timeProvider;

    public SharedKeyAuthenticationPolicy(SharedKeySigner signer, bool tableService, TimeProvider timeProvider)
    {
        this.signer = signer;
        this.tableService = tableService;
        this.timeProvider = timeProvider;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        request.Headers.SetValue("x-ms-date", timeProvider.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Name] = header.Value;
        }

        if (request.Content is not null && request.Content.TryComputeLength(out var length))
        {
            headers["Content-Length"] = length.ToString(CultureInfo.InvariantCulture);
        }

        var uri = request.Uri.ToUri();
        var method = request.Method.Method;
        var stringToSign = tableService
            ? signer.TableStringToSign(method, uri, headers)
            : signer.BlobQueueStringToSign(method, uri, headers);
        request.Headers.SetValue("Authorization", signer.Authorization(stringToSign));
    }
}
