using Azure.Core;
using Azure.Identity;

namespace FlowFunctions.Storage;

/// <summary>
/// A Functions app's own storage, <c>AzureWebJobsStorage</c>, read as the Functions host reads it for its triggers and
/// task hubs: a connection string (Azurite locally), or the identity-based settings a keyless deployment sets
/// (<c>AzureWebJobsStorage__blobServiceUri</c>, <c>__queueServiceUri</c>, <c>__tableServiceUri</c>, or
/// <c>__accountName</c>, with <c>__credential</c> and <c>__clientId</c>). Both Functions apps (the custom handler and the
/// durable engine's) open the run store from it, so the store is the account their triggers use.
/// </summary>
public static class WebJobsStorage
{
    /// <summary>The app setting: a connection string, or the section of the identity-based settings.</summary>
    public const string Setting = "AzureWebJobsStorage";

    /// <summary><c>managedidentity</c> in Azure: tokens come from the app's managed identity.</summary>
    public const string CredentialSetting = Setting + "__credential";

    /// <summary>The client id of the user-assigned identity to use; unset means the system-assigned one.</summary>
    public const string ClientIdSetting = Setting + "__clientId";

    /// <summary>The account name; the service endpoints follow from it unless given explicitly.</summary>
    public const string AccountNameSetting = Setting + "__accountName";

    /// <summary>The Blob service endpoint.</summary>
    public const string BlobServiceUriSetting = Setting + "__blobServiceUri";

    /// <summary>The Queue service endpoint.</summary>
    public const string QueueServiceUriSetting = Setting + "__queueServiceUri";

    /// <summary>The Table service endpoint.</summary>
    public const string TableServiceUriSetting = Setting + "__tableServiceUri";

    /// <summary>The configuration key naming the run store when it is not the app's own storage (a SQLite path or a connection string).</summary>
    public const string StoreKey = "FlowFunctions:Store";

    /// <summary>The value of <see cref="CredentialSetting"/> that selects the managed identity.</summary>
    public const string ManagedIdentity = "managedidentity";

    /// <summary>The configuration key of an app setting: <c>__</c> becomes <c>:</c>, as the environment provider does.</summary>
    public static string Key(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return setting.Replace("__", ":", StringComparison.Ordinal);
    }

    /// <summary>
    /// The store <c>AzureWebJobsStorage</c> names, as a <c>--store</c> value: the connection string as is, or a keyless
    /// connection string of the three service endpoints (requests then carry tokens from <see cref="Credential"/>); null
    /// when none of these settings is set.
    /// </summary>
    /// <param name="configuration">Reads a configuration key (<c>AzureWebJobsStorage:blobServiceUri</c>), e.g. <c>key => configuration[key]</c>.</param>
    /// <exception cref="InvalidOperationException">Identity-based settings name some service endpoints but not all three.</exception>
    public static string? Describe(Func<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration(Setting) is { Length: > 0 } connection)
        {
            return connection;
        }

        var account = configuration(Key(AccountNameSetting));
        string? Endpoint(string setting, string service) =>
            configuration(Key(setting)) is { Length: > 0 } uri ? uri
            : !string.IsNullOrEmpty(account) ? $"https://{account}.{service}.core.windows.net"
            : null;

        (string Name, string Setting, string? Uri)[] endpoints =
        [
            ("TableEndpoint", TableServiceUriSetting, Endpoint(TableServiceUriSetting, "table")),
            ("QueueEndpoint", QueueServiceUriSetting, Endpoint(QueueServiceUriSetting, "queue")),
            ("BlobEndpoint", BlobServiceUriSetting, Endpoint(BlobServiceUriSetting, "blob")),
        ];
        if (endpoints.All(e => e.Uri is null))
        {
            return null;
        }

        if (endpoints.Where(e => e.Uri is null).Select(e => e.Setting).ToList() is { Count: > 0 } missing)
        {
            throw new InvalidOperationException(
                $"identity-based {Setting} needs the Blob, Queue and Table endpoints (the app uses all three): set {string.Join(", ", missing)}, or {AccountNameSetting}");
        }

        var accountSetting = string.IsNullOrEmpty(account) ? string.Empty : $"AccountName={account};";
        return accountSetting + string.Join(";", endpoints.Select(e => $"{e.Name}={e.Uri}"));
    }

    /// <summary>
    /// The run store a Functions app opens: <see cref="StoreKey"/> when it is set, else the store <c>AzureWebJobsStorage</c>
    /// names (<see cref="Describe"/>), so the queues our code writes are the ones the triggers poll; null when neither is set.
    /// </summary>
    /// <param name="configuration">Reads a configuration key, e.g. <c>key => configuration[key]</c>.</param>
    /// <exception cref="InvalidOperationException">Identity-based settings name some service endpoints but not all three.</exception>
    public static string? DescribeStore(Func<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration(StoreKey) is { Length: > 0 } store ? store : Describe(configuration);
    }

    /// <summary>
    /// The Entra ID credential of a keyless store, chosen as the Functions host chooses it for the triggers:
    /// <c>AzureWebJobsStorage__credential=managedidentity</c> selects the managed identity (the user-assigned one
    /// <c>AzureWebJobsStorage__clientId</c> names, else the system-assigned one); unset, null (the store then uses
    /// <c>DefaultAzureCredential</c>: developer sign-in such as <c>az login</c> locally). Stores with a key ignore it.
    /// </summary>
    /// <param name="configuration">Reads a configuration key, e.g. <c>key => configuration[key]</c>.</param>
    /// <exception cref="InvalidOperationException">The credential setting has another value.</exception>
    public static TokenCredential? Credential(Func<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var kind = configuration(Key(CredentialSetting));
        if (string.IsNullOrWhiteSpace(kind))
        {
            return null;
        }

        if (!kind.Trim().Equals(ManagedIdentity, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"{CredentialSetting} must be '{ManagedIdentity}' (or unset for DefaultAzureCredential), not '{kind}'");
        }

        return ManagedIdentityCredential(configuration(Key(ClientIdSetting)));
    }

    /// <summary>The managed identity a <c>__clientId</c> setting names: that user-assigned identity, or the system-assigned one.</summary>
    public static ManagedIdentityCredential ManagedIdentityCredential(string? clientId) => new(
        string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId.Trim()));
}
