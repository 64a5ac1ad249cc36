using System.Text.Json;
using System.Xml.Linq;
using global::Azure;

namespace FlowFunctions.Storage.Azure;

/// <summary>Reads the error code and message of a failed storage response (JSON for Tables, XML for Blobs and Queues).</summary>
internal static class StorageErrors
{
    public static StorageRequestException From(Response response, string operation)
    {
        var (code, message) = Parse(response.Headers.TryGetValue("x-ms-error-code", out var header) ? header : null, response.Content.ToString());
        return new StorageRequestException(
            response.Status,
            code,
            $"{operation} failed: {response.Status} {code ?? response.ReasonPhrase}{(message is null ? string.Empty : ": " + FirstLine(message))}");
    }

    /// <summary>The error code (the header wins over the body) and message of an error body in either format.</summary>
    public static (string? Code, string? Message) Parse(string? headerCode, string body)
    {
        string? code = null;
        string? message = null;
        var trimmed = body.TrimStart();
        try
        {
            if (trimmed.StartsWith('{'))
            {
                using var document = JsonDocument.Parse(trimmed);
                if (document.RootElement.TryGetProperty("odata.error", out var error))
                {
                    code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                    if (error.TryGetProperty("message", out var m))
                    {
                        message = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    }
                }
            }
            else if (trimmed.StartsWith('<'))
            {
                var root = XDocument.Parse(trimmed).Root;
                code = root?.Element("Code")?.Value;
                message = root?.Element("Message")?.Value;
            }
        }
        catch (Exception e) when (e is JsonException or System.Xml.XmlException)
        {
            // An unreadable body still leaves the status and the header code to report.
        }

        return (headerCode ?? code, message);
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
