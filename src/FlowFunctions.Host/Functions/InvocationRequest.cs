using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// The request payload the Functions host POSTs to a custom handler for a non-HTTP trigger: <c>Data</c> holds the
/// trigger and input bindings by binding name, <c>Metadata</c> the trigger metadata (queue: <c>Id</c>, <c>DequeueCount</c>,
/// ...; Service Bus: <c>MessageId</c>, <c>DeliveryCount</c>, ...) and <c>sys</c>
/// (https://learn.microsoft.com/azure/azure-functions/functions-custom-handlers#request-payload).
/// </summary>
internal sealed class InvocationRequest
{
    private InvocationRequest(JsonObject data, JsonObject metadata)
    {
        Data = data;
        Metadata = metadata;
    }

    /// <summary>Trigger and input binding values by binding name.</summary>
    public JsonObject Data { get; }

    /// <summary>Trigger metadata.</summary>
    public JsonObject Metadata { get; }

    /// <summary>Reads a payload; null when the body is not the documented shape (not a JSON object with a <c>Data</c> object).</summary>
    public static async Task<InvocationRequest?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var node = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
            if (node is JsonObject payload && payload[nameof(Data)] is JsonObject data)
            {
                return new InvocationRequest(data, payload[nameof(Metadata)] as JsonObject ?? []);
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>
    /// The trigger value as text. A queue or Service Bus message arrives as a JSON string holding the message text;
    /// a host that hands over a message that is itself JSON as a parsed value gets it back as JSON text.
    /// </summary>
    public string? TriggerText(string binding)
    {
        var value = Data[binding] ?? (Data.Count == 1 ? Data.First().Value : null);
        return value switch
        {
            null => null,
            JsonValue text when text.TryGetValue<string>(out var s) => s,
            _ => value.ToJsonString(),
        };
    }

    /// <summary>A metadata value as text (strings as they are, other values as JSON), or null.</summary>
    public string? MetadataText(string name) => Metadata[name] switch
    {
        null => null,
        JsonValue text when text.TryGetValue<string>(out var s) => s,
        var other => other.ToJsonString(),
    };
}
