using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>The fixed set of functions available to expressions.</summary>
internal static class BuiltinFunctions
{
    private static readonly JsonDocumentOptions FromJsonOptions = new() { MaxDepth = 64 };

    public static FrozenDictionary<string, FunctionDefinition> All { get; } = new FunctionDefinition[]
    {
        Eager("length", 1, 1, Length),
        Eager("contains", 2, 2, Contains),
        Eager("startsWith", 2, 2, a => Affix("startsWith", a, (s, p) => s.StartsWith(p, StringComparison.Ordinal))),
        Eager("endsWith", 2, 2, a => Affix("endsWith", a, (s, p) => s.EndsWith(p, StringComparison.Ordinal))),
        Eager("join", 1, 2, Join),
        Eager("split", 2, 2, Split),
        Eager("format", 1, int.MaxValue, Format),
        Eager("toJson", 1, 1, a => JsonValue.Create(JsonValues.ToJson(a[0]))),
        Eager("fromJson", 1, 1, FromJson),
        Eager("keys", 1, 1, Keys),
        Eager("values", 1, 1, Values),
        Eager("sum", 1, int.MaxValue, Sum),
        Eager("min", 1, int.MaxValue, a => Extreme("min", a, wantMax: false)),
        Eager("max", 1, int.MaxValue, a => Extreme("max", a, wantMax: true)),
        new FunctionDefinition("coalesce", 1, int.MaxValue, Coalesce),
        new FunctionDefinition("if", 3, 3, If),
    }.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>Known names, sorted, for error messages.</summary>
    public static string KnownNames { get; } = string.Join(", ", All.Keys.Order(StringComparer.Ordinal));

    private static FunctionDefinition Eager(string name, int min, int max, Func<JsonNode?[], JsonNode?> body) =>
        new(name, min, max, (arguments, scope) =>
        {
            var values = new JsonNode?[arguments.Count];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = JsonValues.Adopt(arguments[i].Evaluate(scope));
            }

            return body(values);
        });

    private static ExpressionEvaluationException Error(string function, string message) =>
        new($"{function}(): {message}");

    private static JsonNode? Length(JsonNode?[] args)
    {
        JsonNode? value = args[0];
        if (value is null)
        {
            return JsonValue.Create(0L);
        }

        if (JsonValues.TryGetString(value, out string? s))
        {
            return JsonValue.Create((long)s.Length);
        }

        return value switch
        {
            JsonArray array => JsonValue.Create((long)array.Count),
            JsonObject obj => JsonValue.Create((long)obj.Count),
            _ => throw Error("length", $"needs a string, an array or an object, got {JsonValues.TypeName(value)}"),
        };
    }

    private static JsonNode? Contains(JsonNode?[] args)
    {
        JsonNode? haystack = args[0];
        JsonNode? needle = args[1];
        if (haystack is null)
        {
            return JsonValue.Create(false);
        }

        if (JsonValues.TryGetString(haystack, out string? text))
        {
            if (!JsonValues.TryGetString(needle, out string? part))
            {
                throw Error("contains", $"searching a string needs a string to search for, got {JsonValues.TypeName(needle)}");
            }

            return JsonValue.Create(text.Contains(part, StringComparison.Ordinal));
        }

        if (haystack is JsonArray array)
        {
            foreach (JsonNode? element in array)
            {
                if (JsonValues.DeepEquals(element, needle))
                {
                    return JsonValue.Create(true);
                }
            }

            return JsonValue.Create(false);
        }

        throw Error("contains", $"needs a string or an array to search in, got {JsonValues.TypeName(haystack)}");
    }

    private static JsonValue Affix(string name, JsonNode?[] args, Func<string, string, bool> test)
    {
        if (args[0] is null)
        {
            return JsonValue.Create(false);
        }

        if (!JsonValues.TryGetString(args[0], out string? text) || !JsonValues.TryGetString(args[1], out string? affix))
        {
            throw Error(name, $"needs two strings, got {JsonValues.TypeName(args[0])} and {JsonValues.TypeName(args[1])}");
        }

        return JsonValue.Create(test(text, affix));
    }

    private static JsonNode? Join(JsonNode?[] args)
    {
        string separator = ",";
        if (args.Length > 1 && args[1] is not null && !JsonValues.TryGetString(args[1], out separator!))
        {
            throw Error("join", $"the separator must be a string, got {JsonValues.TypeName(args[1])}");
        }

        return args[0] switch
        {
            null => JsonValue.Create(string.Empty),
            JsonArray array => JsonValue.Create(JsonValues.JoinText(array, separator)),
            _ => throw Error("join", $"needs an array, got {JsonValues.TypeName(args[0])}"),
        };
    }

    private static JsonNode? Split(JsonNode?[] args)
    {
        if (!JsonValues.TryGetString(args[1], out string? separator))
        {
            throw Error("split", $"the separator must be a string, got {JsonValues.TypeName(args[1])}");
        }

        if (separator.Length == 0)
        {
            throw Error("split", "the separator must not be empty");
        }

        if (args[0] is null)
        {
            return new JsonArray();
        }

        if (!JsonValues.TryGetString(args[0], out string? text))
        {
            throw Error("split", $"needs a string to split, got {JsonValues.TypeName(args[0])}");
        }

        var result = new JsonArray();
        foreach (string part in text.Split(separator, StringSplitOptions.None))
        {
            result.Add(JsonValue.Create(part));
        }

        return result;
    }

    private static JsonNode? Format(JsonNode?[] args)
    {
        if (!JsonValues.TryGetString(args[0], out string? format))
        {
            throw Error("format", $"the format must be a string, got {JsonValues.TypeName(args[0])}");
        }

        var builder = new StringBuilder(format.Length);
        int i = 0;
        while (i < format.Length)
        {
            char c = format[i];
            char next = i + 1 < format.Length ? format[i + 1] : '\0';
            if (c == '{' && next == '{')
            {
                builder.Append('{');
                i += 2;
            }
            else if (c == '}' && next == '}')
            {
                builder.Append('}');
                i += 2;
            }
            else if (c == '{')
            {
                int close = format.IndexOf('}', i + 1);
                if (close < 0)
                {
                    throw Error("format", $"unclosed '{{' at index {i} (write '{{{{' for a literal brace)");
                }

                string content = format[(i + 1)..close];
                if (!int.TryParse(content, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                {
                    throw Error("format", $"invalid placeholder '{{{content}}}' at index {i}; placeholders look like {{0}}");
                }

                if (index >= args.Length - 1)
                {
                    throw Error("format", $"placeholder {{{index}}} has no argument ({args.Length - 1} given)");
                }

                builder.Append(JsonValues.ToText(args[index + 1]));
                i = close + 1;
            }
            else if (c == '}')
            {
                throw Error("format", $"unmatched '}}' at index {i} (write '}}}}' for a literal brace)");
            }
            else
            {
                builder.Append(c);
                i++;
            }
        }

        return JsonValue.Create(builder.ToString());
    }

    private static JsonNode? FromJson(JsonNode?[] args)
    {
        if (!JsonValues.TryGetString(args[0], out string? text))
        {
            throw Error("fromJson", $"needs a string, got {JsonValues.TypeName(args[0])}");
        }

        try
        {
            return JsonNode.Parse(text, documentOptions: FromJsonOptions);
        }
        catch (JsonException e)
        {
            throw new ExpressionEvaluationException($"fromJson(): the text is not valid JSON: {e.Message}", e);
        }
    }

    private static JsonNode? Keys(JsonNode?[] args) => Members("keys", args[0], property => JsonValue.Create(property.Key));

    // The values still belong to the object; a node can have only one parent.
    private static JsonNode? Values(JsonNode?[] args) => Members("values", args[0], property => property.Value?.DeepClone());

    private static JsonArray Members(string function, JsonNode? value, Func<KeyValuePair<string, JsonNode?>, JsonNode?> select) => value switch
    {
        null => [],
        JsonObject obj => [.. obj.Select(select)],
        _ => throw Error(function, $"needs an object, got {JsonValues.TypeName(value)}"),
    };

    private static List<(JsonNode Node, JsonNumber Number)> Numbers(string name, JsonNode?[] args)
    {
        IEnumerable<JsonNode?> items = args.Length == 1 && args[0] is JsonArray array ? array : args;
        var numbers = new List<(JsonNode, JsonNumber)>();
        foreach (JsonNode? item in items)
        {
            JsonNode? value = JsonValues.Adopt(item);
            if (!JsonValues.TryGetNumber(value, out JsonNumber number))
            {
                throw Error(name, $"needs numbers (one array of numbers, or numbers as arguments), got {JsonValues.TypeName(value)}");
            }

            numbers.Add((value!, number));
        }

        return numbers;
    }

    private static JsonNode? Sum(JsonNode?[] args)
    {
        bool integral = true;
        long total = 0;
        double real = 0;
        foreach ((_, JsonNumber number) in Numbers("sum", args))
        {
            if (integral && number.IsIntegral)
            {
                try
                {
                    total = checked(total + number.Integral);
                    continue;
                }
                catch (OverflowException)
                {
                    // fall through to double arithmetic
                }
            }

            if (integral)
            {
                integral = false;
                real = total;
            }

            real += number.AsDouble;
        }

        if (integral)
        {
            return JsonValue.Create(total);
        }

        if (!double.IsFinite(real))
        {
            throw Error("sum", "the result is out of range");
        }

        return JsonValue.Create(real);
    }

    private static JsonNode? Extreme(string name, JsonNode?[] args, bool wantMax)
    {
        JsonNode? best = null;
        JsonNumber bestNumber = default;
        foreach ((JsonNode node, JsonNumber number) in Numbers(name, args))
        {
            int comparison = best is null ? 0 : JsonNumber.Compare(number, bestNumber);
            if (best is null || (wantMax ? comparison > 0 : comparison < 0))
            {
                best = node;
                bestNumber = number;
            }
        }

        return best;
    }

    private static JsonNode? Coalesce(IReadOnlyList<ExpressionNode> arguments, ExpressionScope scope)
    {
        foreach (ExpressionNode argument in arguments)
        {
            JsonNode? value = JsonValues.Adopt(argument.Evaluate(scope));
            if (value is not null)
            {
                return value;
            }
        }

        return null;
    }

    private static JsonNode? If(IReadOnlyList<ExpressionNode> arguments, ExpressionScope scope) =>
        JsonValues.IsTruthy(arguments[0].Evaluate(scope))
            ? arguments[1].Evaluate(scope)
            : arguments[2].Evaluate(scope);
}
