namespace FlowFunctions.Host.Functions;

/// <summary>
/// Which store the handler opens. <c>FlowFunctions:Store</c> wins (a SQLite path or a connection string); otherwise the
/// Functions app's own storage, <c>AzureWebJobsStorage</c> (a connection string, or identity-based
/// <c>AzureWebJobsStorage__accountName</c> / <c>__tableServiceUri</c>...), so the queues our code writes are the ones
/// the triggers poll; otherwise <c>.flow/flow.db</c> like the CLI.
/// </summary>
internal static class HandlerStore
{
    /// <summary>The configuration key naming the store.</summary>
    public const string StoreKey = "FlowFunctions:Store";

    /// <summary>The store description from configuration: a connection string, or a SQLite path.</summary>
    public static string Describe(IConfiguration configuration)
    {
        if (configuration[StoreKey] is { Length: > 0 } store)
        {
            return store;
        }

        if (configuration["AzureWebJobsStorage"] is { Length: > 0 } connection)
        {
            return connection;
        }

        var section = configuration.GetSection("AzureWebJobsStorage");
        if (section["accountName"] is { Length: > 0 } account)
        {
            // Identity-based connection (no key): requests carry Entra ID tokens from DefaultAzureCredential.
            return $"AccountName={account};"
                + $"TableEndpoint={section["tableServiceUri"] ?? $"https://{account}.table.core.windows.net"};"
                + $"QueueEndpoint={section["queueServiceUri"] ?? $"https://{account}.queue.core.windows.net"};"
                + $"BlobEndpoint={section["blobServiceUri"] ?? $"https://{account}.blob.core.windows.net"}";
        }

        return Path.Combine(".flow", "flow.db");
    }
}
