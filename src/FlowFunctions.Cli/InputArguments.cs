using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Cli;

/// <summary>
/// Turns <c>--input name=value</c> pairs and an <c>--input-file</c> into run inputs. Each value is read as the
/// type its input declares (<c>limit=5</c> is the integer 5 for an integer input and the string "5" for a string one).
/// </summary>
internal static class InputArguments
{
    public static (JsonObject Inputs, List<string> Errors) Parse(FlowSpec spec, IReadOnlyList<string> pairs, string? file)
    {
        var errors = new List<string>();
        var inputs = new JsonObject();
        if (file is not null)
        {
            ReadFile(file, inputs, errors);
        }

        var declared = spec.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                errors.Add($"--input '{pair}' must look like name=value");
                continue;
            }

            var name = pair[..equals];
            var text = pair[(equals + 1)..];
            if (!declared.TryGetValue(name, out var input))
            {
                // Kept as text: binding against the spec reports the unknown name with the declared ones.
                inputs[name] = text;
                continue;
            }

            if (ReadAs(input.Type, text) is { } value)
            {
                inputs[name] = value;
            }
            else
            {
                errors.Add($"input '{name}' must be {InputTypes.Name(input.Type)}, got '{text}'");
            }
        }

        return (inputs, errors);
    }

    private static JsonNode? ReadAs(InputType type, string text)
    {
        switch (type)
        {
            case InputType.String:
                return JsonValue.Create(text);
            case InputType.Integer:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l) : null;
            case InputType.Number:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                    ? (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) ? JsonValue.Create(whole) : JsonValue.Create(d))
                    : null;
            case InputType.Boolean:
                return text switch { "true" => JsonValue.Create(true), "false" => JsonValue.Create(false), _ => null };
            default:
                try
                {
                    var parsed = JsonNode.Parse(text);
                    return InputTypes.Matches(type, parsed) ? parsed : null;
                }
                catch (JsonException)
                {
                    return null;
                }
        }
    }

    private static void ReadFile(string file, JsonObject inputs, List<string> errors)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(file)) is not JsonObject values)
            {
                errors.Add($"--input-file '{file}' must hold a JSON object of input names to values");
                return;
            }

            foreach (var (name, value) in values)
            {
                inputs[name] = value?.DeepClone();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"cannot read --input-file '{file}': {ex.Message}");
        }
        catch (JsonException ex)
        {
            errors.Add($"--input-file '{file}' is not valid JSON: {ex.Message}");
        }
    }
}
