using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Specs;

/// <summary>A node type: its name, how the engine runs it, and how its <c>with</c> is checked.</summary>
/// <param name="Name">The name used in specs.</param>
/// <param name="Kind">How the engine executes it.</param>
/// <param name="ValidateWith">Checks the raw <c>with</c> value; null accepts any value.</param>
public sealed record NodeTypeDefinition(string Name, NodeKind Kind, Action<WithChecker>? ValidateWith = null);

/// <summary>
/// The node types a spec may use. The set is open: hosts add their own types with <see cref="With"/>,
/// and validation and the decision function only rely on a type's <see cref="NodeKind"/>.
/// </summary>
public sealed class NodeTypeCatalog
{
    private static readonly string[] HttpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    private readonly ImmutableDictionary<string, NodeTypeDefinition> _types;

    private NodeTypeCatalog(ImmutableDictionary<string, NodeTypeDefinition> types) => _types = types;

    /// <summary>The built-in types: echo, transform, fail, delay, map, wait, http.</summary>
    public static NodeTypeCatalog Default { get; } = new NodeTypeCatalog(ImmutableDictionary<string, NodeTypeDefinition>.Empty.WithComparers(StringComparer.Ordinal))
        .With(new NodeTypeDefinition("echo", NodeKind.Activity))
        .With(new NodeTypeDefinition("transform", NodeKind.Inline))
        .With(new NodeTypeDefinition("fail", NodeKind.Activity, ValidateFail))
        .With(new NodeTypeDefinition("delay", NodeKind.Timer, ValidateDelay))
        .With(new NodeTypeDefinition("map", NodeKind.Map))
        .With(new NodeTypeDefinition("wait", NodeKind.Event, ValidateWait))
        .With(new NodeTypeDefinition("http", NodeKind.Activity, ValidateHttp));

    /// <summary>The names of all types, sorted.</summary>
    public IEnumerable<string> Names => _types.Keys.Order(StringComparer.Ordinal);

    /// <summary>A catalog with <paramref name="definition"/> added (or replacing a type of the same name).</summary>
    public NodeTypeCatalog With(NodeTypeDefinition definition) => new(_types.SetItem(definition.Name, definition));

    /// <summary>Looks up a type by name.</summary>
    public NodeTypeDefinition? Find(string name) => _types.GetValueOrDefault(name);

    private static void ValidateFail(WithChecker check)
    {
        if (check.Value is null)
        {
            return;
        }

        check.Fields(["message", "times", "output"]);
        check.String("message");
        check.Integer("times", min: 0, max: RetryPolicy.MaxAttemptsLimit);
    }

    private static void ValidateDelay(WithChecker check)
    {
        check.Fields(["duration"], required: ["duration"]);
        check.Duration("duration");
    }

    private static void ValidateWait(WithChecker check)
    {
        check.Fields(["event", "timeout", "required"], required: ["event"]);
        check.String("event");
        check.Duration("timeout");
        if (check.Member("required") is { } required && !WithChecker.IsExpression(required))
        {
            if (required is not JsonArray fields)
            {
                check.Error("/required", "required must be a list of field names");
            }
            else
            {
                for (var i = 0; i < fields.Count; i++)
                {
                    if (fields[i] is not JsonValue v || !v.TryGetValue<string>(out _))
                    {
                        check.Error($"/required/{i}", "a required field name must be a string");
                    }
                }
            }
        }
    }

    private static void ValidateHttp(WithChecker check)
    {
        check.Fields(["method", "url", "headers", "body", "expectStatus"], required: ["url"]);
        check.OneOf("method", HttpMethods);
        if (check.String("url") is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            check.Error("/url", $"'{url}' is not an absolute http or https URL");
        }

        // A constant string is no header object (only an expression may stand for one until the node runs).
        if (check.Member("headers") is { } headers && !WithChecker.IsExpression(headers))
        {
            if (headers is not JsonObject headerObject)
            {
                check.Error("/headers", "headers must be an object of header names to string values");
            }
            else
            {
                foreach (var (name, value) in headerObject)
                {
                    if (value is not JsonValue v || !v.TryGetValue<string>(out _))
                    {
                        check.Error("/headers/" + name, $"header '{name}' must be a string");
                    }
                }
            }
        }

        switch (check.Member("expectStatus"))
        {
            case JsonArray statuses:
                for (var i = 0; i < statuses.Count; i++)
                {
                    check.StatusCode(statuses[i], $"/expectStatus/{i}");
                }

                break;
            case { } status:
                check.StatusCode(status, "/expectStatus");
                break;
        }
    }
}
