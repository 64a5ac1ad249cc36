using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FlowFunctions.Bench;

/// <summary>
/// Counts every HTTP request the Azure store sends (added through <c>AzureFlowStoreOptions.AdditionalPolicies</c>, so it
/// runs once per attempt, retries included), classified as "{service} {operation}": table $batch / point read / query
/// / upsert / delete / create, queue put message / get messages / get messages (empty) / delete message / update
/// message / create / metadata, blob put / get / create container.
/// </summary>
internal sealed class HttpCountingPolicy : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Count(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        Count(message);
    }

    private void Count(HttpMessage message)
    {
        var kind = Classify(message);
        _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    internal static string Classify(HttpMessage message)
    {
        var uri = message.Request.Uri.ToUri();
        var method = message.Request.Method.Method;
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        var query = uri.Query;
        var service = Service(uri);
        string op = service switch
        {
            "table" when path.EndsWith("/$batch", StringComparison.Ordinal) => "$batch",
            "table" when path.EndsWith("/Tables", StringComparison.Ordinal) || path.Contains("/Tables(", StringComparison.Ordinal) => method == "DELETE" ? "delete table" : "create table",
            "table" when method == "GET" && path.Contains("(PartitionKey=", StringComparison.Ordinal) => "point read",
            "table" when method == "GET" => "query",
            "table" when method is "PUT" or "MERGE" or "PATCH" => "upsert",
            "table" when method == "DELETE" => "delete",
            "queue" when path.EndsWith("/messages", StringComparison.Ordinal) && method == "POST" => "put message",
            "queue" when path.EndsWith("/messages", StringComparison.Ordinal) && method == "GET" =>
                message.HasResponse && message.Response.Content.ToString().Contains("<QueueMessage>", StringComparison.Ordinal) ? "get messages" : "get messages (empty)",
            "queue" when path.Contains("/messages/", StringComparison.Ordinal) && method == "DELETE" => "delete message",
            "queue" when path.Contains("/messages/", StringComparison.Ordinal) && method == "PUT" => "update message",
            "queue" when query.Contains("comp=metadata", StringComparison.Ordinal) => "metadata",
            "queue" when method == "PUT" => "create queue",
            "queue" when method == "DELETE" => "delete queue",
            "blob" when query.Contains("restype=container", StringComparison.Ordinal) => method == "DELETE" ? "delete container" : "create container",
            "blob" when method == "PUT" => "put blob",
            "blob" when method is "GET" or "HEAD" => "get blob",
            _ => method,
        };
        return service + " " + op;
    }

    /// <summary>
    /// By host name on Azure ({account}.table.core...), by port on Azurite: blob, queue and table on the base port
    /// (10000, or FLOWFUNCTIONS_AZURITE_PORT_BASE as scripts/azurite.sh uses it) and the next two.
    /// </summary>
    private static string Service(Uri uri)
    {
        var host = uri.Host;
        if (host.Contains(".table.", StringComparison.OrdinalIgnoreCase) || uri.Port == AzuriteProcess.PortBase + 2)
        {
            return "table";
        }

        if (host.Contains(".queue.", StringComparison.OrdinalIgnoreCase) || uri.Port == AzuriteProcess.PortBase + 1)
        {
            return "queue";
        }

        return host.Contains(".blob.", StringComparison.OrdinalIgnoreCase) || uri.Port == AzuriteProcess.PortBase ? "blob" : "other";
    }
}
