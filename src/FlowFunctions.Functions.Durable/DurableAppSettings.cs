using FlowFunctions.Storage;

namespace FlowFunctions.Functions.Durable;

/// <summary>One app setting the durable engine's app reads, named as an environment variable (<c>__</c> separates sections).</summary>
/// <param name="Name">The app setting name, e.g. <c>AzureWebJobsStorage__queueServiceUri</c>.</param>
/// <param name="Deployed">Whether the Azure deployment (infra/main.bicep, <c>durableAppSettings</c>) must set it.</param>
internal sealed record DurableAppSetting(string Name, bool Deployed);

/// <summary>
/// Every app setting the durable engine's app reads, in one place: the deployment test compares the deployed ones with
/// the app settings infra/ gives the <c>flowfunctions-durable</c> app. The storage settings are read by the Functions host
/// and the Durable extension (the task hub <c>flowfunctions</c>, identity-based since extension 2.7.0) and by our run store;
/// the telemetry settings by the Functions host and by our telemetry (FlowFunctions.Telemetry). The API app's list, with the same storage and telemetry names, is
/// src/FlowFunctions.Host/Functions/AppSettings.cs.
/// </summary>
internal static class DurableAppSettings
{
    /// <summary>Every app setting the app reads, and whether the deployment sets it.</summary>
    public static IReadOnlyList<DurableAppSetting> All { get; } =
    [
        // dotnet-isolated locally; on Flex Consumption the runtime is functionAppConfig.runtime and the setting must not be set.
        new("FUNCTIONS_WORKER_RUNTIME", Deployed: false),
        new(WebJobsStorage.Setting, Deployed: false),
        // The account name instead of the three service URIs, for local work against the cloud.
        new(WebJobsStorage.AccountNameSetting, Deployed: false),
        // managedidentity and the user-assigned identity's client id (the Durable extension takes no resource id).
        new(WebJobsStorage.CredentialSetting, Deployed: true),
        new(WebJobsStorage.ClientIdSetting, Deployed: true),
        // Lease and large-message blobs, control and work-item queues, history and instances tables; our run state.
        new(WebJobsStorage.BlobServiceUriSetting, Deployed: true),
        new(WebJobsStorage.QueueServiceUriSetting, Deployed: true),
        new(WebJobsStorage.TableServiceUriSetting, Deployed: true),
        // Our run store when it is not the app's storage; local only.
        new("FlowFunctions__Store", Deployed: false),
        // Telemetry of the Functions host and ours, sent with the identity's tokens (Authorization=AAD;ClientId=...).
        new("APPLICATIONINSIGHTS_CONNECTION_STRING", Deployed: true),
        new("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", Deployed: true),
    ];
}
