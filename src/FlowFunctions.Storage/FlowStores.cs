using Azure.Core;
using FlowFunctions.Storage.Azure;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Storage;

/// <summary>Opens the store a <c>--store</c> value names: a SQLite file, or an Azure Storage account. Shared by the CLI and the host.</summary>
public static class FlowStores
{
    /// <summary>
    /// <paramref name="store"/> is an Azure Storage connection string when it has a <c>key=value</c> pair
    /// (<c>UseDevelopmentStorage=true</c>, <c>AccountName=...;AccountKey=...</c>, <c>TableEndpoint=...</c>), else a SQLite file path.
    /// </summary>
    /// <param name="store">The SQLite file path or the connection string.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="credential">
    /// The Entra ID credential of an Azure store without AccountKey (e.g. the app's managed identity); null means
    /// <c>DefaultAzureCredential</c>. Ignored by SQLite and by connection strings with a key.
    /// </param>
    /// <exception cref="FormatException">A connection string is malformed.</exception>
    public static IFlowStore Open(string store, TimeProvider timeProvider, TokenCredential? credential = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        return IsConnectionString(store)
            ? new AzureFlowStore(store, timeProvider, new AzureFlowStoreOptions { Credential = credential })
            : new SqliteFlowStore(store, timeProvider);
    }

    /// <summary>
    /// <paramref name="store"/> as it may be printed or logged: a connection string with the values of its secret parts
    /// (<c>AccountKey</c>, <c>SharedAccessSignature</c>, <c>SharedAccessKey</c>) replaced by <c>***</c>; a file path as is.
    /// </summary>
    public static string Describe(string store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!IsConnectionString(store))
        {
            return store;
        }

        return string.Join(';', store.Split(';').Select(part =>
        {
            var name = part.Split('=', 2)[0].Trim();
            return name.Equals("AccountKey", StringComparison.OrdinalIgnoreCase)
                || name.Equals("SharedAccessSignature", StringComparison.OrdinalIgnoreCase)
                || name.Equals("SharedAccessKey", StringComparison.OrdinalIgnoreCase)
                ? name + "=***"
                : part;
        }));
    }

    /// <summary>Whether <paramref name="store"/> reads as a connection string rather than a file path.</summary>
    public static bool IsConnectionString(string store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Contains('=', StringComparison.Ordinal);
    }
}
