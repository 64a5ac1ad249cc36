using System.Text.Json.Nodes;
using FlowFunctions.Core.Expressions;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Reducers;

/// <summary>
/// Combines several outputs (a node's needs in <c>needs</c> order, or a map's children by index) into one value.
/// Order is always the declared order, never completion order, so results are deterministic.
/// </summary>
public static class Reducer
{
    /// <summary>Reduces <paramref name="values"/>; throws <see cref="ReductionException"/> when they do not fit the strategy.</summary>
    public static JsonNode? Reduce(ReduceSpec spec, IReadOnlyList<JsonNode?> values) => spec.Strategy switch
    {
        ReduceStrategy.Append => Append(values),
        ReduceStrategy.Merge => values.Aggregate<JsonNode?, JsonNode?>(new JsonObject(), (acc, v) => Merge(acc, v, spec.Conflict, string.Empty)),
        ReduceStrategy.Sum => Numbers(values, "sum").Aggregate(JsonNumber.FromLong(0), Add).ToNode(),
        ReduceStrategy.Min => Extreme(Numbers(values, "min"), pickLower: true),
        ReduceStrategy.Max => Extreme(Numbers(values, "max"), pickLower: false),
        ReduceStrategy.First => values.Count == 0 ? null : values[0]?.DeepClone(),
        ReduceStrategy.Last => values.Count == 0 ? null : values[^1]?.DeepClone(),
        _ => throw new ReductionException($"unknown reducer {spec.Strategy}"),
    };

    private static JsonArray Append(IReadOnlyList<JsonNode?> values)
    {
        var result = new JsonArray();
        foreach (var value in values)
        {
            if (value is JsonArray list)
            {
                foreach (var element in list)
                {
                    result.Add(element?.DeepClone());
                }
            }
            else
            {
                result.Add(value?.DeepClone());
            }
        }

        return result;
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? source, MergeConflict conflict, string path)
    {
        if (target is JsonObject left && source is JsonObject right)
        {
            var merged = (JsonObject)left.DeepClone();
            foreach (var (name, value) in right)
            {
                merged[name] = merged.TryGetPropertyValue(name, out var existing)
                    ? Merge(existing?.DeepClone(), value, conflict, path + "/" + name)
                    : value?.DeepClone();
            }

            return merged;
        }

        if (path.Length == 0 && source is not JsonObject)
        {
            throw new ReductionException($"merge combines objects, but a value is {InputTypes.Describe(source)}");
        }

        if (JsonNode.DeepEquals(target, source))
        {
            return target;
        }

        return conflict switch
        {
            MergeConflict.First => target,
            MergeConflict.Last => source?.DeepClone(),
            _ => throw new ReductionException($"merge conflict at {path}: {Render(target)} and {Render(source)}; set reduce: {{ strategy: merge, conflict: last }} (or first) to choose"),
        };
    }

    private static List<JsonNumber> Numbers(IReadOnlyList<JsonNode?> values, string reducer)
    {
        var numbers = new List<JsonNumber>();
        foreach (var value in values)
        {
            foreach (var element in value is JsonArray list ? (IEnumerable<JsonNode?>)list : [value])
            {
                if (!JsonValues.TryGetNumber(element, out var number))
                {
                    throw new ReductionException($"{reducer} needs numbers (or lists of numbers), but a value is {InputTypes.Describe(element)}");
                }

                numbers.Add(number);
            }
        }

        return numbers;
    }

    private static JsonNumber Add(JsonNumber a, JsonNumber b) =>
        a.IsIntegral && b.IsIntegral && !Overflows(a.Integral, b.Integral)
            ? JsonNumber.FromLong(a.Integral + b.Integral)
            : JsonNumber.FromDouble(a.AsDouble + b.AsDouble);

    private static bool Overflows(long x, long y) => (y > 0 && x > long.MaxValue - y) || (y < 0 && x < long.MinValue - y);

    private static JsonNode? Extreme(List<JsonNumber> numbers, bool pickLower)
    {
        JsonNumber? best = null;
        foreach (var n in numbers)
        {
            var order = best is { } b ? JsonNumber.Compare(n, b) : 0;
            if (best is null || (pickLower ? order < 0 : order > 0))
            {
                best = n;
            }
        }

        return best?.ToNode();
    }

    private static string Render(JsonNode? value) => value?.ToJsonString() ?? "null";
}

/// <summary>Values that a reducer cannot combine.</summary>
public sealed class ReductionException(string message) : Exception(message);
