using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Builds the HTTP pipeline of one storage service: Azure.Core's retry policy (exponential back-off on 408, 429, 5xx
/// and transport errors, honouring <c>Retry-After</c>/<c>x-ms-retry-after-ms</c>), then per attempt the Shared Key
/// signature or an Entra ID bearer token for https://storage.azure.com/.default.
/// </summary>
internal static class StoragePipelineFactory
{
    /// <summary>The scope of Entra ID tokens for Blob, Queue and Table data.</summary>
    internal const string StorageScope = "https://storage.azure.com/.default";

    public static HttpPipeline Create(StorageAccount account, bool tableService, TokenCredential? credential, AzureFlowStoreOptions options, TimeProvider timeProvider)
    {
        var clientOptions = new StorageClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(30);
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;
        clientOptions.Diagnostics.IsTelemetryEnabled = false;
        if (options.Transport is not null)
        {
            clientOptions.Transport = options.Transport;
        }

        HttpPipelinePolicy authentication = account.AccountKey is { } key
            ? new SharedKeyAuthenticationPolicy(new SharedKeySigner(account.AccountName!, key), tableService, timeProvider)
            : new BearerTokenAuthenticationPolicy(credential ?? throw new InvalidOperationException("no account key and no credential"), StorageScope);
        // Per retry: the additional policies see every attempt; authentication stays last so it signs what is sent.
        HttpPipelinePolicy[] perRetry = [.. options.AdditionalPolicies, authentication];
        return HttpPipelineBuilder.Build(clientOptions, [], perRetry, new ResponseClassifier());
    }

    private sealed class StorageClientOptions : ClientOptions
    {
    }
}
