using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>An entity read from a table: escaped keys, ETag and the other properties.</summary>
internal sealed record TableEntity(string PartitionKey, string RowKey, string ETag, JsonObject Properties);

/// <summary>One page of a query, with the continuation to pass for the next page (null on the last).</summary>
internal sealed record TablePage(IReadOnlyList<TableEntity> Entities, (string PartitionKey, string RowKey)? Continuation);

/// <summary>
/// The Table service REST operations the store uses (https://learn.microsoft.com/rest/api/storageservices/table-service-rest-api),
/// JSON with OData minimal metadata. Keys given to it are already escaped (<see cref="TableKeyEscaping"/>).
/// </summary>
internal sealed class AzureTableClient(HttpPipeline pipeline, Uri Endpoint) : StorageServiceClient(pipeline, Endpoint, ServiceVersion)
{
    /// <summary>The Table service REST version: the newest one Azure documents for Tables.</summary>
    internal const string ServiceVersion = "2019-02-02";

    private const string JsonMinimalMetadata = "application/json;odata=minimalmetadata";

    /// <summary>The Table service's Merge Entity verb (an OData extension; no standard HTTP method does it).</summary>
    private static readonly RequestMethod MergeMethod = new("MERGE");

    /// <summary>The URL of one entity: <c>table(PartitionKey='..',RowKey='..')</c> with quotes doubled and percent-encoded.</summary>
    public static string EntityUrl(string tableUrl, string partitionKey, string rowKey) =>
        $"{tableUrl}(PartitionKey='{EncodeKey(partitionKey)}',RowKey='{EncodeKey(rowKey)}')";

    /// <summary>An OData string literal for $filter.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public string TableUrl(string table) => Endpoint + "/" + table;

    public async Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, Endpoint + "/Tables");
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJson(message.Request, new JsonObject { ["TableName"] = table }.ToJsonString());
        var response = await SendAsync(message, cancellationToken);
        if (response.Status is 201 or 204 || (response.Status == 409 && ErrorCode(response) == "TableAlreadyExists"))
        {
            return;
        }

        throw StorageErrors.From(response, $"create table '{table}'");
    }

    public async Task DeleteTableIfExistsAsync(string table, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Delete, $"{Endpoint}/Tables('{EncodeKey(table)}')");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status is not (204 or 404))
        {
            throw StorageErrors.From(response, $"delete table '{table}'");
        }
    }

    public async Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Get, EntityUrl(TableUrl(table), partitionKey, rowKey));
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 404)
        {
            return null;
        }

        if (response.Status != 200)
        {
            throw StorageErrors.From(response, $"read entity from '{table}'");
        }

        var entity = ReadEntity(JsonNode.Parse(response.Content.ToString())!.AsObject());
        return response.Headers.ETag is { } etag ? entity with { ETag = etag.ToString() } : entity;
    }

    /// <summary>
    /// Queries one page; the service may return fewer rows than <paramref name="top"/> (even none) with a continuation.
    /// <paramref name="select"/> names the properties to return (PartitionKey and RowKey always come back); null for all.
    /// </summary>
    public async Task<TablePage> QueryAsync(string table, string filter, int? top, (string PartitionKey, string RowKey)? continuation, IReadOnlyList<string>? select, CancellationToken cancellationToken)
    {
        var url = new StringBuilder(TableUrl(table)).Append("()?$filter=").Append(Uri.EscapeDataString(filter));
        if (top is { } count)
        {
            url.Append("&$top=").Append(count);
        }

        if (select is { Count: > 0 })
        {
            // The keys are asked for too: ReadEntity needs them, and the continuation depends on them.
            url.Append("&$select=").Append(Uri.EscapeDataString(string.Join(',', select.Union(["PartitionKey", "RowKey"]))));
        }

        if (continuation is { } next)
        {
            url.Append("&NextPartitionKey=").Append(Uri.EscapeDataString(next.PartitionKey))
               .Append("&NextRowKey=").Append(Uri.EscapeDataString(next.RowKey));
        }

        using var message = CreateMessage(RequestMethod.Get, url.ToString());
        var response = await SendAsync(message, cancellationToken);
        if (response.Status != 200)
        {
            throw StorageErrors.From(response, $"query '{table}'");
        }

        var entities = new List<TableEntity>();
        var document = JsonNode.Parse(response.Content.ToString())!.AsObject();
        if (document["value"] is JsonArray values)
        {
            foreach (var value in values)
            {
                entities.Add(ReadEntity(value!.AsObject()));
            }
        }

        (string, string)? following = null;
        if (response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var nextPartition))
        {
            following = (nextPartition, response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out var nextRow) ? nextRow : string.Empty);
        }

        return new TablePage(entities, following);
    }

    /// <summary>Reads every row of a query, following continuations.</summary>
    public async Task<IReadOnlyList<TableEntity>> QueryAllAsync(string table, string filter, CancellationToken cancellationToken)
    {
        var all = new List<TableEntity>();
        (string, string)? continuation = null;
        do
        {
            var page = await QueryAsync(table, filter, null, continuation, null, cancellationToken);
            all.AddRange(page.Entities);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return all;
    }

    /// <summary>Insert-or-replace; returns the new ETag.</summary>
    public async Task<string> UpsertAsync(string table, string partitionKey, string rowKey, JsonObject properties, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Put, EntityUrl(TableUrl(table), partitionKey, rowKey));
        var entity = new JsonObject { ["PartitionKey"] = partitionKey, ["RowKey"] = rowKey };
        foreach (var property in properties)
        {
            entity[property.Key] = property.Value?.DeepClone();
        }

        SetJson(message.Request, entity.ToJsonString());
        var response = await SendAsync(message, cancellationToken);
        if (response.Status != 204)
        {
            throw StorageErrors.From(response, $"upsert entity in '{table}'");
        }

        return response.Headers.ETag?.ToString() ?? string.Empty;
    }

    /// <summary>
    /// Merge Entity: sets the given properties and keeps the others, if the entity's ETag is <paramref name="ifMatch"/>
    /// (<c>*</c>: any version). Returns the new ETag, or null when the ETag no longer matches (412) or the entity does
    /// not exist (404): both mean "someone else changed it; read again".
    /// </summary>
    public async Task<string?> MergeAsync(string table, string partitionKey, string rowKey, JsonObject properties, string ifMatch, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(MergeMethod, EntityUrl(TableUrl(table), partitionKey, rowKey));
        message.Request.Headers.SetValue("If-Match", ifMatch);
        var entity = new JsonObject { ["PartitionKey"] = partitionKey, ["RowKey"] = rowKey };
        foreach (var property in properties)
        {
            entity[property.Key] = property.Value?.DeepClone();
        }

        SetJson(message.Request, entity.ToJsonString());
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            204 => response.Headers.ETag?.ToString() ?? string.Empty,
            404 or 412 => null,
            _ => throw StorageErrors.From(response, $"merge entity in '{table}'"),
        };
    }

    /// <summary>Deletes a row; false when it does not exist.</summary>
    public async Task<bool> DeleteAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Delete, EntityUrl(TableUrl(table), partitionKey, rowKey));
        message.Request.Headers.SetValue("If-Match", "*");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 404)
        {
            return false;
        }

        if (response.Status != 204)
        {
            throw StorageErrors.From(response, $"delete entity from '{table}'");
        }

        return true;
    }

    /// <summary>
    /// Runs one entity-group transaction on one partition; returns each operation's new ETag (empty for deletes).
    /// Throws <see cref="StorageRequestException"/> with <see cref="StorageRequestException.FailedOperationIndex"/>
    /// when an operation failed (nothing was applied).
    /// </summary>
    public async Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, string partitionKey, IReadOnlyList<TableOperation> operations, CancellationToken cancellationToken)
    {
        var (contentType, body) = TableBatch.BuildRequest(TableUrl(table), partitionKey, operations, Guid.NewGuid().ToString("D"));
        using var message = CreateMessage(RequestMethod.Post, Endpoint + "/$batch");
        message.Request.Headers.SetValue("Content-Type", contentType);
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(body));
        var response = await SendAsync(message, cancellationToken);
        if (response.Status != 202)
        {
            throw StorageErrors.From(response, $"batch on '{table}'");
        }

        var responseType = response.Headers.ContentType ?? throw new StorageRequestException(response.Status, null, "the batch response has no Content-Type");
        var parts = TableBatch.ParseResponse(responseType, response.Content.ToString());
        var failed = parts.FirstOrDefault(part => part.Status >= 400);
        if (failed is not null)
        {
            var (code, text) = StorageErrors.Parse(failed.Headers.GetValueOrDefault("x-ms-error-code"), failed.Body);
            var index = TableBatch.FailedIndex(failed, text, operations.Count);
            throw new StorageRequestException(failed.Status, code, $"batch on '{table}' failed at operation {index?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}: {failed.Status} {code}: {text}", index);
        }

        if (parts.Count != operations.Count)
        {
            throw new StorageRequestException(response.Status, null, $"the batch response has {parts.Count} parts for {operations.Count} operations");
        }

        var etags = new string[operations.Count];
        for (var index = 0; index < operations.Count; index++)
        {
            etags[index] = operations[index].Kind == TableOperationKind.Delete
                ? string.Empty
                : parts[index].Headers.GetValueOrDefault("ETag") ?? throw new StorageRequestException(parts[index].Status, null, $"batch operation {index} returned no ETag");
        }

        return etags;
    }

    private static string EncodeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private static string? ErrorCode(Response response) =>
        StorageErrors.Parse(response.Headers.TryGetValue("x-ms-error-code", out var code) ? code : null, response.Content.ToString()).Code;

    private static TableEntity ReadEntity(JsonObject json)
    {
        var partitionKey = json["PartitionKey"]?.GetValue<string>() ?? string.Empty;
        var rowKey = json["RowKey"]?.GetValue<string>() ?? string.Empty;
        var etag = json["odata.etag"]?.GetValue<string>() ?? string.Empty;
        var properties = new JsonObject();
        foreach (var property in json.ToList())
        {
            if (property.Key is "PartitionKey" or "RowKey" or "Timestamp" || property.Key.StartsWith("odata.", StringComparison.Ordinal) || property.Key.Contains("@odata.", StringComparison.Ordinal))
            {
                continue;
            }

            properties[property.Key] = property.Value?.DeepClone();
        }

        return new TableEntity(partitionKey, rowKey, etag, properties);
    }

    private static void SetJson(Request request, string json)
    {
        request.Headers.SetValue("Content-Type", "application/json");
        request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>JSON with minimal OData metadata, the protocol version our requests and batch parsing assume.</summary>
    protected override void AddHeaders(Request request)
    {
        request.Headers.SetValue("Accept", JsonMinimalMetadata);
        request.Headers.SetValue("DataServiceVersion", "3.0");
        request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
    }
}
