using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace FlowFunctions.Storage.Azure;

/// <summary>The kind of one operation of an entity-group transaction.</summary>
internal enum TableOperationKind
{
    /// <summary>POST: fails with 409 EntityAlreadyExists when the row exists.</summary>
    Insert,

    /// <summary>PUT without If-Match: insert or replace.</summary>
    Upsert,

    /// <summary>PUT with If-Match: 404 when missing, 412 when the ETag differs.</summary>
    Replace,

    /// <summary>DELETE with If-Match: 404 when missing, 412 when the ETag differs.</summary>
    Delete,
}

/// <summary>One operation of an entity-group transaction, with keys already escaped.</summary>
internal sealed record TableOperation(TableOperationKind Kind, string RowKey, JsonObject? Properties, string? ETag);

/// <summary>One embedded HTTP response of a <c>$batch</c> response.</summary>
internal sealed record TableBatchPart(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// Writes the multipart/mixed body of a Table <c>$batch</c> request (one changeset) and reads its response
/// (https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions).
/// </summary>
internal static class TableBatch
{
    private const string Crlf = "\r\n";

    /// <summary>Builds the request body; returns it with the Content-Type header value that names its boundary.</summary>
    public static (string ContentType, string Body) BuildRequest(string tableUrl, string escapedPartitionKey, IReadOnlyList<TableOperation> operations, string batchId)
    {
        var batchBoundary = "batch_" + batchId;
        var changesetBoundary = "changeset_" + batchId;
        var body = new StringBuilder();
        body.Append("--").Append(batchBoundary).Append(Crlf)
            .Append("Content-Type: multipart/mixed; boundary=").Append(changesetBoundary).Append(Crlf)
            .Append(Crlf);
        for (var index = 0; index < operations.Count; index++)
        {
            var operation = operations[index];
            var entityUrl = AzureTableClient.EntityUrl(tableUrl, escapedPartitionKey, operation.RowKey);
            var (method, url) = operation.Kind switch
            {
                TableOperationKind.Insert => ("POST", tableUrl),
                TableOperationKind.Delete => ("DELETE", entityUrl),
                _ => ("PUT", entityUrl),
            };
            body.Append("--").Append(changesetBoundary).Append(Crlf)
                .Append("Content-Type: application/http").Append(Crlf)
                .Append("Content-Transfer-Encoding: binary").Append(Crlf)
                .Append(Crlf)
                .Append(method).Append(' ').Append(url).Append(" HTTP/1.1").Append(Crlf)
                // 1-based: the service echoes it in the failed operation's response.
                .Append("Content-ID: ").Append((index + 1).ToString(CultureInfo.InvariantCulture)).Append(Crlf)
                .Append("Accept: application/json;odata=minimalmetadata").Append(Crlf)
                .Append("DataServiceVersion: 3.0").Append(Crlf);
            if (operation.Kind is TableOperationKind.Replace or TableOperationKind.Delete)
            {
                body.Append("If-Match: ").Append(operation.ETag ?? "*").Append(Crlf);
            }

            if (operation.Kind == TableOperationKind.Delete)
            {
                body.Append(Crlf);
                continue;
            }

            var entity = new JsonObject
            {
                ["PartitionKey"] = escapedPartitionKey,
                ["RowKey"] = operation.RowKey,
            };
            foreach (var property in operation.Properties ?? [])
            {
                entity[property.Key] = property.Value?.DeepClone();
            }

            var json = entity.ToJsonString();
            body.Append("Content-Type: application/json").Append(Crlf)
                .Append("Prefer: return-no-content").Append(Crlf)
                .Append(Crlf)
                .Append(json).Append(Crlf);
        }

        body.Append("--").Append(changesetBoundary).Append("--").Append(Crlf)
            .Append("--").Append(batchBoundary).Append("--").Append(Crlf);
        return ("multipart/mixed; boundary=" + batchBoundary, body.ToString());
    }

    /// <summary>Reads the embedded responses of a <c>$batch</c> response, in order, descending into changesets.</summary>
    public static IReadOnlyList<TableBatchPart> ParseResponse(string contentType, string body)
    {
        var parts = new List<TableBatchPart>();
        ParseMultipart(Boundary(contentType), body, parts);
        return parts;
    }

    /// <summary>
    /// The index of the operation a failed changeset names: the service prefixes the error message with
    /// "index:" (0-based) and echoes the operation's Content-ID (1-based here); null when neither is there.
    /// </summary>
    public static int? FailedIndex(TableBatchPart part, string? message, int operationCount)
    {
        if (message is not null)
        {
            var colon = message.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && int.TryParse(message.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var fromMessage)
                && fromMessage < operationCount)
            {
                return fromMessage;
            }
        }

        if (part.Headers.TryGetValue("Content-ID", out var contentId)
            && int.TryParse(contentId.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && id >= 1 && id <= operationCount)
        {
            return id - 1;
        }

        return operationCount == 1 ? 0 : null;
    }

    private static string Boundary(string contentType)
    {
        foreach (var parameter in contentType.Split(';'))
        {
            var trimmed = parameter.Trim();
            if (trimmed.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
            {
                return trimmed["boundary=".Length..].Trim('"');
            }
        }

        throw new FormatException($"the batch response's Content-Type '{contentType}' names no boundary");
    }

    private static void ParseMultipart(string boundary, string body, List<TableBatchPart> parts)
    {
        var delimiter = "--" + boundary;
        var sections = body.Split(delimiter);

        // sections[0] is the preamble; a section starting with "--" follows the closing delimiter.
        foreach (var section in sections.Skip(1))
        {
            if (section.StartsWith("--", StringComparison.Ordinal))
            {
                break;
            }

            var (headers, content) = SplitHeaders(section.TrimStart('\r', '\n'));
            var type = headers.GetValueOrDefault("Content-Type") ?? string.Empty;
            if (type.StartsWith("multipart/mixed", StringComparison.OrdinalIgnoreCase))
            {
                ParseMultipart(Boundary(type), content, parts);
            }
            else if (type.StartsWith("application/http", StringComparison.OrdinalIgnoreCase))
            {
                parts.Add(ParseHttpResponse(content));
            }
        }
    }

    private static TableBatchPart ParseHttpResponse(string text)
    {
        text = text.TrimStart('\r', '\n');
        var lineEnd = text.IndexOf('\n', StringComparison.Ordinal);
        var statusLine = (lineEnd < 0 ? text : text[..lineEnd]).TrimEnd('\r');
        var fields = statusLine.Split(' ', 3);
        if (fields.Length < 2 || !fields[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw new FormatException($"a batch response part has no HTTP status line: '{statusLine}'");
        }

        var (headers, body) = SplitHeaders(lineEnd < 0 ? string.Empty : text[(lineEnd + 1)..]);
        return new TableBatchPart(status, headers, body.Trim());
    }

    private static (Dictionary<string, string> Headers, string Body) SplitHeaders(string text)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        while (position < text.Length)
        {
            var end = text.IndexOf('\n', position);
            if (end < 0)
            {
                end = text.Length;
            }

            var line = text[position..end].TrimEnd('\r');
            position = Math.Min(end + 1, text.Length);
            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return (headers, text[position..]);
    }
}
