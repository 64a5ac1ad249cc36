namespace FlowFunctions.Storage.Azure;

/// <summary>Connection strings for Azurite's development account (<c>devstoreaccount1</c>) on 127.0.0.1.</summary>
public static class DevelopmentStorage
{
    /// <summary>Azurite's default Blob port; Queue and Table follow at +1 and +2.</summary>
    public const int DefaultBlobPort = 10000;

    /// <summary>
    /// The connection string of an Azurite on 127.0.0.1 with these ports: <c>UseDevelopmentStorage=true</c> on the default
    /// ports (10000-10002), else explicit path-style endpoints with the development account's documented key, since
    /// <c>UseDevelopmentStorage=true</c> always means the default ports.
    /// </summary>
    /// <param name="blobPort">The Blob service port.</param>
    /// <param name="queuePort">The Queue service port.</param>
    /// <param name="tablePort">The Table service port.</param>
    public static string ConnectionString(int blobPort, int queuePort, int tablePort)
    {
        if (blobPort == DefaultBlobPort && queuePort == DefaultBlobPort + 1 && tablePort == DefaultBlobPort + 2)
        {
            return "UseDevelopmentStorage=true";
        }

        return $"DefaultEndpointsProtocol=http;AccountName={StorageAccount.DevelopmentAccountName};AccountKey={StorageAccount.DevelopmentAccountKey};"
            + $"BlobEndpoint={Endpoint(blobPort)};QueueEndpoint={Endpoint(queuePort)};TableEndpoint={Endpoint(tablePort)}";
    }

    /// <summary>The path-style endpoint of one Azurite service: <c>http://127.0.0.1:{port}/devstoreaccount1</c>.</summary>
    /// <param name="port">The service's port.</param>
    public static string Endpoint(int port) => $"http://127.0.0.1:{port}/{StorageAccount.DevelopmentAccountName}";
}
