using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Runs;

/// <summary>
/// Which secrets an http execution may resolve. The decision function writes the names the node's spec reads
/// (<c>secrets.NAME</c> in its <c>with</c>) into the input as <see cref="Property"/>, replacing whatever an upstream
/// value put there: the handler replaces only these names' markers, so data that merely looks like a marker cannot
/// pull in another secret. Values never pass through here.
/// </summary>
public static class SecretNames
{
    /// <summary>The input property with the names: <c>"$secrets": ["TOKEN"]</c>.</summary>
    public const string Property = "$secrets";

    /// <summary>The secrets <paramref name="with"/> reads, in order of first appearance.</summary>
    public static IReadOnlyList<string> Of(ValueTemplate with)
    {
        ArgumentNullException.ThrowIfNull(with);
        return [.. with.Expressions.SelectMany(e => e.ReferencedSecrets).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The input of an execution of <paramref name="type"/>: for an http input object, <see cref="Property"/> set to
    /// <paramref name="names"/> (removed when there are none); any other input as it is.
    /// </summary>
    public static JsonNode? Stamp(string type, IReadOnlyList<string> names, JsonNode? input)
    {
        if (type != "http" || input is not JsonObject fields)
        {
            return input;
        }

        fields.Remove(Property);
        if (names.Count > 0)
        {
            fields[Property] = new JsonArray([.. names.Select(n => (JsonNode)n)]);
        }

        return input;
    }

    /// <summary>Whether a replacement <c>with</c> (a redrive's) reads a secret.</summary>
    public static bool AnyIn(JsonNode? replacement) =>
        replacement is not null && Of(ValueTemplate.Compile(replacement.DeepClone(), new List<TemplateError>())).Count > 0;
}
