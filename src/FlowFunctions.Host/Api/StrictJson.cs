using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Api;

/// <summary>
/// The one way the host parses JSON it is sent (API bodies, start messages): duplicate property names and nesting deeper
/// than <see cref="MaxDepth"/> are malformed, and so is a string that escapes half of a UTF-16 surrogate pair
/// (<c>"\ud800"</c>): System.Text.Json accepts that while parsing and throws only when the string is read, which would
/// turn a bad message into a server error far from where it came in.
/// </summary>
internal static class StrictJson
{
    public const int MaxDepth = 128;

    private static readonly JsonDocumentOptions Options = new() { AllowDuplicateProperties = false, MaxDepth = MaxDepth };

    /// <summary>Parses UTF-8 JSON; null for a literal null.</summary>
    /// <exception cref="JsonException">The text is not JSON by the rules above.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8) => Checked(JsonNode.Parse(utf8, documentOptions: Options));

    /// <summary>Parses JSON text; null for a literal null.</summary>
    /// <exception cref="JsonException">The text is not JSON by the rules above.</exception>
    public static JsonNode? Parse(string text) => Checked(JsonNode.Parse(text, documentOptions: Options));

    private static JsonNode? Checked(JsonNode? node)
    {
        try
        {
            Visit(node);
        }
        catch (InvalidOperationException ex)
        {
            throw new JsonException("a string or property name escapes half of a UTF-16 surrogate pair", ex);
        }

        return node;
    }

    // Reading every property name and string decodes it, which is where a lone surrogate shows. Depth is bounded by MaxDepth.
    private static void Visit(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    Visit(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Visit(item);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                _ = value.GetValue<string>();
                break;
        }
    }
}
