using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Specs;

/// <summary>
/// What a node type's validator uses to check a raw <c>with</c> value. Values that are expressions are
/// only checked when the node runs, so every typed check here lets a <c>${{ }}</c> string through.
/// </summary>
public sealed class WithChecker
{
    private readonly Action<string, string> _report;
    private readonly Action<string, string> _reportAtKey;
    private readonly Action<string> _reportMissing;

    /// <param name="value">The raw <c>with</c> value.</param>
    /// <param name="report">Reports at a path relative to <c>with</c>, positioned at the value.</param>
    /// <param name="reportAtKey">Reports at a member's key (unknown fields), where the author must edit; defaults to <paramref name="report"/>.</param>
    /// <param name="reportMissing">Reports that <c>with</c> itself is missing, at the node; defaults to <paramref name="report"/> at "".</param>
    internal WithChecker(JsonNode? value, Action<string, string> report, Action<string, string>? reportAtKey = null, Action<string>? reportMissing = null)
    {
        Value = value;
        _report = report;
        _reportAtKey = reportAtKey ?? report;
        _reportMissing = reportMissing ?? (message => report(string.Empty, message));
    }

    /// <summary>The raw <c>with</c> value.</summary>
    public JsonNode? Value { get; }

    /// <summary>Reports a problem at a path relative to <c>with</c> (<c>""</c> for <c>with</c> itself).</summary>
    public void Error(string relativePath, string message) => _report(relativePath, message);

    /// <summary>Requires an object with only the given fields and all the required ones. Returns false if it is not an object.</summary>
    public bool Fields(IReadOnlyList<string> allowed, IReadOnlyList<string>? required = null)
    {
        if (Value is not JsonObject obj)
        {
            if (Value is null && required is { Count: > 0 })
            {
                _reportMissing($"missing required field 'with', which must set {string.Join(", ", required)}");
            }
            else
            {
                Error(string.Empty, $"'with' must be an object with the fields {string.Join(", ", allowed)}");
            }

            return false;
        }

        foreach (var (name, _) in obj)
        {
            if (!allowed.Contains(name))
            {
                _reportAtKey("/" + Escape(name), Suggestions.UnknownField(name, allowed));
            }
        }

        foreach (var name in required ?? [])
        {
            if (!obj.ContainsKey(name))
            {
                Error(string.Empty, $"missing required field 'with.{name}'");
            }
        }

        return true;
    }

    /// <summary>The member <paramref name="name"/> of an object <c>with</c>, or null.</summary>
    public JsonNode? Member(string name) => (Value as JsonObject)?[name];

    /// <summary>Checks that a member, if present, is a string; returns it when it is a constant string.</summary>
    public string? String(string name)
    {
        var member = Member(name);
        if (member is null)
        {
            return null;
        }

        if (member is JsonValue v && v.TryGetValue<string>(out var s))
        {
            return IsExpression(s) ? null : s;
        }

        Error("/" + name, $"'{name}' must be a string");
        return null;
    }

    /// <summary>Checks that a member, if present, is an integer in a range.</summary>
    public void Integer(string name, long min, long max)
    {
        var member = Member(name);
        if (member is null || IsExpression(member))
        {
            return;
        }

        if (member is not JsonValue v || !v.TryGetValue<long>(out var n) || n < min || n > max)
        {
            Error("/" + name, $"'{name}' must be an integer from {min} to {max}");
        }
    }

    /// <summary>Checks that a member, if present, is a duration.</summary>
    public void Duration(string name)
    {
        if (Member(name) is JsonValue number && number.GetValueKind() == System.Text.Json.JsonValueKind.Number)
        {
            // Same hint as for timeout: a bare number is the most common mistake, and its fix is a unit.
            Error("/" + name, $"'{name}' is a bare number; durations need a unit, e.g. '{number.ToJsonString()}s' or '{number.ToJsonString()}ms'");
            return;
        }

        if (String(name) is { } text && !Specs.Duration.TryParse(text, out _, out var error))
        {
            Error("/" + name, error!);
        }
    }

    /// <summary>Checks that a member, if present, is one of the given strings.</summary>
    public void OneOf(string name, IReadOnlyList<string> values)
    {
        if (String(name) is { } text && !values.Contains(text))
        {
            Error("/" + name, $"'{text}' is not one of {string.Join(", ", values)}{Suggestions.Hint(text, values)}");
        }
    }

    /// <summary>Checks that a value is an HTTP status code (100 to 599).</summary>
    public void StatusCode(JsonNode? value, string relativePath)
    {
        if (IsExpression(value))
        {
            return;
        }

        if (value is not JsonValue v || !v.TryGetValue<long>(out var code) || code is < 100 or > 599)
        {
            Error(relativePath, "a status code must be an integer from 100 to 599");
        }
    }

    /// <summary>Whether a value is a string holding a <c>${{ }}</c> expression, which is only checked when the node runs.</summary>
    internal static bool IsExpression(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && IsExpression(s);

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static bool IsExpression(string s) => s.Contains("${{", StringComparison.Ordinal);
}
