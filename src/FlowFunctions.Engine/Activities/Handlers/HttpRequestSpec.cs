using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Activities.Handlers;

/// <summary>The resolved <c>with</c> of an <c>http</c> node.</summary>
/// <param name="Method">The method, upper case.</param>
/// <param name="Url">The absolute http(s) URL.</param>
/// <param name="Headers">Request headers in spec order.</param>
/// <param name="Body">The body, or null for none.</param>
/// <param name="ExpectStatus">Accepted statuses, or null for any 2xx.</param>
internal sealed record HttpRequestSpec(
    string Method,
    Uri Url,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    JsonNode? Body,
    IReadOnlySet<int>? ExpectStatus)
{
    private static readonly HashSet<string> Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    /// <summary>Whether <paramref name="status"/> is a success for this node.</summary>
    public bool Accepts(int status) => ExpectStatus?.Contains(status) ?? status is >= 200 and <= 299;

    /// <summary>Reads the node's <c>with</c>; anything malformed is a permanent failure.</summary>
    public static HttpRequestSpec Parse(JsonNode? with)
    {
        if (with is not JsonObject spec)
        {
            throw Invalid("'with' must be a mapping with at least 'url'");
        }

        var method = spec["method"] switch
        {
            null => "GET",
            JsonValue value when value.TryGetValue<string>(out var text) && Methods.Contains(text) => text,
            _ => throw Invalid($"'method' must be one of {string.Join(", ", Methods)}"),
        };

        var url = spec["url"] is JsonValue urlValue && urlValue.TryGetValue<string>(out var urlText)
            && Uri.TryCreate(urlText, UriKind.Absolute, out var parsed) && IsHttp(parsed)
            ? parsed
            : throw Invalid("'url' must be an absolute http or https URL");

        var headers = new List<KeyValuePair<string, string>>();
        switch (spec["headers"])
        {
            case null:
                break;
            case JsonObject map:
                foreach (var (name, value) in map)
                {
                    if (value is not JsonValue headerValue || !headerValue.TryGetValue<string>(out var text))
                    {
                        throw Invalid($"header '{name}' must be a string");
                    }

                    headers.Add(new(name, text));
                }

                break;
            default:
                throw Invalid("'headers' must be a mapping of header names to strings");
        }

        return new HttpRequestSpec(method, url, headers, spec["body"], ParseExpectStatus(spec["expectStatus"]));
    }

    /// <summary>Whether the URL may be requested at all (only http and https).</summary>
    public static bool IsHttp(Uri url) => url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps;

    private static HashSet<int>? ParseExpectStatus(JsonNode? node)
    {
        const string Problem = "'expectStatus' must be a status code (100-599) or a list of them";
        static int Status(JsonNode? item) =>
            item is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var status)
                && status is >= 100 and <= 599
                ? status
                : throw Invalid(Problem);

        return node switch
        {
            null => null,
            JsonArray list when list.Count > 0 => list.Select(Status).ToHashSet(),
            JsonValue => [Status(node)],
            _ => throw Invalid(Problem),
        };
    }

    private static ActivityException Invalid(string message) => new($"http: {message}", ErrorClass.Permanent);
}
