using global::Azure.Core;
using global::Azure.Core.Pipeline;
using global::Azure.Data.Tables;
using global::Azure.Storage;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// The official SDK clients of one account's Table, Queue and Blob services, configured alike: the account key
/// (Shared Key, Azurite) or an Entra ID credential, our retry settings, and <see cref="AzureFlowStoreOptions.AdditionalPolicies"/>
/// once per attempt.
/// </summary>
internal sealed class StorageClients
{
    public StorageClients(StorageAccount account, TokenCredential? credential, AzureFlowStoreOptions options)
    {
        var tableOptions = Configure(new TableClientOptions(), options);
        tableOptions.AddPolicy(new BatchBodyOncePolicy(), HttpPipelinePosition.PerCall);
        var queueOptions = Configure(new QueueClientOptions(), options);
        var blobOptions = Configure(new BlobClientOptions(), options);

        // Bodies stay plain text for the SDK: AzureWorkQueue encodes them in base64 itself, which is what host.json's
        // messageEncoding promises the Functions queue triggers, and it keeps reading the non-base64 references older
        // versions wrote (the SDK's Base64 decoding would refuse those).
        queueOptions.MessageEncoding = QueueMessageEncoding.None;

        if (account.AccountKey is { } key)
        {
            var base64Key = Convert.ToBase64String(key);
            Tables = new TableServiceClient(account.TableEndpoint, new TableSharedKeyCredential(account.AccountName!, base64Key), tableOptions);
            var shared = new StorageSharedKeyCredential(account.AccountName!, base64Key);
            Queues = new QueueServiceClient(account.QueueEndpoint, shared, queueOptions);
            Blobs = new BlobServiceClient(account.BlobEndpoint, shared, blobOptions);
        }
        else
        {
            ArgumentNullException.ThrowIfNull(credential);
            Tables = new TableServiceClient(account.TableEndpoint, credential, tableOptions);
            Queues = new QueueServiceClient(account.QueueEndpoint, credential, queueOptions);
            Blobs = new BlobServiceClient(account.BlobEndpoint, credential, blobOptions);
        }
    }

    public TableServiceClient Tables { get; }

    public QueueServiceClient Queues { get; }

    public BlobServiceClient Blobs { get; }

    /// <summary>Counts each attempt for <see cref="StorageRequests"/> (telemetry: storage requests per episode).</summary>
    private static readonly HttpPipelinePolicy RequestCounting = new RequestCountingPolicy();

    private static T Configure<T>(T clientOptions, AzureFlowStoreOptions options)
        where T : ClientOptions
    {
        // The back-off we used before the SDKs (exponential from 200 ms, at most 30 s), and the caller's retry count.
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

        // Per retry, so a counting policy sees every attempt the service receives (the benchmark counts requests so).
        clientOptions.AddPolicy(RequestCounting, HttpPipelinePosition.PerRetry);
        foreach (var policy in options.AdditionalPolicies)
        {
            clientOptions.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        }

        return clientOptions;
    }

    private sealed class RequestCountingPolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => StorageRequests.Sent();
    }
}
