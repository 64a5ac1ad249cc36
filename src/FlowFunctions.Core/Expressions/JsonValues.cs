using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// The expression language's view of JSON values. JsonNode allows many backing representations
/// (CLR primitives, JsonElement, arbitrary objects), so every type question is answered here, once.
/// </summary>
internal static class JsonValues
{
    // Guards our own recursive walks against hostile or accidental very deep trees.
    private const int MaxDepth = 512;

    // Relaxed escaping keeps non-ASCII text readable in toJson/interpolation; the output is never embedded in HTML by us.
    private static readonly JsonSerializerOptions CompactOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
        MaxDepth = MaxDepth,
    };

    /// <summary>
    /// Brings a value taken from outside (scope, navigation) into the shapes the evaluator handles:
    /// JSON null as CLR null, and object/array-valued JsonValues as real JsonObject/JsonArray.
    /// </summary>
    public static JsonNode? Adopt(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return node;
        }

        JsonValueKind kind = KindOf(value);
        return kind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            JsonValueKind.Object or JsonValueKind.Array => Reparse(value),
            _ => value,
        };
    }

    public static JsonValueKind KindOf(JsonNode? node)
    {
        if (node is null)
        {
            return JsonValueKind.Null;
        }

        try
        {
            return node.GetValueKind();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or JsonException or ArgumentException)
        {
            throw new ExpressionEvaluationException("a value in the scope cannot be represented as JSON", e);
        }
    }

    public static string TypeName(JsonNode? node) => KindOf(node) switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => TryGetNumber(node, out JsonNumber n) && n.IsIntegral ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    public static string TypeNameWithArticle(JsonNode? node)
    {
        string name = TypeName(node);
        return name switch
        {
            "null" => "null",
            "object" or "array" or "integer" => "an " + name,
            _ => "a " + name,
        };
    }

    public static bool IsTruthy(JsonNode? node)
    {
        switch (KindOf(node))
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                return !TryGetNumber(node, out JsonNumber n) || !n.IsZero;
            case JsonValueKind.String:
                return TryGetString(node, out string? s) && s.Length > 0;
            default:
                return true;
        }
    }

    public static bool TryGetString(JsonNode? node, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        value = null;
        if (node is not JsonValue jsonValue || KindOf(node) != JsonValueKind.String)
        {
            return false;
        }

        if (jsonValue.TryGetValue(out string? s) && s is not null)
        {
            value = s;
            return true;
        }

        if (jsonValue.TryGetValue(out JsonElement element) && element.ValueKind == JsonValueKind.String)
        {
            value = element.GetString() ?? string.Empty;
            return true;
        }

        if (jsonValue.TryGetValue(out char c))
        {
            value = c.ToString();
            return true;
        }

        // Other string-like CLR values (Guid, DateTime, ...) are read through their JSON form.
        try
        {
            using JsonDocument document = JsonDocument.Parse(jsonValue.ToJsonString());
            value = document.RootElement.GetString() ?? string.Empty;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new ExpressionEvaluationException("a string value in the scope cannot be read", e);
        }
    }

    public static bool TryGetNumber(JsonNode? node, out JsonNumber value)
    {
        value = default;
        if (node is not JsonValue v || KindOf(node) != JsonValueKind.Number)
        {
            return false;
        }

        if (v.TryGetValue(out long l))
        {
            value = JsonNumber.FromLong(l);
        }
        else if (v.TryGetValue(out int i))
        {
            value = JsonNumber.FromLong(i);
        }
        else if (v.TryGetValue(out double d))
        {
            value = JsonNumber.FromDouble(d);
        }
        else if (v.TryGetValue(out JsonElement element))
        {
            value = element.TryGetInt64(out long el)
                ? JsonNumber.FromLong(el)
                : JsonNumber.FromDouble(element.GetDouble());
        }
        else
        {
            value = ParseNumberText(SafeJson(v));
        }

        return true;
    }

    /// <summary>Classifies number text the way literals are: integral if it fits a long, otherwise double.</summary>
    public static JsonNumber ParseNumberText(string text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            return JsonNumber.FromLong(l);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
        {
            return JsonNumber.FromDouble(d);
        }

        throw new ExpressionEvaluationException($"'{text}' is not a usable number");
    }

    /// <summary>Structural equality in which numbers compare by value, so 1 equals 1.0.</summary>
    public static bool DeepEquals(JsonNode? left, JsonNode? right) => DeepEquals(left, right, 0);

    private static bool DeepEquals(JsonNode? left, JsonNode? right, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ExpressionEvaluationException("value is nested too deeply to compare");
        }

        left = Adopt(left);
        right = Adopt(right);
        JsonValueKind lk = Normalize(KindOf(left));
        JsonValueKind rk = Normalize(KindOf(right));
        if (lk != rk)
        {
            return false;
        }

        switch (lk)
        {
            case JsonValueKind.Null:
            case JsonValueKind.True:
            case JsonValueKind.False:
                return true;
            case JsonValueKind.Number:
                return TryGetNumber(left, out JsonNumber ln) && TryGetNumber(right, out JsonNumber rn) && JsonNumber.NumericEquals(ln, rn);
            case JsonValueKind.String:
                return TryGetString(left, out string? ls) && TryGetString(right, out string? rs) && string.Equals(ls, rs, StringComparison.Ordinal);
            case JsonValueKind.Array:
                {
                    var la = (JsonArray)left!;
                    var ra = (JsonArray)right!;
                    if (la.Count != ra.Count)
                    {
                        return false;
                    }

                    for (int i = 0; i < la.Count; i++)
                    {
                        if (!DeepEquals(la[i], ra[i], depth + 1))
                        {
                            return false;
                        }
                    }

                    return true;
                }

            case JsonValueKind.Object:
                {
                    var lo = (JsonObject)left!;
                    var ro = (JsonObject)right!;
                    if (lo.Count != ro.Count)
                    {
                        return false;
                    }

                    foreach (KeyValuePair<string, JsonNode?> property in lo)
                    {
                        if (!ro.TryGetPropertyValue(property.Key, out JsonNode? other) || !DeepEquals(property.Value, other, depth + 1))
                        {
                            return false;
                        }
                    }

                    return true;
                }

            default:
                return false;
        }
    }

    private static JsonValueKind Normalize(JsonValueKind kind) => kind == JsonValueKind.Undefined ? JsonValueKind.Null : kind;

    /// <summary>Renders a value as text for string interpolation, join and format.</summary>
    public static string ToText(JsonNode? node)
    {
        switch (KindOf(node))
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return string.Empty;
            case JsonValueKind.String:
                return TryGetString(node, out string? s) ? s : string.Empty;
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Number:
                return FormatNumber(node);
            default:
                return ToJson(node);
        }
    }

    private static string FormatNumber(JsonNode? node)
    {
        if (TryGetNumber(node, out JsonNumber n) && n.IsIntegral)
        {
            return n.Integral.ToString(CultureInfo.InvariantCulture);
        }

        // The serializer's form keeps JSON-sourced numbers as written and doubles in shortest round-trip form.
        return SafeJson(node!);
    }

    /// <summary>
    /// Compact JSON text with every object's members sorted by name (ordinal), so that two equal values written in a
    /// different member order give the same text (hash keys).
    /// </summary>
    public static string Canonical(JsonNode? node) => ToJson(Sorted(node, 0));

    private static JsonNode? Sorted(JsonNode? node, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ExpressionEvaluationException("value is nested too deeply to hash");
        }

        return node switch
        {
            JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value, depth + 1)))),
            JsonArray array => new JsonArray([.. array.Select(item => Sorted(item, depth + 1))]),
            _ => node?.DeepClone(),
        };
    }

    /// <summary>Compact JSON text of a value ("null" for null).</summary>
    public static string ToJson(JsonNode? node) => node is null ? "null" : SafeJson(node);

    private static string SafeJson(JsonNode node)
    {
        try
        {
            return node.ToJsonString(CompactOptions);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new ExpressionEvaluationException($"value cannot be written as JSON: {e.Message}", e);
        }
    }

    private static JsonNode? Reparse(JsonValue value)
    {
        try
        {
            return JsonNode.Parse(value.ToJsonString(CompactOptions), documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new ExpressionEvaluationException($"a value in the scope cannot be read as JSON: {e.Message}", e);
        }
    }

    /// <summary>Escapes one JSON pointer reference token per RFC 6901.</summary>
    public static string EscapePointerToken(string token) =>
        token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>Joins rendered values; kept here so join() and interpolation agree on rendering.</summary>
    public static string JoinText(JsonArray array, string separator)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < array.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(separator);
            }

            builder.Append(ToText(Adopt(array[i])));
        }

        return builder.ToString();
    }
}
