namespace FlowFunctions.Functions.Durable;

/// <summary>One app setting the durable engine's app reads, named as an environment variable (<c>__</c> separates sections).</summary>
/// <param name="Name">The app setting name, e.g. <c>AzureWebJobsStorage__queueServiceUri</c>.</param>
/// <param name="Deployed">Whether the Azure deployment (infra/main.bicep, <c>durableAppSettings</c>) must set it.</param>
internal sealed record DurableAppSetting(string Name, bool Deployed);

/// <summary>
/// Every app setting the durable engine's app reads, in one place: the deployment test compares the deployed ones with
/// the app settings infra/ gives the <c>flowfunctions-durable</c> app. The storage settings are read by the Functions host
/// and the Durable extension (the task hub <c>flowfunctions</c>, identity-based since extension 2.7.0) and by our run store;
/// the telemetry settings by the Functions host. The API app's list is src/FlowFunctions.Host/Functions/AppSettings.cs.
/// </summary>
internal static class DurableAppSettings
{
    /// <summary>The app's storage: a connection string locally (Azurite), unset in Azure, where the identity-based section below is.</summary>
    public const string Storage = "AzureWebJobsStorage";

    /// <summary><c>managedidentity</c> in Azure: tokens come from the app's managed identity.</summary>
    public const string StorageCredential = Storage + "__credential";

    /// <summary>The client id of the user-assigned identity (the Durable extension takes a client id, not a resource id).</summary>
    public const string StorageClientId = Storage + "__clientId";

    /// <summary>The account name, an alternative to the three service URIs (local work against the cloud).</summary>
    public const string StorageAccountName = Storage + "__accountName";

    /// <summary>The Blob service endpoint (lease and large-message blobs of the task hub).</summary>
    public const string StorageBlobServiceUri = Storage + "__blobServiceUri";

    /// <summary>The Queue service endpoint (control and work-item queues of the task hub).</summary>
    public const string StorageQueueServiceUri = Storage + "__queueServiceUri";

    /// <summary>The Table service endpoint (history and instances tables of the task hub; our run state).</summary>
    public const string StorageTableServiceUri = Storage + "__tableServiceUri";

    /// <summary>Our run store when it is not the app's storage (a connection string); local only.</summary>
    public const string Store = "FlowFunctions__Store";

    /// <summary><c>dotnet-isolated</c> locally; on Flex Consumption the runtime is <c>functionAppConfig.runtime</c> and the setting must not be set.</summary>
    public const string WorkerRuntime = "FUNCTIONS_WORKER_RUNTIME";

    /// <summary>Turns on the Functions host's telemetry export.</summary>
    public const string TelemetryConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary><c>Authorization=AAD;ClientId=...</c>: telemetry is sent with the identity's tokens (local auth disabled).</summary>
    public const string TelemetryAuthentication = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Every app setting the app reads, and whether the deployment sets it.</summary>
    public static IReadOnlyList<DurableAppSetting> All { get; } =
    [
        new(WorkerRuntime, Deployed: false),
        new(Storage, Deployed: false),
        new(StorageAccountName, Deployed: false),
        new(StorageCredential, Deployed: true),
        new(StorageClientId, Deployed: true),
        new(StorageBlobServiceUri, Deployed: true),
        new(StorageQueueServiceUri, Deployed: true),
        new(StorageTableServiceUri, Deployed: true),
        new(Store, Deployed: false),
        new(TelemetryConnectionString, Deployed: true),
        new(TelemetryAuthentication, Deployed: true),
    ];
}
