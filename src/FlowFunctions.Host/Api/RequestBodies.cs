using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;

namespace FlowFunctions.Host.Api;

/// <summary>
/// Reads request bodies in the order the API promises: too large is 413 before anything is parsed, a wrong content
/// type is 415, malformed JSON is 400 with its line and column.
/// </summary>
internal static class RequestBodies
{
    public static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true);

    public static bool IsYaml(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Value?.ToLowerInvariant() is "application/yaml" or "application/x-yaml" or "text/yaml" or "text/x-yaml";

    /// <summary>The body's bytes, or the problem to answer. <paramref name="optional"/>: an empty body without content type is allowed (null bytes).</summary>
    public static async Task<(byte[]? Bytes, IResult? Problem)> ReadAsync(HttpRequest request, long limit, bool acceptYaml, bool optional, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        if (optional && request.ContentLength is null or 0 && string.IsNullOrEmpty(request.ContentType))
        {
            return (null, null);
        }

        if (!IsJson(request.ContentType) && !(acceptYaml && IsYaml(request.ContentType)))
        {
            var accepted = acceptYaml ? "application/json or application/yaml" : "application/json";
            return (null, Problems.Result(Problems.UnsupportedMediaType, $"send {accepted}, not '{request.ContentType ?? "(no content type)"}'"));
        }

        // Chunked bodies have no length: read at most one byte past the limit.
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return (null, TooLarge(limit));
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), null);
    }

    /// <summary>Reads a required JSON body (<see cref="ReadAsync"/>) and requires an object at its root (<see cref="ParseObject"/>).</summary>
    public static async Task<(JsonObject? Root, IResult? Problem)> ReadObjectAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        var (bytes, problem) = await ReadAsync(request, limit, acceptYaml: false, optional: false, ct);
        return problem is not null ? (null, problem) : ParseObject(bytes!);
    }

    /// <summary>Parses JSON and requires an object at the root.</summary>
    public static (JsonObject? Root, IResult? Problem) ParseObject(byte[] bytes)
    {
        var (node, problem) = ParseValue(bytes);
        if (problem is not null)
        {
            return (null, problem);
        }

        return node is JsonObject root
            ? (root, null)
            : (null, Problems.Result(Problems.InvalidRequest, $"the body must be a JSON object, not {Describe(node)}"));
    }

    /// <summary>Parses JSON of any kind (null for a literal null).</summary>
    public static (JsonNode? Value, IResult? Problem) ParseValue(byte[] bytes)
    {
        JsonNode? node;
        try
        {
            node = StrictJson.Parse(bytes);
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            return (null, Problems.Result(Problems.MalformedJson, $"{line}:{column}: {FirstSentence(ex.Message)}", new Dictionary<string, object?>
            {
                ["line"] = line,
                ["column"] = column,
            }));
        }

        return (node, null);
    }

    public static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };

    private static IResult TooLarge(long limit) =>
        Problems.Result(Problems.PayloadTooLarge, $"the body is larger than the limit of {limit} bytes", new Dictionary<string, object?> { ["limit"] = limit });

    // System.Text.Json appends "LineNumber: n | BytePositionInLine: m." which the problem already carries as numbers.
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }
}
