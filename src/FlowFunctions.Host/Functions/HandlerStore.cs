using Azure.Core;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// Which store the handler opens, and with which credential. <c>FlowFunctions:Store</c> wins (a SQLite path or a
/// connection string); otherwise the Functions app's own storage, <c>AzureWebJobsStorage</c>: a connection string
/// (Azurite locally), or the identity-based settings the deployment sets (<c>AzureWebJobsStorage__blobServiceUri</c>,
/// <c>__queueServiceUri</c>, <c>__tableServiceUri</c>, or <c>__accountName</c>), so the queues our code writes are the ones
/// the triggers poll; otherwise <c>.flow/flow.db</c> like the CLI.
/// </summary>
internal static class HandlerStore
{
    /// <summary>The configuration key naming the store.</summary>
    public const string StoreKey = "FlowFunctions:Store";

    /// <summary>The store description from configuration: a connection string, or a SQLite path.</summary>
    /// <exception cref="InvalidOperationException">Identity-based settings name some service endpoints but not all three.</exception>
    public static string Describe(IConfiguration configuration)
    {
        if (configuration[StoreKey] is { Length: > 0 } store)
        {
            return store;
        }

        if (configuration[AppSettings.Storage] is { Length: > 0 } connection)
        {
            return connection;
        }

        var account = configuration[AppSettings.Key(AppSettings.StorageAccountName)];
        string? Endpoint(string setting, string service) =>
            configuration[AppSettings.Key(setting)] is { Length: > 0 } uri ? uri
            : !string.IsNullOrEmpty(account) ? $"https://{account}.{service}.core.windows.net"
            : null;

        (string Name, string Setting, string? Uri)[] endpoints =
        [
            ("TableEndpoint", AppSettings.StorageTableServiceUri, Endpoint(AppSettings.StorageTableServiceUri, "table")),
            ("QueueEndpoint", AppSettings.StorageQueueServiceUri, Endpoint(AppSettings.StorageQueueServiceUri, "queue")),
            ("BlobEndpoint", AppSettings.StorageBlobServiceUri, Endpoint(AppSettings.StorageBlobServiceUri, "blob")),
        ];
        if (endpoints.All(e => e.Uri is null))
        {
            return Path.Combine(".flow", "flow.db");
        }

        if (endpoints.Where(e => e.Uri is null).Select(e => e.Setting).ToList() is { Count: > 0 } missing)
        {
            throw new InvalidOperationException(
                $"identity-based {AppSettings.Storage} needs the Blob, Queue and Table endpoints (the app uses all three): set {string.Join(", ", missing)}, or {AppSettings.StorageAccountName}");
        }

        // No AccountKey: requests carry Entra ID tokens from Credential(configuration).
        var accountSetting = string.IsNullOrEmpty(account) ? string.Empty : $"AccountName={account};";
        return accountSetting + string.Join(";", endpoints.Select(e => $"{e.Name}={e.Uri}"));
    }

    /// <summary>
    /// The Entra ID credential of a keyless store, chosen as the Functions host chooses it for the triggers:
    /// <c>AzureWebJobsStorage__credential=managedidentity</c> selects the managed identity (the user-assigned one
    /// <c>AzureWebJobsStorage__clientId</c> names, else the system-assigned one); unset, null (the store then uses
    /// <c>DefaultAzureCredential</c>: developer sign-in such as <c>az login</c> locally). Stores with a key ignore it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The credential setting has another value.</exception>
    public static TokenCredential? Credential(IConfiguration configuration)
    {
        var kind = configuration[AppSettings.Key(AppSettings.StorageCredential)];
        if (string.IsNullOrWhiteSpace(kind))
        {
            return null;
        }

        if (!kind.Trim().Equals(AppSettings.ManagedIdentity, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"{AppSettings.StorageCredential} must be '{AppSettings.ManagedIdentity}' (or unset for DefaultAzureCredential), not '{kind}'");
        }

        return AppSettings.ManagedIdentityCredential(configuration[AppSettings.Key(AppSettings.StorageClientId)]);
    }
}
