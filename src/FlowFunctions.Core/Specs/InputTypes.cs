using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Specs;

/// <summary>Names and checks of JSON value types, shared by input declarations and input binding.</summary>
public static class InputTypes
{
    /// <summary>The spelling of each type in specs.</summary>
    public static IReadOnlyDictionary<string, InputType> ByName { get; } = new Dictionary<string, InputType>(StringComparer.Ordinal)
    {
        ["string"] = InputType.String,
        ["number"] = InputType.Number,
        ["integer"] = InputType.Integer,
        ["boolean"] = InputType.Boolean,
        ["object"] = InputType.Object,
        ["array"] = InputType.Array,
    };

    /// <summary>Whether <paramref name="value"/> is a value of <paramref name="type"/> (null is never).</summary>
    public static bool Matches(InputType type, JsonNode? value) => type switch
    {
        InputType.String => Kind(value) == JsonValueKind.String,
        InputType.Number => Kind(value) == JsonValueKind.Number,
        InputType.Integer => IsIntegral(value),
        InputType.Boolean => Kind(value) is JsonValueKind.True or JsonValueKind.False,
        InputType.Object => value is JsonObject,
        InputType.Array => value is JsonArray,
        _ => false,
    };

    /// <summary>The spec spelling of a type.</summary>
    public static string Name(InputType type) => type.ToString().ToLowerInvariant();

    /// <summary>A short description of a value's JSON type for messages ("a string", "null").</summary>
    public static string Describe(JsonNode? value) => Kind(value) switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => IsIntegral(value) ? "an integer" : "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };

    private static JsonValueKind Kind(JsonNode? value) => value?.GetValueKind() ?? JsonValueKind.Null;

    private static bool IsIntegral(JsonNode? value) =>
        JsonValues.TryGetNumber(value, out var n) && (n.IsIntegral || (Math.Abs(n.Real % 1) == 0 && double.IsFinite(n.Real)));
}
