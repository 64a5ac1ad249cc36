using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Activities.Handlers;

/// <summary>
/// The secrets of one http execution: resolved from <see cref="HttpActivityOptions.Secrets"/> for the names the decision
/// function listed in the input (<see cref="SecretNames.Property"/>), put into the request in place of their markers
/// (<c>${{ secrets.NAME }}</c>), and replaced by <c>***</c> in everything the execution returns or throws, so that no
/// value reaches run state, history, the step cache, artifacts, logs or the API.
/// </summary>
internal sealed class HttpSecrets
{
    public const string Redacted = "***";

    private readonly Dictionary<string, string> _byMarker;

    private HttpSecrets(Dictionary<string, string> byMarker) => _byMarker = byMarker;

    public bool IsEmpty => _byMarker.Count == 0;

    /// <summary>The secrets the input names; a name without a value fails the execution permanently (a retry will not set it).</summary>
    public static HttpSecrets Resolve(JsonNode? input, Func<string, string?> resolve)
    {
        var byMarker = new Dictionary<string, string>(StringComparer.Ordinal);
        if (input is JsonObject fields && fields[SecretNames.Property] is JsonArray names)
        {
            foreach (var name in names.Select(n => n?.GetValue<string>()).OfType<string>())
            {
                var value = resolve(name);
                if (string.IsNullOrEmpty(value))
                {
                    throw new ActivityException($"http: secret '{name}' is not set (app setting {HttpActivityOptions.SecretsSection.Replace(":", "__", StringComparison.Ordinal)}__{name})", ErrorClass.Permanent);
                }

                byMarker["${{ secrets." + name + " }}"] = value;
            }
        }

        return new HttpSecrets(byMarker);
    }

    /// <summary>The input the request is built from: a copy with the markers of these secrets replaced by their values, without the name list.</summary>
    public JsonNode? Apply(JsonNode? input)
    {
        if (input is not JsonObject fields)
        {
            return input;
        }

        var copy = fields.DeepClone().AsObject();
        copy.Remove(SecretNames.Property);
        return IsEmpty ? copy : MapStrings(copy, Reveal);
    }

    /// <summary>Whether <paramref name="unresolved"/> (a header value or body before <see cref="Apply"/>) holds one of these secrets.</summary>
    public bool IsIn(JsonNode? unresolved) => !IsEmpty && unresolved is not null && _byMarker.Keys.Any(unresolved.ToJsonString().Contains);

    /// <summary>A copy of <paramref name="value"/> with every secret value replaced by <see cref="Redacted"/>.</summary>
    public JsonNode? Scrub(JsonNode? value) => IsEmpty ? value : MapStrings(value, Hide);

    /// <summary><paramref name="exception"/> again, or its copy without the secret values when its message has one.</summary>
    public Exception Scrub(Exception exception)
    {
        if (IsEmpty || !_byMarker.Values.Any(exception.ToString().Contains))
        {
            return exception;
        }

        return exception is ActivityException failure
            ? new ActivityException(Hide(failure.Message), failure.Class) { Kind = failure.Kind, Status = failure.Status, RetryAfter = failure.RetryAfter }
            : new ActivityException("http: " + Hide(exception.Message), ErrorClass.Transient) { Kind = ErrorKind.Connection };
    }

    private string Reveal(string text)
    {
        foreach (var (marker, value) in _byMarker)
        {
            text = text.Replace(marker, value, StringComparison.Ordinal);
        }

        return text;
    }

    public string Hide(string text)
    {
        foreach (var value in _byMarker.Values.OrderByDescending(v => v.Length))
        {
            text = text.Replace(value, Redacted, StringComparison.Ordinal);
        }

        return text;
    }

    private static JsonNode? MapStrings(JsonNode? node, Func<string, string> map) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(map(p.Key), MapStrings(p.Value, map)))),
        JsonArray array => new JsonArray([.. array.Select(item => MapStrings(item, map))]),
        JsonValue value when value.TryGetValue<string>(out var text) => JsonValue.Create(map(text)),
        _ => node?.DeepClone(),
    };
}
