using System.Reflection;
using FlowFunctions.Host.Api;
using FlowFunctions.Storage;
using FlowFunctions.Telemetry;

namespace FlowFunctions.Host.Functions;

/// <summary>Who reads an app setting: our handler code, the Functions host (triggers, its own telemetry), or both.</summary>
internal enum SettingReader
{
    /// <summary>Read by our code only.</summary>
    Handler,

    /// <summary>Read by the Functions host only (trigger connections, the worker runtime).</summary>
    FunctionsHost,

    /// <summary>Read by both.</summary>
    Both,
}

/// <summary>One app setting the app reads, named as an environment variable (<c>__</c> separates sections).</summary>
/// <param name="Name">The app setting name, e.g. <c>AzureWebJobsStorage__blobServiceUri</c>.</param>
/// <param name="ReadBy">Who reads it.</param>
/// <param name="Deployed">Whether the Azure deployment (infra/main.bicep, <c>apiAppSettings</c>) must set it.</param>
internal sealed record AppSetting(string Name, SettingReader ReadBy, bool Deployed);

/// <summary>
/// Every app setting the app reads, in one place: the names our code reads come from here, and the deployment test
/// compares this list with the app settings infra/ sets (each deployed setting is read; each required one is set).
/// The <c>FlowFunctions__*</c> settings are derived from <see cref="FlowHostOptions"/>, the options class they bind to.
/// </summary>
internal static class AppSettings
{
    /// <summary>The Functions app's storage: a connection string (Azurite locally), or a section of identity-based settings.</summary>
    public const string Storage = WebJobsStorage.Setting;

    /// <summary><c>managedidentity</c> in Azure: tokens come from the app's managed identity.</summary>
    public const string StorageCredential = WebJobsStorage.CredentialSetting;

    /// <summary>The client id of the user-assigned identity to use; unset means the system-assigned one.</summary>
    public const string StorageClientId = WebJobsStorage.ClientIdSetting;

    /// <summary>The account name; the service endpoints follow from it unless given explicitly.</summary>
    public const string StorageAccountName = WebJobsStorage.AccountNameSetting;

    /// <summary>The Blob service endpoint.</summary>
    public const string StorageBlobServiceUri = WebJobsStorage.BlobServiceUriSetting;

    /// <summary>The Queue service endpoint.</summary>
    public const string StorageQueueServiceUri = WebJobsStorage.QueueServiceUriSetting;

    /// <summary>The Table service endpoint.</summary>
    public const string StorageTableServiceUri = WebJobsStorage.TableServiceUriSetting;

    /// <summary>The Service Bus namespace of <c>start-run-servicebus</c> (identity-based).</summary>
    public const string ServiceBusNamespace = FunctionNames.ServiceBusConnection + "__fullyQualifiedNamespace";

    /// <summary>The Service Bus connection's credential kind.</summary>
    public const string ServiceBusCredential = FunctionNames.ServiceBusConnection + "__credential";

    /// <summary>The Service Bus connection's user-assigned identity.</summary>
    public const string ServiceBusClientId = FunctionNames.ServiceBusConnection + "__clientId";

    /// <summary>Turns telemetry export on (the Functions host's and ours).</summary>
    public const string TelemetryConnectionString = FlowTelemetryExtensions.ConnectionStringSetting;

    /// <summary><c>Authorization=AAD;ClientId=...</c>: telemetry is sent with the identity's tokens (local auth disabled).</summary>
    public const string TelemetryAuthentication = FlowTelemetryExtensions.AuthenticationSetting;

    /// <summary>The Functions host's environment (Production in Azure by default); chaos rules are refused when it is Production.</summary>
    public const string FunctionsEnvironment = "AZURE_FUNCTIONS_ENVIRONMENT";

    /// <summary>The value of the <c>__credential</c> settings that selects the managed identity.</summary>
    public const string ManagedIdentity = WebJobsStorage.ManagedIdentity;

    /// <summary>The <see cref="FlowHostOptions"/> properties the deployment sets (Engine: the <c>engine</c> parameter of infra/main.bicep).</summary>
    private static readonly string[] DeployedOptions = [nameof(FlowHostOptions.RunRetention), nameof(FlowHostOptions.Engine)];

    /// <summary>Every app setting the app reads, with who reads it and whether the deployment sets it.</summary>
    public static IReadOnlyList<AppSetting> All { get; } =
    [
        // Local only: on Flex Consumption the runtime is functionAppConfig.runtime, and the setting must not be set.
        new("FUNCTIONS_WORKER_RUNTIME", SettingReader.FunctionsHost, Deployed: false),
        new(Storage, SettingReader.Both, Deployed: false),
        new(StorageAccountName, SettingReader.Both, Deployed: false),
        new(StorageCredential, SettingReader.Both, Deployed: true),
        new(StorageClientId, SettingReader.Both, Deployed: true),
        new(StorageBlobServiceUri, SettingReader.Both, Deployed: true),
        new(StorageQueueServiceUri, SettingReader.Both, Deployed: true),
        new(StorageTableServiceUri, SettingReader.Both, Deployed: true),
        new(FunctionNames.ServiceBusConnection, SettingReader.FunctionsHost, Deployed: false),
        new(ServiceBusNamespace, SettingReader.FunctionsHost, Deployed: true),
        new(ServiceBusCredential, SettingReader.FunctionsHost, Deployed: true),
        new(ServiceBusClientId, SettingReader.FunctionsHost, Deployed: true),
        new($"AzureWebJobs.{FunctionNames.StartRunServiceBus}.Disabled", SettingReader.FunctionsHost, Deployed: false),
        new(TelemetryConnectionString, SettingReader.Both, Deployed: true),
        new(TelemetryAuthentication, SettingReader.Both, Deployed: true),
        new(FunctionsEnvironment, SettingReader.Both, Deployed: false),
        .. typeof(FlowHostOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p =>
            new AppSetting($"{FlowHostOptions.Section}__{p.Name}", SettingReader.Handler, DeployedOptions.Contains(p.Name))),
    ];

    /// <summary>The configuration key of an app setting: <c>__</c> becomes <c>:</c>, as the environment provider does.</summary>
    public static string Key(string setting) => WebJobsStorage.Key(setting);
}
