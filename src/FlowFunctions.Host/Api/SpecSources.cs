using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Host.Api;

/// <summary>
/// Reads the spec of a request: a JSON object inside the body, or a string holding YAML or JSON text. Errors of a
/// spec sent as an object carry the line and column in the request body; of a spec sent as a string, in the string.
/// </summary>
internal static class SpecSources
{
    /// <summary>The spec in property <paramref name="property"/> of the JSON <paramref name="body"/>, whose parsed value is <paramref name="value"/>.</summary>
    public static (ResolvedSpec? Spec, IResult? Problem) FromJsonProperty(byte[] body, string property, JsonNode? value)
    {
        switch (value)
        {
            case JsonValue stringValue when stringValue.GetValueKind() == JsonValueKind.String:
                return FromText(stringValue.GetValue<string>());
            case JsonObject:
                if (ValueSpan(body, property) is not { } span)
                {
                    return (null, Problems.Result(Problems.InvalidRequest, $"'{property}' was not found in the body"));
                }

                var prefix = Encoding.UTF8.GetString(body, 0, span.Start);
                var text = Encoding.UTF8.GetString(body, span.Start, span.End - span.Start);

                // Blank out everything before the spec (keeping line breaks) so that positions are the body's.
                var padding = new StringBuilder(prefix.Length);
                foreach (var c in prefix)
                {
                    padding.Append(c is '\n' or '\r' ? c : ' ');
                }

                var result = SpecLoader.Load(padding + text, SpecFormat.Json);
                return result.Spec is { } spec ? (new ResolvedSpec(spec, text), null) : (null, Invalid(result.Errors));
            default:
                return (null, Problems.Result(Problems.InvalidRequest, $"'{property}' must be an object or a string holding YAML or JSON text, not {RequestBodies.Describe(value)}"));
        }
    }

    /// <summary>A spec sent as text: JSON when it starts with <c>{</c>, else YAML.</summary>
    public static (ResolvedSpec? Spec, IResult? Problem) FromText(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, Problems.Result(Problems.InvalidRequest, "the spec is empty"));
        }

        var result = SpecLoader.Load(text, SpecFormats.Sniff(text));
        return result.Spec is { } spec ? (new ResolvedSpec(spec, text), null) : (null, Invalid(result.Errors));
    }

    public static IResult Invalid(ImmutableArray<SpecError> errors) =>
        Problems.Result(Problems.InvalidSpec, $"{errors.Length} problem{(errors.Length == 1 ? string.Empty : "s")} in the spec; the first: {errors[0]}", new Dictionary<string, object?>
        {
            ["errors"] = errors.Select(e => new { path = e.Path, line = e.Line, column = e.Column, message = e.Message }).ToArray(),
        });

    /// <summary>The byte range of a top-level property's value.</summary>
    private static (int Start, int End)? ValueSpan(byte[] body, string property)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(property);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (match)
            {
                return (start, (int)reader.BytesConsumed);
            }
        }

        return null;
    }
}
