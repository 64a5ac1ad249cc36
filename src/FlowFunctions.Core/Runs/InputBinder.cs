using System.Collections.Immutable;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Runs;

/// <summary>Checks run inputs against a spec's declarations and applies defaults.</summary>
public static class InputBinder
{
    /// <summary>
    /// Binds <paramref name="given"/> to <paramref name="spec"/>'s inputs: unknown names, missing required inputs and
    /// type mismatches are errors; absent optional inputs take their default (or stay absent).
    /// </summary>
    public static (JsonObject Values, ImmutableArray<string> Errors) Bind(FlowSpec spec, JsonObject? given)
    {
        var values = new JsonObject();
        var errors = ImmutableArray.CreateBuilder<string>();
        var declared = spec.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var (name, _) in given ?? [])
        {
            if (!declared.ContainsKey(name))
            {
                errors.Add(declared.Count == 0
                    ? $"unknown input '{name}': the workflow declares no inputs"
                    : Suggestions.Closest(name, declared.Keys) is { } hint
                        ? $"unknown input '{name}'; did you mean '{hint}'?"
                        : $"unknown input '{name}' (declared inputs: {string.Join(", ", declared.Keys)})");
            }
        }

        foreach (var input in spec.Inputs)
        {
            if (given is not null && given.TryGetPropertyValue(input.Name, out var value))
            {
                if (!InputTypes.Matches(input.Type, value))
                {
                    errors.Add($"input '{input.Name}' must be {Article(input.Type)}, not {InputTypes.Describe(value)}");
                }
                else
                {
                    values[input.Name] = value!.DeepClone();
                }
            }
            else if (input.Default is not null)
            {
                values[input.Name] = input.Default.DeepClone();
            }
            else if (input.Required)
            {
                errors.Add($"missing required input '{input.Name}' ({InputTypes.Name(input.Type)})");
            }
        }

        return (values, errors.ToImmutable());
    }

    private static string Article(InputType type) => type is InputType.Integer or InputType.Object or InputType.Array
        ? "an " + InputTypes.Name(type)
        : "a " + InputTypes.Name(type);
}
