using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// Everything an expression may read while it is evaluated. Every part is optional; a missing part
/// reads as JSON null so that expressions stay null-safe.
/// </summary>
public sealed class ExpressionScope
{
    /// <summary>A scope in which every context is absent.</summary>
    public static ExpressionScope Empty { get; } = new();

    /// <summary>The run's inputs, read through the <c>inputs</c> context.</summary>
    public JsonObject? Inputs { get; init; }

    /// <summary>Returns the output of the node with the given id (null if it has none), read through <c>nodes.&lt;id&gt;.output</c>.</summary>
    public Func<string, JsonNode?>? NodeOutput { get; init; }

    /// <summary>Returns the status name of the node with the given id, read through <c>nodes.&lt;id&gt;.status</c>.</summary>
    public Func<string, string?>? NodeStatus { get; init; }

    /// <summary>The current node's reduced input, read through the <c>input</c> context.</summary>
    public JsonNode? Input { get; init; }

    /// <summary>The current element inside a map template, read through the <c>item</c> context.</summary>
    public JsonNode? Item { get; init; }

    /// <summary>The position of the current element inside a map template, read through the <c>index</c> context.</summary>
    public long? Index { get; init; }

    /// <summary>The run's id, read through <c>run.id</c>.</summary>
    public string? RunId { get; init; }

    /// <summary>When the run started, read through <c>run.startedAt</c> as an ISO 8601 ("O") string.</summary>
    public DateTimeOffset? RunStartedAt { get; init; }
}
