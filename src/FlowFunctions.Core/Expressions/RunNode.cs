using System.Globalization;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary><c>run.id</c> or <c>run.startedAt</c>.</summary>
internal sealed class RunNode(string field, int position) : ExpressionNode(position)
{
    public const string Id = "id";
    public const string StartedAt = "startedAt";

    public string Field { get; } = field;

    public override JsonNode? Evaluate(ExpressionScope scope) => Field switch
    {
        Id => scope.RunId is null ? null : JsonValue.Create(scope.RunId),
        StartedAt => scope.RunStartedAt is DateTimeOffset started
            ? JsonValue.Create(started.ToString("O", CultureInfo.InvariantCulture))
            : null,
        _ => throw new ExpressionEvaluationException($"unknown run field '{Field}'"),
    };
}
